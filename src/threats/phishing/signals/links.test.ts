import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { buildContext, buildMessage } from '../testing.js';
import { shortenedShape, singleForeignHostReason, unwrapRewrittenLink } from './links.js';
import { hostScriptReasons } from './lookalike.js';

const to = (...hrefs: string[]) => hrefs.map((href) => ({ href, text: '' }));

describe('singleForeignHostReason', () => {
  it('notes a message whose every link goes to one site unrelated to the sender', () => {
    const r = singleForeignHostReason(to('http://trk.offers.example/a/1', 'http://trk.offers.example/a/2', 'https://www.offers.example/x', 'http://trk.offers.example/unsubscribe/9'), 'tools-shop.example');
    expect(r?.code).toBe('link.single_foreign_host');
    expect(r?.evidence).toContain('offers.example');
  });

  it('stays quiet for links to the sender\'s own site, several sites, or fewer than three links', () => {
    expect(singleForeignHostReason(to('https://news.acme.example/1', 'https://acme.example/2', 'https://shop.acme.example/3'), 'acme.example')).toBeNull();
    expect(singleForeignHostReason(to('https://click.acmemail.example/1', 'https://click.acmemail.example/2', 'https://click.acmemail.example/3'), 'acme.example')).toBeNull();
    expect(singleForeignHostReason(to('https://a.example/1', 'https://b.example/2', 'https://a.example/3'), 'sender.example')).toBeNull();
    expect(singleForeignHostReason(to('https://a.example/1', 'https://a.example/2'), 'sender.example')).toBeNull();
    expect(singleForeignHostReason(to('https://a.example/1', 'https://a.example/2', 'https://a.example/3'), '')).toBeNull();
  });
});

describe('addresses written as plain text in HTML-only mail', () => {
  const codes = (html: string, text: string) => analyzeMessage(buildMessage({ html, text, textFromHtml: true }), buildContext()).reasons.map((r) => r.code);
  it('are links (mail clients make them clickable), beside the anchors', () => {
    expect(codes('<p>Click for more http://bit.ly/abc123</p>', 'Click for more http://bit.ly/abc123')).toContain('link.shortener');
  });
  it('an anchor\'s written-out target is not counted twice or as plain text', () => {
    expect(codes('<p>See <a href="https://www.acme-corp.com/help">our help</a></p>', 'See our help [https://www.acme-corp.com/help]')).not.toContain('link.shortener');
  });
});

describe('internationalised link names', () => {
  it('weigh little when spelt in accented Latin letters, as European names are', () => {
    const r = hostScriptReasons('xn--mller-kva.example', 'link');
    expect(r.map((x) => [x.code, x.weight])).toEqual([['link.punycode', 0.1]]);
  });
  it('keep their weight in another script, which can spell a Latin name, and mixing scripts weighs more', () => {
    expect(hostScriptReasons('xn--80ak6aa92e.com', 'link').map((x) => [x.code, x.weight])).toEqual([['link.punycode', 0.3]]);
    expect(hostScriptReasons('xn--pypal-4ve.com', 'link').map((x) => x.code)).toEqual(['link.mixed_script']);
    expect(hostScriptReasons('plain.example', 'link')).toEqual([]);
  });
  it('weigh little in a script none of whose letters imitates a Latin one (decision 0188)', () => {
    // Japanese and Korean names, as shops and newspapers of those countries use them.
    const weight = (unicode: string) => hostScriptReasons(domainToASCII(unicode), 'link').map((x) => [x.code, x.weight]);
    expect(weight('ドメイン名例.jp')).toEqual([['link.punycode', 0.1]]);
    expect(weight('한국.kr')).toEqual([['link.punycode', 0.1]]);
    // Cyrillic and Greek letters can spell a Latin name: full weight.
    expect(weight('аррӏе.com')).toEqual([['link.punycode', 0.3]]);
    expect(weight('ελληνικά.gr')).toEqual([['link.punycode', 0.3]]);
  });
});

describe('shortenedShape', () => {
  it('recognises a shortened address on a service not in the list', () => {
    expect(shortenedShape('https://go.xy/C3c8J', 'go.xy')).toBe(true);
    expect(shortenedShape('http://ab.cd/3w6uTZ4', 'ab.cd')).toBe(true);
  });
  it('leaves out words, numbers, long names, subdomains and longer paths', () => {
    expect(shortenedShape('https://go.xy/promo', 'go.xy')).toBe(false);
    expect(shortenedShape('https://go.xy/2024', 'go.xy')).toBe(false);
    expect(shortenedShape('https://example.org/C3c8J', 'example.org')).toBe(false);
    expect(shortenedShape('https://www.go.xy/C3c8J', 'www.go.xy')).toBe(false);
    expect(shortenedShape('https://go.xy/a/C3c8J', 'go.xy')).toBe(false);
    expect(shortenedShape('https://go.xy/C3c8J?utm=1', 'go.xy')).toBe(false);
  });
});

describe('a customer quoting our own mail (decision 0188)', () => {
  it('reads links rewritten by the customer\'s gateway at their destination', () => {
    expect(unwrapRewrittenLink('https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample-shop.com%2Forders%2F1&data=05')).toBe('https://example-shop.com/orders/1');
    expect(unwrapRewrittenLink('https://urldefense.com/v3/__https://example-shop.com/help__;!!abc$')).toBe('https://example-shop.com/help');
    expect(unwrapRewrittenLink('https://urldefense.proofpoint.com/v2/url?u=https-3A__example-2Dshop.com_help&d=x')).toBe('https://example-shop.com/help');
    expect(unwrapRewrittenLink('https://linkprotect.cudasvc.com/url?a=https%3A%2F%2Fexample-shop.com%2F&c=E')).toBe('https://example-shop.com/');
    // Not a wrapper, or one without a web destination: unchanged.
    expect(unwrapRewrittenLink('https://www.outlook.com/?url=https%3A%2F%2Fevil.example')).toBe('https://www.outlook.com/?url=https%3A%2F%2Fevil.example');
    expect(unwrapRewrittenLink('https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)')).toBe('https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)');
  });

  it('does not take links to the organisation\'s own site for buttons leading elsewhere', () => {
    const wrap = (u: string) => `https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent(u)}&data=05`;
    const reply = buildMessage({
      from: { name: 'Tom Becker', address: 'tom.becker@brightwater.co.uk' },
      subject: 'RE: Your order 10023',
      html: `<p>Hi, the tracking link does not work for me, can you check? Tom</p><p>From: Example Shop. Your order has shipped.</p><a href="${wrap('https://example-shop.com/orders/10023')}">View order</a> <a href="${wrap('https://example-shop.com/track/1')}">Track parcel</a> <a href="${wrap('https://example-shop.com/help')}">Help</a>`,
      text: '',
    });
    const a = analyzeMessage(reply, buildContext());
    expect(a.reasons.map((r) => r.code)).not.toContain('link.action_offsite');
    expect(a.reasons.map((r) => r.code)).not.toContain('link.single_foreign_host');
    expect(a.verdict).toBe('clean');
    // The same buttons to another site still count.
    const elsewhere = buildMessage({ ...reply, html: reply.html.replaceAll('example-shop.com', 'shop-orders.example.net') });
    expect(analyzeMessage(elsewhere, buildContext()).reasons.map((r) => r.code)).toContain('link.action_offsite');
  });
});
