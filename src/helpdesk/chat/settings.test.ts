/** Which strings are web origins an organisation may allow to embed the widget. */
import { describe, expect, it } from 'vitest';
import { canonicalOrigin } from './settings.js';

describe('canonicalOrigin', () => {
  it('takes scheme://host[:port] over https, and http only for the machine itself', () => {
    expect(canonicalOrigin('https://www.example.com')).toBe('https://www.example.com');
    expect(canonicalOrigin('https://www.example.com/')).toBe('https://www.example.com');
    expect(canonicalOrigin('https://shop.example.com:8443')).toBe('https://shop.example.com:8443');
    expect(canonicalOrigin('http://localhost:3000')).toBe('http://localhost:3000');
    expect(canonicalOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });

  it('refuses wildcards, paths, queries, credentials, other schemes, plain http and what is not a URL', () => {
    for (const bad of ['https://*.example.com', 'https://www.example.com/shop', 'https://www.example.com?a=1', 'https://user:pw@www.example.com', 'javascript:alert(1)', 'http://www.example.com', 'ftp://example.com', 'www.example.com', '', 'https://www.EXAMPLE.com', 'https://www.example.com:443']) {
      expect(canonicalOrigin(bad), bad).toBeNull();
    }
  });
});
