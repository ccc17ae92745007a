import { describe, expect, it } from 'vitest';
import { checkOrigin, parseOrigins } from './origins.js';

describe('checkOrigin', () => {
  it('accepts scheme + host (+ port) and normalises it', () => {
    expect(checkOrigin('https://www.example.com')).toEqual({ origin: 'https://www.example.com' });
    expect(checkOrigin('https://WWW.Example.com/')).toEqual({ origin: 'https://www.example.com' });
    expect(checkOrigin('https://shop.example.com:8443')).toEqual({ origin: 'https://shop.example.com:8443' });
    expect(checkOrigin('https://example.com:443')).toEqual({ origin: 'https://example.com' });
    expect(checkOrigin('http://localhost:3000')).toEqual({ origin: 'http://localhost:3000' });
  });

  it('names what is wrong', () => {
    expect(checkOrigin('https://*.example.com')).toEqual({ problem: 'wildcard' });
    expect(checkOrigin('www.example.com')).toEqual({ problem: 'invalid' });
    expect(checkOrigin('ftp://example.com')).toEqual({ problem: 'scheme' });
    expect(checkOrigin('javascript:alert(1)')).toEqual({ problem: 'scheme' });
    expect(checkOrigin('https://example.com/shop')).toEqual({ problem: 'path' });
    expect(checkOrigin('https://example.com?x=1')).toEqual({ problem: 'path' });
    expect(checkOrigin('https://example.com#top')).toEqual({ problem: 'path' });
    expect(checkOrigin('https://user:pw@example.com')).toEqual({ problem: 'invalid' });
  });
});

describe('parseOrigins', () => {
  it('reads one origin a line, skipping blanks, and reports bad lines by number', () => {
    const res = parseOrigins('https://a.example\n\n  https://b.example/path \nhttps://A.example\nnope');
    expect(res.origins).toEqual(['https://a.example']);
    expect(res.problems).toEqual([
      { line: 3, value: 'https://b.example/path', problem: 'path' },
      { line: 4, value: 'https://A.example', problem: 'duplicate' },
      { line: 5, value: 'nope', problem: 'invalid' },
    ]);
  });

  it('is empty for an empty box', () => {
    expect(parseOrigins('  \n')).toEqual({ origins: [], problems: [] });
  });
});
