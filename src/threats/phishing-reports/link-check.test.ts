import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLink, shownDomainOf } from './link-check.js';

const codes = (url: string, text?: string) => checkLink({ url, text }).reasons.map((r) => r.code);

describe('checkLink', () => {
  it('passes an ordinary link', () => {
    expect(checkLink({ url: 'https://www.example.com/help?q=1', text: 'example.com' })).toMatchObject({ level: 'ok', host: 'www.example.com', domain: 'example.com', reasons: [] });
  });
  it('flags each kind of deceptive link', () => {
    expect(codes('http://185.2.3.4/login')).toEqual(['link.ip_host']);
    expect(codes('http://3105155844/login')).toEqual(['link.ip_host']);
    expect(codes('http://[2001:db8::1]/x')).toEqual(['link.ip_host']);
    expect(codes('https://paypal.com@evil.example/x')).toEqual(['link.userinfo']);
    expect(codes('https://xn--pypal-4ve.com/')).toEqual(['link.punycode']);
    expect(codes('https://bit.ly/abc')).toEqual(['link.shortener']);
    expect(codes('https://login.evil.example/acme', 'https://acme-support.example/login')).toEqual(['link.text_mismatch']);
    expect(codes('https://acme-support.example/login', 'www.acme-support.example')).toEqual([]);
  });
  it('blocks script and data links and warns on other schemes', () => {
    expect(checkLink({ url: 'javascript:alert(1)' }).level).toBe('block');
    expect(checkLink({ url: ' JaVa\tScript:alert(1)' }).level).toBe('block');
    expect(checkLink({ url: 'data:text/html;base64,AAAA' })).toMatchObject({ level: 'block', reasons: [{ code: 'link.data_url' }] });
    expect(checkLink({ url: 'ftp://files.example/x' }).level).toBe('warn');
  });
  it('reads a shown domain only from domain-like text', () => {
    expect(shownDomainOf('Click here')).toBeNull();
    expect(shownDomainOf('v1.2')).toBeNull();
    expect(shownDomainOf('https://www.paypal.com/signin')).toBe('paypal.com');
  });
  it('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.option(fc.string({ maxLength: 300 }), { nil: undefined }), (url, text) => {
      const r = checkLink({ url, text });
      expect(['ok', 'warn', 'block']).toContain(r.level);
    }));
  });
});
