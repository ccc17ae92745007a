import { describe, expect, it } from 'vitest';
import { ACCENT_MIN_CONTRAST, checkLogo, cleanDisplayName, contrastRatio, DEFAULT_ACK_TEMPLATE, LOGO_MAX_BYTES, normalizeHexColor, renderAcknowledgement, unknownPlaceholders } from './brand.js';
import { textChunk, tinyJpeg, tinyPng, tinyWebp } from './testing.js';

describe('logo check', () => {
  it('accepts whole PNG, JPEG and WebP images, by their bytes', () => {
    expect(checkLogo(tinyPng())).toEqual({ ok: true, type: 'image/png' });
    expect(checkLogo(tinyJpeg())).toEqual({ ok: true, type: 'image/jpeg' });
    expect(checkLogo(tinyWebp())).toEqual({ ok: true, type: 'image/webp' });
  });

  it('refuses SVG however it starts, and other types whatever their name says', () => {
    expect(checkLogo(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).toEqual({ ok: false, reason: 'svg' });
    expect(checkLogo(Buffer.from('\n\n  <?xml version="1.0"?><svg/>'))).toEqual({ ok: false, reason: 'svg' });
    expect(checkLogo(Buffer.from('<!-- x --><svg onload="alert(1)"/>'))).toEqual({ ok: false, reason: 'svg' });
    expect(checkLogo(Buffer.from('GIF89a....'))).toEqual({ ok: false, reason: 'unsupported_type' });
    expect(checkLogo(Buffer.from('<html><script>alert(1)</script></html>'))).toEqual({ ok: false, reason: 'unsupported_type' });
    expect(checkLogo(Buffer.from('%PDF-1.7'))).toEqual({ ok: false, reason: 'unsupported_type' });
    expect(checkLogo(new Uint8Array())).toEqual({ ok: false, reason: 'empty' });
  });

  it('refuses polyglots: data after the image end, markup inside it, a broken chunk chain', () => {
    const png = tinyPng();
    expect(checkLogo(Buffer.concat([png, Buffer.from('<html><script>alert(1)</script>')]))).toEqual({ ok: false, reason: 'trailing_data' });
    expect(checkLogo(Buffer.concat([png, Buffer.from('PK\x03\x04zipzip')]))).toEqual({ ok: false, reason: 'trailing_data' });
    expect(checkLogo(Buffer.concat([tinyJpeg(), Buffer.from('<script>')]))).toEqual({ ok: false, reason: 'trailing_data' });
    expect(checkLogo(tinyPng(8, 8, [0, 0, 0], [textChunk('<script>alert(document.cookie)</script>')]))).toEqual({ ok: false, reason: 'markup' });
    expect(checkLogo(tinyPng(8, 8, [0, 0, 0], [textChunk('javascript:alert(1)')]))).toEqual({ ok: false, reason: 'markup' });
    expect(checkLogo(png.subarray(0, png.length - 6))).toEqual({ ok: false, reason: 'malformed' });
    const webp = tinyWebp();
    expect(checkLogo(Buffer.concat([webp, Buffer.from('<b>hi</b>')]))).toEqual({ ok: false, reason: 'trailing_data' });
    expect(checkLogo(Buffer.concat([webp, Buffer.from('<svg/>')]))).toMatchObject({ ok: false });
    expect(checkLogo(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a file over the size limit before looking further', () => {
    const big = Buffer.concat([tinyPng(), Buffer.alloc(LOGO_MAX_BYTES)]);
    expect(checkLogo(big)).toEqual({ ok: false, reason: 'too_large' });
  });
});

describe('accent colour and names', () => {
  it('measures WCAG contrast and normalises colours', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    expect(contrastRatio('#1a5fb4', '#ffffff')).toBeGreaterThan(ACCENT_MIN_CONTRAST);
    expect(contrastRatio('#ffcc00', '#ffffff')).toBeLessThan(ACCENT_MIN_CONTRAST);
    expect(normalizeHexColor('1A5FB4')).toBe('#1a5fb4');
    for (const bad of ['red', '#fff', 'url(javascript:1)', '#1a5fb4;x', '']) expect(normalizeHexColor(bad)).toBeNull();
  });

  it('keeps a display name safe for a From header', () => {
    expect(cleanDisplayName('Acme\r\nBcc: victim@evil.test')).toBe('Acme Bcc: victim@evil.test');
    expect(cleanDisplayName('"Acme" <x@y>')).not.toMatch(/["<>]/);
    expect(cleanDisplayName('x'.repeat(300))).toHaveLength(100);
  });
});

describe('acknowledgement template', () => {
  it('fills the three placeholders once and reports unknown ones', () => {
    const out = renderAcknowledgement(DEFAULT_ACK_TEMPLATE, { ticketNumber: 42, portalLink: 'https://help.example/portal?org=1', organizationName: 'Acme {{ticket.number}}' });
    expect(out).toContain('#42');
    expect(out).toContain('https://help.example/portal?org=1');
    // A value that looks like a placeholder is not expanded again.
    expect(out).toContain('Acme {{ticket.number}}');
    expect(unknownPlaceholders(DEFAULT_ACK_TEMPLATE)).toEqual([]);
    expect(unknownPlaceholders('Hi {{ customer.email }} {{ticket.number}}')).toEqual(['customer.email']);
  });
});
