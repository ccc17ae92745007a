import { describe, expect, it } from 'vitest';
import { analyzeMessage } from './engine.js';
import { textFromHtml } from './html-text.js';
import { parseRawMessage } from './parse.js';
import { buildContext } from './testing.js';

const THREE_PARAGRAPHS =
  '<html><head><style>p{margin:0}</style><title>Order</title></head><body><div><img src="cid:logo" alt=""></div>' +
  '<p>Hello support team,</p><p>My order 1234 arrived damaged. The box was crushed &amp; the mug is broken.</p>' +
  '<p>Could you send a replacement? See <a href="https://example.org/orders/1234">my order</a>.</p><p>Thanks, Anna</p></body></html>';

function eml(contentType: string, body: string): Buffer {
  return Buffer.from(`From: Anna <anna@example.org>\r\nTo: help@example-shop.com\r\nSubject: Broken mug\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n${body}`);
}

describe('text of HTML-only mail', () => {
  it('derives the text body from an HTML-only message, links kept as "text [url]"', async () => {
    const msg = await parseRawMessage(eml('text/html; charset=utf-8', THREE_PARAGRAPHS));
    expect(msg.textFromHtml).toBe(true);
    expect(msg.text).toContain('Hello support team,');
    expect(msg.text).toContain('The box was crushed & the mug is broken.');
    expect(msg.text).toContain('my order [https://example.org/orders/1234]');
    // Style, title and the inline image are not words a reader sees.
    expect(msg.text).not.toMatch(/margin|cid:|<p>|Order\n/);
    expect(msg.text.split('\n\n')).toHaveLength(4);
  });

  it('derives the text when the text part is present but empty', async () => {
    const body = '--b\r\nContent-Type: text/plain\r\n\r\n \r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Where is my parcel?</p>\r\n--b--\r\n';
    const msg = await parseRawMessage(eml('multipart/alternative; boundary="b"', body));
    expect(msg.text).toBe('Where is my parcel?');
  });

  it('keeps the sender\'s own text part when there is one', async () => {
    const body = '--b\r\nContent-Type: text/plain\r\n\r\nPlain words\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Other words</p>\r\n--b--\r\n';
    const msg = await parseRawMessage(eml('multipart/alternative; boundary="b"', body));
    expect(msg.text.trim()).toBe('Plain words');
    expect(msg.textFromHtml).toBeUndefined();
  });

  it('shows where a link really goes when its text names another address', () => {
    expect(textFromHtml('<a href="https://evil.example/x">https://bank.example/login</a>', 1000)).toBe('https://bank.example/login [https://evil.example/x]');
  });

  it('is bounded: deep nesting and a cut-off input still give text', () => {
    const deep = '<div>'.repeat(5000) + 'deep words' + '</div>'.repeat(5000);
    expect(() => textFromHtml(deep, 100_000)).not.toThrow();
    expect(textFromHtml('<p>' + 'word '.repeat(1000) + '</p>', 100).length).toBeLessThanOrEqual(100);
  });

  it('the phishing engine reads a text-rich HTML-only message as text, not "image only"', async () => {
    const msg = await parseRawMessage(eml('text/html; charset=utf-8', THREE_PARAGRAPHS));
    const a = analyzeMessage(msg, buildContext());
    expect(a.reasons.map((r) => r.code)).not.toContain('html.image_only');
    expect(a.verdict).toBe('clean');
  });

  it('still calls a message that is a picture and a link "image only"', async () => {
    const html = '<a href="https://pay-update.example.net/login"><img src="https://pay-update.example.net/banner.png" alt=""></a><p>Click the image above.</p>';
    const msg = await parseRawMessage(eml('text/html', html));
    expect(analyzeMessage(msg, buildContext()).reasons.map((r) => r.code)).toContain('html.image_only');
  });
});
