import { describe, expect, it } from 'vitest';
import { editDistance, isMixedScript, registrableDomain, skeleton } from './domains.js';
import { authFromHeaders, parseAuthResultsHeader } from './auth.js';
import { listZip } from './zip.js';
import { buildZip } from './testing.js';

describe('domain helpers', () => {
  it('maps confusables to one skeleton', () => {
    expect(skeleton('p\u0430yp\u0430l')).toBe(skeleton('paypal'));
    expect(skeleton('paypa1')).toBe(skeleton('paypal'));
    expect(skeleton('rnicrosoft')).toBe(skeleton('microsoft'));
    expect(skeleton('google')).not.toBe(skeleton('goggle'));
  });
  it('computes Damerau-Levenshtein with transpositions', () => {
    expect(editDistance('example', 'exmaple')).toBe(1);
    expect(editDistance('example', 'example')).toBe(0);
    expect(editDistance('abc', 'xyz', 1)).toBe(2);
  });
  it('finds registrable domains and mixed scripts', () => {
    expect(registrableDomain('login.secure.example.co.uk')).toBe('example.co.uk');
    expect(isMixedScript('p\u0430ypal')).toBe(true);
    expect(isMixedScript('paypal')).toBe(false);
  });
});

describe('Authentication-Results', () => {
  const headers = (v: string[]) => new Map([['authentication-results', v]]);
  it('trusts only configured authserv-ids', () => {
    const h = headers(['mx.evil.example; dmarc=pass header.from=acme.com', 'mx.example-shop.com; spf=fail smtp.mailfrom=x@acme.com; dkim=none; dmarc=fail (p=reject) header.from=acme.com']);
    expect(authFromHeaders(h, [])).toBeUndefined();
    const a = authFromHeaders(h, ['mx.example-shop.com']);
    expect(a).toMatchObject({ source: 'header', spf: 'fail', dmarc: 'fail', authservId: 'mx.example-shop.com' });
  });
  it('parses comments and id-less (Microsoft-style) headers', () => {
    const p = parseAuthResultsHeader('spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=a.example; dkim=pass (signature was verified) header.d=a.example;dmarc=none action=none header.from=b.example;');
    expect(p.authservId).toBe('');
    expect(p.results.map((r) => `${r.method}=${r.result}`)).toEqual(['spf=pass', 'dkim=pass', 'dmarc=none']);
  });
});

describe('listZip', () => {
  it('reads names and declared sizes from the central directory', () => {
    const l = listZip(buildZip([{ name: 'a.txt', size: 5 }, { name: 'b.exe', size: 2 ** 31 }]));
    expect(l.entries.map((e) => e.name)).toEqual(['a.txt', 'b.exe']);
    expect(l.declaredBytes).toBe(5 + 2 ** 31);
  });
  it('stops at the entry limit', () => {
    const l = listZip(buildZip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}.txt` }))), 10);
    expect(l.entries).toHaveLength(10);
    expect(l.truncated).toBe(true);
  });
});
