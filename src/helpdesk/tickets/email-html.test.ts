import { describe, expect, it } from 'vitest';
import { htmlResponseCsp, sanitizeEmailHtml } from './email-html.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const none = { inlineImages: new Map<string, string>(), remote: false };

describe('sanitizeEmailHtml', () => {
  it('removes what runs, submits or embeds, and keeps formatting and inline styles', () => {
    const dirty = `<div style="color:red" onclick="steal()">Hi<script>alert(1)</script><style>body{}</style>
      <form action="https://evil.example/x"><input name="pw"><button>Log in</button></form>
      <iframe src="https://evil.example"></iframe><object data="x.swf"></object><embed src="x">
      <base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">
      <svg><script>alert(2)</script></svg><img src=x onerror="alert(3)"><p onmouseover="x()">text</p></div>`;
    const { html } = sanitizeEmailHtml(dirty, none);
    expect(html).toContain('style="color:red"');
    expect(html).toContain('text');
    for (const bad of ['<script', 'alert(', 'onclick', 'onerror', 'onmouseover', '<form', '<input', '<iframe', '<object', '<embed', '<base', '<meta', '<svg', 'steal()', '<button', '<style']) {
      expect(html.toLowerCase()).not.toContain(bad);
    }
  });

  it('strips link addresses (javascript:, data: and web ones) and shows web addresses as text', () => {
    const { html } = sanitizeEmailHtml('<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a><a href="https://paypa1.example/login">PayPal</a><a href="mailto:x@example.org">x@example.org</a>', none);
    expect(html).not.toMatch(/href=/i);
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('data:text');
    expect(html).toContain('[https://paypa1.example/login]');
    expect(html).not.toContain('[mailto:x@example.org]');
  });

  it('blocks remote images unless allowed (https only), inlines cid images and keeps raster data: images', () => {
    const src = `<img src="https://tracker.example/p.gif" alt="logo"><img src="http://plain.example/a.png"><img src="cid:Part1@Mail"><img src="cid:missing"><img src="${PNG}"><img src="data:image/svg+xml;base64,PHN2Zz4=">`;
    const blocked = sanitizeEmailHtml(src, { inlineImages: new Map([['part1@mail', PNG]]), remote: false });
    expect(blocked.html).not.toContain('tracker.example');
    expect(blocked.html).not.toContain('plain.example');
    expect(blocked.html).toContain('[logo]');
    expect(blocked.html.match(new RegExp(PNG.replace(/[+/=]/g, '.'), 'g'))?.length).toBe(2);
    expect(blocked.html).not.toContain('svg');
    expect(blocked.blockedImages).toBe(3);
    const remote = sanitizeEmailHtml(src, { inlineImages: new Map(), remote: true });
    expect(remote.html).toContain('src="https://tracker.example/p.gif"');
    expect(remote.html).not.toContain('plain.example/a.png"');
  });

  it('the response policy sandboxes the frame and allows remote images only when asked', () => {
    expect(htmlResponseCsp(false)).toBe("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
    expect(htmlResponseCsp(true)).toContain('img-src data: https:;');
  });
});
