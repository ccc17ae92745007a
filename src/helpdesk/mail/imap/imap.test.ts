/**
 * The pieces of mail pull that need no IMAP server: the envelope sender read from a pulled message, the failure
 * reasons shown as the status (fixed words, never the server's text), and the refresh-token grant's answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OutboundRefusedError } from '../../../platform/http/outbound.js';
import { describeImapError } from './client.js';
import { refreshAccessToken, TokenRefreshError } from './oauth.js';
import { envelopeSender } from './puller.js';

describe('envelopeSender', () => {
  it('takes the Return-Path, keeps a null sender for bounces, else the From address; the body is never read', () => {
    expect(envelopeSender(Buffer.from('Return-Path: <bounce@lists.example>\r\nFrom: Ann <ann@shop.example>\r\n\r\nReturn-Path: <x@y>\r\n'))).toBe('bounce@lists.example');
    expect(envelopeSender(Buffer.from('Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\n\r\nbody'))).toBe('');
    expect(envelopeSender(Buffer.from('From: "Ann, Sales" <ann@shop.example>\r\nTo: x@y\r\n\r\nFrom: eve@evil.example\r\n'))).toBe('ann@shop.example');
    expect(envelopeSender(Buffer.from('From: ann@shop.example\r\n\r\n'))).toBe('ann@shop.example');
    expect(envelopeSender(Buffer.from('Subject: no sender\r\n\r\nFrom: eve@evil.example\r\n'))).toBe('');
  });
});

describe('describeImapError', () => {
  it('gives fixed reasons and never echoes what the server said', () => {
    expect(describeImapError(Object.assign(new Error('Authentication failed'), { authenticationFailed: true, responseText: 'secret detail' }))).toBe('the server refused the sign-in (check the user name and password or token)');
    expect(describeImapError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatch(/refused/);
    expect(describeImapError(Object.assign(new Error('x'), { code: 'ParserError3' }))).toBe('the server sent a response that could not be understood');
    expect(describeImapError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toMatch(/certificate/);
    expect(describeImapError(new OutboundRefusedError('private_address', 'internal'))).toMatch(/private or loopback/);
    expect(describeImapError(new Error('<script>the server says hi</script>'))).toBe('the mailbox could not be read (see the server log)');
  });
});

describe('refreshAccessToken', () => {
  it('sends the refresh-token grant; reads the token, its expiry and a rotated refresh token; names invalid_grant', async () => {
    const seen: URLSearchParams[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        seen.push(form);
        res.setHeader('content-type', 'application/json');
        if (form.get('refresh_token') === 'good') return res.end(JSON.stringify({ access_token: 'at', expires_in: 120, refresh_token: 'rotated' }));
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS70008: <b>echo</b>' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    try {
      const t = await refreshAccessToken({ tokenUrl, clientId: 'c', clientSecret: 's', refreshToken: 'good', scope: 'https://mail.google.com/' }, { allowPrivate: true }, 1_000);
      expect(t).toEqual({ accessToken: 'at', expiresAt: 121_000, refreshToken: 'rotated' });
      expect(Object.fromEntries(seen[0]!)).toEqual({ grant_type: 'refresh_token', refresh_token: 'good', client_id: 'c', client_secret: 's', scope: 'https://mail.google.com/' });
      const err = await refreshAccessToken({ tokenUrl, clientId: 'c', clientSecret: null, refreshToken: 'revoked', scope: null }, { allowPrivate: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenRefreshError);
      expect((err as Error).message).toBe('the token endpoint refused the refresh token (invalid_grant): authorise the mailbox again');
      // Without permission for private addresses the endpoint is not even contacted.
      await expect(refreshAccessToken({ tokenUrl, clientId: 'c', clientSecret: null, refreshToken: 'good', scope: null }, {})).rejects.toBeInstanceOf(OutboundRefusedError);
      expect(seen).toHaveLength(2);
    } finally {
      await new Promise((r) => server.close(() => r(undefined)));
    }
  });
});
