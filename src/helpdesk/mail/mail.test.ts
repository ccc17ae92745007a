import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeReply, replySubject } from './compose.js';
import { detectAutoSubmitted } from './loops.js';
import { DEFAULT_BACKOFF, nextAttemptDelay } from './outbound-queue.js';
import { addressWithToken, baseAddress, deriveReplyToken, parseMessageIdList, replyTokenFromAddress, sanitizeHeaderValue, ticketNumberFromSubject } from './threading.js';

const keys = { replyToken: Buffer.alloc(32, 1), messageId: Buffer.alloc(32, 2) };
const headers = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));

describe('threading', () => {
  it('reply tokens round-trip through an address and differ per ticket', () => {
    const a = deriveReplyToken(keys, '7a1c4e0e-0000-4000-8000-000000000001');
    const b = deriveReplyToken(keys, '7a1c4e0e-0000-4000-8000-000000000002');
    expect(a).toMatch(/^[a-z2-7]{20}$/);
    expect(a).not.toBe(b);
    const addr = addressWithToken('Support@Example.com', a);
    expect(replyTokenFromAddress(addr)).toBe(a);
    expect(baseAddress(addr)).toBe('support@example.com');
    expect(replyTokenFromAddress('support+sales@example.com')).toBeNull();
  });
  it('reads ticket numbers and message-id lists defensively', () => {
    expect(ticketNumberFromSubject('Re: Re: where is it [#123]')).toBe(123);
    expect(ticketNumberFromSubject('[#1] then [#2]')).toBe(2);
    expect(ticketNumberFromSubject('#123 without brackets')).toBeNull();
    expect(parseMessageIdList('<a@x> <b@y>\r\n <c@z>')).toEqual(['a@x', 'b@y', 'c@z']);
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (s) => {
      expect(parseMessageIdList(s).length).toBeLessThanOrEqual(50);
      ticketNumberFromSubject(s);
    }));
  });
  it('strips line breaks from header values (header injection)', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(sanitizeHeaderValue(s)).not.toMatch(/[\r\n]/);
    }));
    const m = composeReply({ from: 'a@b.c', to: 'x@y.z\r\nBcc: victim@evil.test', subject: 'Hi\r\nBcc: victim@evil.test', ticketNumber: 5, body: 'b', messageId: 'm1@host', references: ['r1@h', 'r2@h'] });
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.to).not.toMatch(/[\r\n]/);
    expect(m.inReplyTo).toBe('<r2@h>');
    expect(replySubject('RE: Fwd: Order [#5]', 5)).toBe('Re: Order [#5]');
  });
});

describe('loop detection', () => {
  it('recognises auto-replies and bounces, and not a person', () => {
    expect(detectAutoSubmitted({ headers: headers({ 'auto-submitted': 'auto-replied' }), envelopeFrom: 'a@b.c', fromAddress: 'a@b.c' })).toBe('auto-submitted:auto-replied');
    expect(detectAutoSubmitted({ headers: headers({}), envelopeFrom: '', fromAddress: 'a@b.c' })).toBe('null-sender');
    expect(detectAutoSubmitted({ headers: headers({}), envelopeFrom: 'x@b.c', fromAddress: 'MAILER-DAEMON@b.c' })).toBe('daemon-sender');
    expect(detectAutoSubmitted({ headers: headers({ 'auto-submitted': 'no' }), envelopeFrom: 'a@b.c', fromAddress: 'a@b.c' })).toBeNull();
  });
});

describe('backoff', () => {
  it('grows exponentially within ±20% and is capped', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const d = nextAttemptDelay(attempt);
      const exp = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.baseMs * 2 ** (attempt - 1));
      expect(d).toBeGreaterThanOrEqual(exp * 0.8 - 1);
      expect(d).toBeLessThanOrEqual(exp * 1.2 + 1);
    }
  });
});
