/**
 * Builders of real files for tests: a minimal valid PDF written by hand (one
 * page, Helvetica, the given lines) and zip archives (fflate).
 */
import { zipSync, type Zippable } from 'fflate';
import { onePagePdf, pdfString } from '../../platform/pdf.js';

/** A one-page PDF showing `lines`, with a correct cross-reference table. */
export function buildPdf(lines: readonly string[]): Buffer {
  const content = ['BT', '/F1 12 Tf', '72 720 Td', '14 TL', ...lines.map((l, i) => `${i === 0 ? '' : 'T* '}${pdfString(l)} Tj`), 'ET'].join('\n');
  return onePagePdf(content, { width: 612, height: 792 });
}

export function buildZip(files: Record<string, string | Uint8Array>, level: 0 | 6 = 6): Buffer {
  const z: Zippable = {};
  for (const [name, v] of Object.entries(files)) z[name] = [typeof v === 'string' ? new TextEncoder().encode(v) : v, { level }];
  return Buffer.from(zipSync(z));
}

/** A .docx whose one paragraph holds `text` (split over two runs, as Word does). */
export function buildDocx(text: string): Buffer {
  const half = Math.floor(text.length / 2);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return buildZip({
    '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    'word/document.xml': `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${esc(text.slice(0, half))}</w:t></w:r><w:r><w:t>${esc(text.slice(half))}</w:t></w:r></w:p></w:body></w:document>`,
  });
}
