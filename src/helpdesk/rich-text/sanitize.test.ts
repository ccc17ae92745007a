import { describe, expect, it } from 'vitest';
import { isBlankRichText, plainToRichText, richTextToPlain, sanitizeRichText } from './sanitize.js';

/** Classic and modern XSS vectors (OWASP filter-evasion cheat sheet, PortSwigger's list, mutation XSS). */
const PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<img src="javascript:alert(1)">',
  '<svg onload=alert(1)><circle/></svg>',
  '<svg><script>alert(1)</script></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="//evil.example/">x</a>',
  '<p style="background:url(javascript:alert(1))">x</p>',
  '<div style="behavior:url(x.htc)">x</div>',
  '<form action="https://evil.example"><input name=p></form>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<object data="x.swf"></object>',
  '<embed src="x.swf">',
  '<base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<style>@import "https://evil.example/x.css";</style>',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<video><source onerror=alert(1)></video>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<template><script>alert(1)</script></template>',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<p id="x" class="y" onclick="alert(1)">x</p>',
  '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
  '"><script>alert(1)</script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<textarea><img src=x onerror=alert(1)></textarea>',
  '<img src=x:alert(1) onerror=eval(src)>',
  '<a href="  javascript:alert(1)">x</a>',
];

const DANGEROUS = /<(script|iframe|svg|math|object|embed|form|button|base|meta|link|style|template|video|source|body|details|input)\b|\son\w+\s*=|javascript:|vbscript:|data:text|style=|formaction/i;

describe('rich text sanitiser', () => {
  it.each(PAYLOADS)('leaves nothing that runs from %s', (payload) => {
    const out = sanitizeRichText(payload, { imageSrc: (src) => src.startsWith('cid:') });
    expect(out).not.toMatch(DANGEROUS);
    // Idempotent: sanitising the output again changes nothing (no mutation on a second parse).
    expect(sanitizeRichText(out, { imageSrc: (src) => src.startsWith('cid:') })).toBe(out);
  });

  it('keeps the composer’s formatting, and links open safely in a new tab', () => {
    const html = '<p><b>Bold</b> <i>it</i> <u>u</u> <s>s</s></p><ul><li>one</li></ul><ol start="3"><li>three</li></ol><blockquote>q</blockquote><p><a href="https://help.example/a">guide</a> <a href="mailto:x@example.com">mail</a></p>';
    expect(sanitizeRichText(html)).toBe(
      '<p><strong>Bold</strong> <em>it</em> <u>u</u> <s>s</s></p><ul><li>one</li></ul><ol start="3"><li>three</li></ol><blockquote>q</blockquote><p><a href="https://help.example/a" target="_blank" rel="noopener noreferrer nofollow">guide</a> <a href="mailto:x@example.com" target="_blank" rel="noopener noreferrer nofollow">mail</a></p>',
    );
  });

  it('keeps images only where the caller allows, and never SVG', () => {
    const allow = (src: string) => src.startsWith('cid:') || src.startsWith('data:image/');
    expect(sanitizeRichText('<p>a<img src="cid:shot-1" alt="screen" onerror="x()">b</p>', { imageSrc: allow })).toBe('<p>a<img src="cid:shot-1" alt="screen" />b</p>');
    expect(sanitizeRichText('<img src="https://tracker.example/p.gif">', { imageSrc: allow })).toBe('');
    expect(sanitizeRichText('<img src="data:image/svg+xml;base64,AAAA">', { imageSrc: allow })).toBe('');
    expect(sanitizeRichText('<img src="cid:x">')).toBe('');
  });

  it('turns a link to anything but http(s) or mailto into its text', () => {
    expect(sanitizeRichText('<a href="ftp://x.example/f">file</a>')).toBe('file');
  });

  it('gives the plain text with link addresses visible, and knows an empty editor', () => {
    expect(richTextToPlain('<p>Hello <strong>Ana</strong></p><p>See <a href="https://help.example/a">the guide</a></p>')).toBe('Hello Ana\n\nSee the guide [https://help.example/a]');
    expect(isBlankRichText('<p></p><p><br></p>')).toBe(true);
    expect(isBlankRichText('<p><img src="cid:a"></p>')).toBe(false);
  });

  it('turns typed text into paragraphs, escaped', () => {
    expect(plainToRichText('Hi <b>\n\nline one\nline two')).toBe('<p>Hi &lt;b&gt;</p><p>line one<br>line two</p>');
  });
});
