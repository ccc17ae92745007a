import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { checkAuthentication } from './auth.js';

/** A fake DNS: no network in tests. */
function fakeResolver(records: Record<string, string[][]>) {
  return async (name: string, type: string) => {
    const r = records[`${type}:${name.toLowerCase()}`];
    if (!r) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return r;
  };
}

describe('checkAuthentication', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const message = Buffer.from('From: Jane <jane@acme-corp.com>\r\nTo: support@example-shop.com\r\nSubject: order\r\nMessage-ID: <1@acme-corp.com>\r\n\r\nHello\r\n');

  it('passes SPF, DKIM and DMARC for a signed message from an allowed address', async () => {
    const key = { signingDomain: 'acme-corp.com', selector: 's1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    // mailauth takes the keys as signatureData at run time; its typings only list the flat form.
    const options = { ...key, signatureData: [key] };
    const signed = await dkimSign(message, options);
    const raw = Buffer.concat([Buffer.from(signed.signatures), message]);
    const resolver = fakeResolver({
      'TXT:acme-corp.com': [['v=spf1 ip4:192.0.2.10 -all']],
      'TXT:s1._domainkey.acme-corp.com': [[`v=DKIM1; k=rsa; p=${pub}`]],
      'TXT:_dmarc.acme-corp.com': [['v=DMARC1; p=reject']],
    });
    const r = await checkAuthentication({ raw, ip: '192.0.2.10', helo: 'mail.acme-corp.com', mailFrom: 'jane@acme-corp.com', resolver });
    expect(r).toMatchObject({ source: 'live', spf: 'pass', dkim: 'pass', dmarc: 'pass' });
    expect(r.dkimDomains).toContain('acme-corp.com');
  });

  it('fails DMARC for an unsigned message from a foreign address', async () => {
    const resolver = fakeResolver({ 'TXT:acme-corp.com': [['v=spf1 ip4:192.0.2.10 -all']], 'TXT:_dmarc.acme-corp.com': [['v=DMARC1; p=reject']] });
    const r = await checkAuthentication({ raw: message, ip: '203.0.113.5', helo: 'evil.example', mailFrom: 'jane@acme-corp.com', resolver });
    expect(r.spf).toBe('fail');
    expect(r.dmarc).toBe('fail');
  });
});
