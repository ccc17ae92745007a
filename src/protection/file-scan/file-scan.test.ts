import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { isLuhnValid } from '../dlp/checksums.js';
import { DEFAULT_DLP_POLICY } from '../dlp/index.js';
import { sniffContentType } from '../blobs/sniff.js';
import { DEFAULT_EXTRACT_LIMITS, extractFileText, officeXmlText } from './extract.js';
import { extractPdfText } from './pdf.js';
import { scanFile, scanFileName } from './scan-file.js';
import { buildDocx, buildPdf, buildZip } from './testing.js';
import { listZip, readZipMember, ZipLimitError } from './zip.js';

function completeLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (isLuhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}
const cardArb = fc
  .tuple(fc.constantFrom('4', '51', '2221', '6011'), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 16, maxLength: 16 }))
  .map(([prefix, ds]) => completeLuhn(prefix + ds.join('').slice(0, 15 - prefix.length)));
const fours = (c: string) => (c.match(/.{1,4}/g) as string[]).join(' ');
const scan = (name: string, bytes: Uint8Array) => scanFile({ name, sniffedType: sniffContentType(bytes), bytes, policy: DEFAULT_DLP_POLICY });

describe('a card number in a file name', () => {
  it('is masked in the stored name, whatever the card', () => {
    fc.assert(
      fc.property(cardArb, fc.constantFrom(' ', '.', '-', '_'), (card, sep) => {
        const name = `card ${(card.match(/.{1,4}/g) as string[]).join(sep)} statement.pdf`;
        const r = scanFileName(name, DEFAULT_DLP_POLICY);
        expect(r.name.replace(/\D/g, '')).not.toContain(card);
        expect(r.nameFindings).toEqual([{ type: 'payment_card', action: 'redact' }]);
      }),
      { numRuns: 100 },
    );
  });

  it('leaves an ordinary name alone', () => {
    expect(scanFileName('invoice 2024-03.pdf', DEFAULT_DLP_POLICY)).toEqual({ name: 'invoice 2024-03.pdf', nameFindings: [] });
  });
});

describe('a card number inside a PDF', () => {
  it('is read from a real PDF and the file withheld', { timeout: 60_000 }, async () => {
    // Each case starts a worker, so a few generated cards rather than hundreds.
    await fc.assert(
      fc.asyncProperty(cardArb, async (card) => {
        const r = await scan('statement.pdf', buildPdf(['Statement (March)', `Card ${fours(card)}`]));
        expect(r.withhold).toBe(true);
        expect(r.contentFindings).toContainEqual({ type: 'payment_card', action: 'redact' });
      }),
      { numRuns: 3 },
    );
  });

  it('keeps a PDF without one, and names a PDF it cannot read', { timeout: 60_000 }, async () => {
    const clean = await scan('letter.pdf', buildPdf(['Dear customer, your order has shipped.']));
    expect(clean).toMatchObject({ withhold: false, contentFindings: [], unreadable: [] });
    const broken = await extractPdfText(Buffer.from('%PDF-1.4\nthis is not a PDF'));
    expect(broken).toEqual({ ok: false, reason: 'unreadable' });
    const r = await scan('broken.pdf', Buffer.from('%PDF-1.4\nthis is not a PDF'));
    expect(r.unreadable).toEqual(['broken.pdf: unreadable']);
    expect(r.dangerReasons).toEqual(['not_scanned']);
  });

  it('gives up on a PDF that takes longer than its time limit', { timeout: 60_000 }, async () => {
    const r = await extractPdfText(buildPdf(['slow']), { timeoutMs: 1, maxHeapMb: 64, maxChars: 1000, maxPages: 1 });
    expect(r).toEqual({ ok: false, reason: 'timeout' });
  });
});

describe('a card number inside an archive or an Office document', () => {
  it('is found in a zip text member, a nested zip and a member name', async () => {
    await fc.assert(
      fc.asyncProperty(cardArb, fc.constantFrom('text', 'nested', 'name'), async (card, where) => {
        const inner: Record<string, string | Uint8Array> = where === 'text' ? { 'notes.txt': `pay with ${fours(card)}` } : where === 'name' ? { [`card ${fours(card)}.txt`]: 'hello' } : { 'inner.zip': buildZip({ 'a.txt': `card ${fours(card)}` }) };
        const r = await scan('documents.zip', buildZip({ 'readme.txt': 'nothing here', ...inner }));
        expect(r.withhold).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('is found in a docx even when Word splits it over runs', async () => {
    await fc.assert(
      fc.asyncProperty(cardArb, async (card) => {
        const r = await scan('form.docx', buildDocx(`My card is ${fours(card)} thanks`));
        expect(r.withhold).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('reads paragraphs and cells apart, so words do not glue to numbers', () => {
    expect(officeXmlText('<w:p><w:r><w:t>Card</w:t></w:r></w:p><w:p><w:r><w:t>4111 &amp; 1</w:t></w:r></w:p>')).toBe('Card\n4111 & 1\n');
  });

  it('keeps a clean archive and a clean document', async () => {
    expect((await scan('photos.zip', buildZip({ 'a.txt': 'holiday', 'b.bin': new Uint8Array([0, 1, 2]) }))).withhold).toBe(false);
    expect((await scan('letter.docx', buildDocx('Thank you for your order 12345.'))).withhold).toBe(false);
  });
});

describe('archive limits', () => {
  it('stops a member that inflates past what it declared (a zip bomb) without inflating it all', () => {
    const big = new Uint8Array(8 * 1024 * 1024);
    const zip = zipSync({ 'zeros.txt': [big, { level: 9 }] });
    const [entry] = listZip(zip);
    // The header claims 1 KiB; the data inflates to 8 MiB.
    expect(() => readZipMember(zip, { ...entry!, size: 1024 })).toThrow(ZipLimitError);
    // Declared honestly, the ratio alone marks it.
    expect(() => readZipMember(zip, entry!)).toThrow(/bomb/);
  });

  it('marks a bomb as dangerous and counts members', async () => {
    const bomb = Buffer.from(zipSync({ 'zeros.txt': [new Uint8Array(8 * 1024 * 1024), { level: 9 }] }));
    const r = await scan('bomb.zip', bomb);
    expect(r).toMatchObject({ bomb: true, dangerReasons: ['archive_bomb'] });
    const many = buildZip(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, 'x'])));
    const limited = await extractFileText('many.zip', 'application/zip', many, { ...DEFAULT_EXTRACT_LIMITS, zip: { ...DEFAULT_EXTRACT_LIMITS.zip, maxMembers: 10 } });
    expect(limited.unreadable).toEqual(['many.zip: too_many_members']);
  });

  it('goes no deeper than the nesting limit', async () => {
    let z = buildZip({ 'deep.txt': 'card 4111 1111 1111 1111' });
    for (let i = 0; i < 3; i++) z = buildZip({ [`level${i}.zip`]: z });
    const r = await extractFileText('outer.zip', 'application/zip', z);
    expect(r.unreadable.some((u) => u.endsWith('nested too deep'))).toBe(true);
    expect(r.texts.some((t) => t.text.includes('4111'))).toBe(false);
  });

  it('treats a truncated or non-zip file as unreadable, not as clean', async () => {
    const zip = buildZip({ 'a.txt': 'card 4111 1111 1111 1111' });
    const r = await extractFileText('cut.zip', 'application/zip', zip.subarray(0, zip.length - 10));
    expect(r.unreadable).toEqual(['cut.zip: unreadable']);
  });
});
