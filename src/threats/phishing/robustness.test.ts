/** Bad input: malformed MIME, huge headers, many links, deep nesting, zip bombs, bad encodings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from './engine.js';
import { parseRawMessage } from './parse.js';
import { buildContext, buildMessage, buildZip } from './testing.js';
import { listZip } from './zip.js';

const ctx = buildContext();
const VERDICTS = ['clean', 'suspicious', 'phishing'];

async function analyzeRaw(raw: Buffer) {
  const msg = await parseRawMessage(raw);
  const a = analyzeMessage(msg, ctx);
  expect(VERDICTS).toContain(a.verdict);
  expect(a.score).toBeGreaterThanOrEqual(0);
  expect(a.score).toBeLessThanOrEqual(100);
  return { msg, a };
}

describe('robustness', () => {
  it('survives arbitrary bytes and arbitrary header/body text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4000 }), async (bytes) => {
        await analyzeRaw(Buffer.from(bytes));
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), fc.string({ maxLength: 2000 }), fc.constantFrom('text/html', 'multipart/mixed; boundary=x', 'text/plain; charset=bogus-42', 'application/zip'), async (h, body, ct) => {
        await analyzeRaw(Buffer.from(`From: ${h}\r\nReply-To: ${h}\r\nSubject: ${h}\r\nContent-Type: ${ct}\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}`));
      }),
      { numRuns: 150 },
    );
  });

  it('survives arbitrary parsed messages', () => {
    const addr = fc.record({ name: fc.string({ maxLength: 80 }), address: fc.string({ maxLength: 80 }) });
    fc.assert(
      fc.property(addr, fc.array(addr, { maxLength: 3 }), fc.string({ maxLength: 200 }), fc.string({ maxLength: 3000 }), fc.string({ maxLength: 3000 }), (from, replyTo, subject, text, html) => {
        const a = analyzeMessage(buildMessage({ from, replyTo, subject, text, html }), ctx);
        expect(VERDICTS).toContain(a.verdict);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds an enormous header block and keeps the message', async () => {
    const headers = Array.from({ length: 20000 }, (_, i) => `X-Junk-${i}: ${'a'.repeat(50)}`).join('\r\n');
    const raw = Buffer.from(`From: Eve <eve@examp1e-shop.com>\r\nSubject: hi\r\n${headers}\r\nX-Long: ${'b'.repeat(3_000_000)}\r\n\r\nbody text`);
    const t = performance.now();
    const { msg, a } = await analyzeRaw(raw);
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(msg.truncated).toBe(true);
    expect(msg.from?.address).toBe('eve@examp1e-shop.com');
    expect(a.reasons.map((r) => r.code)).toContain('sender.lookalike_org');
  });

  it('examines at most the configured number of links among thousands', async () => {
    const links = Array.from({ length: 20000 }, (_, i) => `<a href="https://host${i}.example.net/p">click ${i}</a>`).join('\n');
    const raw = Buffer.from(`From: a@b.example\r\nSubject: links\r\nContent-Type: text/html\r\n\r\n<html>${links}<a href="http://1.2.3.4/">x</a></html>`);
    const { a } = await analyzeRaw(raw);
    // The IP link sits after the first 500 distinct links, so it is beyond the bound.
    expect(a.reasons.map((r) => r.code)).not.toContain('link.ip_host');
  });

  it('bounds deeply nested multiparts', async () => {
    let body = 'Content-Type: text/plain\r\n\r\ninnermost\r\n';
    for (let i = 0; i < 2000; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
    const t = performance.now();
    const { msg } = await analyzeRaw(Buffer.from(`From: a@b.example\r\nSubject: deep\r\n${body}`));
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(msg.truncated).toBe(true);
  });

  it('flags an archive bomb from its directory without inflating it', () => {
    const zip = buildZip(Array.from({ length: 3000 }, (_, i) => ({ name: `part${i}.bin`, size: 0xfffffffe })));
    const t = performance.now();
    const a = analyzeMessage(buildMessage({ attachments: [{ filename: 'bomb.zip', contentType: 'application/zip', size: zip.length, content: zip }] }), ctx);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(a.reasons.map((r) => r.code)).toContain('attachment.archive_bomb');
  });

  it('lists corrupted zips without throwing', () => {
    const zip = buildZip([{ name: 'a.exe' }, { name: 'b.txt' }]);
    fc.assert(
      fc.property(fc.nat({ max: zip.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: zip.length }), (pos, byte, cut) => {
        const copy = Buffer.from(zip);
        copy[pos] = byte;
        const l = listZip(copy.subarray(0, Math.max(cut, 1)));
        expect(l.entries.length).toBeLessThanOrEqual(2);
      }),
      { numRuns: 500 },
    );
  });

  it('parses invalid encodings and charsets into a verdict', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: =?x-unknown?B?////?= <a@b.example>\r\nSubject: =?utf-8?Q?=FF=FE=C3?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=F'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]),
    ]);
    await analyzeRaw(raw);
  });

  it('keeps the lure signals linear on hostile text (decision 0038)', () => {
    const hostile = [
      'a '.repeat(100_000),
      '\u200B'.repeat(100_000) + 'x',
      'www.'.repeat(50_000) + 'pages.dev/',
      '{{'.repeat(50_000),
      'https://vk.com/away.php?to=' + '%25'.repeat(50_000),
      'Hello ' + 'jane.doe '.repeat(20_000),
    ];
    for (const text of hostile) {
      const t = performance.now();
      const a = analyzeMessage(buildMessage({ subject: text.slice(0, 5000), text, html: `<p>${text}</p><a href="${text.slice(0, 4000)}">x</a>`, from: { name: text.slice(0, 300), address: 'x@y.example' } }), ctx);
      expect(VERDICTS).toContain(a.verdict);
      expect(performance.now() - t, text.slice(0, 20)).toBeLessThan(3000);
    }
  });
});
