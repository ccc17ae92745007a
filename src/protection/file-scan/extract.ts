/**
 * The text inside a stored file, so the sensitive-data detectors can read it:
 * PDFs (pdf.ts, in a worker), Office Open XML documents (docx, xlsx, pptx:
 * zips of XML), zip archives (their text members, nested archives and
 * documents up to a depth), and plain text. Everything is bounded (zip.ts,
 * pdf.ts); what could not be read is named in `unreadable`, never silently
 * skipped, so the caller can decide (decision 0120).
 */
import { decodeXML } from 'entities';
import { extractPdfText, DEFAULT_PDF_LIMITS, type PdfLimits } from './pdf.js';
import { DEFAULT_ZIP_LIMITS, listZip, readZipMember, ZipLimitError, type ZipLimits } from './zip.js';

export interface ExtractLimits {
  zip: ZipLimits;
  pdf: PdfLimits;
  /** Archives inside archives: 1 reads a zip's members, 2 reads a zip inside it, no deeper. */
  maxDepth: number;
  /** PDFs inside one file (each costs a worker). */
  maxPdfs: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = { zip: DEFAULT_ZIP_LIMITS, pdf: DEFAULT_PDF_LIMITS, maxDepth: 2, maxPdfs: 5 };

export interface ExtractedText {
  /** Where the text came from: `report.pdf`, `archive.zip/notes.txt`, `letter.docx/word/document.xml`. */
  where: string;
  text: string;
}

export interface Extraction {
  texts: ExtractedText[];
  /** Parts that could not be read, with why (`archive.zip: bomb`, `scan.pdf: encrypted`). */
  unreadable: string[];
}

export type FileKind = 'pdf' | 'office' | 'zip' | 'text' | 'other';

const OFFICE = /^application\/vnd\.(openxmlformats-officedocument|ms-office\.macroenabled)/;
const TEXT_EXT = /\.(txt|csv|tsv|md|json|xml|html?|log|eml|ics|vcf|rtf|yaml|yml|ini)$/i;

export function fileKind(name: string, sniffedType: string, bytes: Uint8Array): FileKind {
  if (sniffedType === 'application/pdf') return 'pdf';
  if (OFFICE.test(sniffedType)) return 'office';
  if (sniffedType === 'application/zip') return 'zip';
  if (sniffedType.startsWith('text/') || sniffedType === 'application/xml' || sniffedType === 'image/svg+xml') return 'text';
  if (TEXT_EXT.test(name) && isMostlyText(bytes)) return 'text';
  return 'other';
}

function sniffMember(name: string, bytes: Uint8Array): FileKind {
  if (bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46) return 'pdf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return /\.(docx|docm|xlsx|xlsm|pptx|pptm)$/i.test(name) ? 'office' : 'zip';
  return isMostlyText(bytes) ? 'text' : 'other';
}

function isMostlyText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) return false;
  }
  return true;
}

/** Text of one Office XML part: paragraph, cell and line ends become breaks, other markup goes. */
export function officeXmlText(xml: string): string {
  return decodeXML(
    xml
      .replace(/<\/(?:w:p|a:p|si|c|row|w:tc|a:tc|text:p)>|<(?:w:br|w:tab|a:br|w:cr)\b[^>]*\/?>/g, '\n')
      .replace(/<[^>]*>/g, ''),
  );
}

const OFFICE_TEXT_PART = /^(?:word|xl|ppt)\/.*\.xml$|^docProps\/(?:core|app|custom)\.xml$/;

export async function extractFileText(name: string, sniffedType: string, bytes: Uint8Array, limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS): Promise<Extraction> {
  const out: Extraction = { texts: [], unreadable: [] };
  const budget = { pdfs: limits.maxPdfs, bytes: limits.zip.maxTotalBytes };
  await extractInto(out, name, fileKind(name, sniffedType, bytes), bytes, 0, limits, budget);
  return out;
}

async function extractInto(out: Extraction, where: string, kind: FileKind, bytes: Uint8Array, depth: number, limits: ExtractLimits, budget: { pdfs: number; bytes: number }): Promise<void> {
  if (kind === 'text') {
    out.texts.push({ where, text: Buffer.from(bytes).toString('utf8') });
    return;
  }
  if (kind === 'pdf') {
    if (budget.pdfs-- <= 0) {
      out.unreadable.push(`${where}: too many documents`);
      return;
    }
    const r = await extractPdfText(bytes, limits.pdf);
    if (r.ok) {
      out.texts.push({ where, text: r.text });
      if (r.truncated) out.unreadable.push(`${where}: truncated`);
    } else out.unreadable.push(`${where}: ${r.reason}`);
    return;
  }
  if (kind !== 'zip' && kind !== 'office') return;
  if (depth >= limits.maxDepth + (kind === 'office' ? 1 : 0)) {
    out.unreadable.push(`${where}: nested too deep`);
    return;
  }
  try {
    const entries = listZip(bytes, limits.zip);
    for (const entry of entries) {
      if (entry.name.endsWith('/')) continue;
      if (kind === 'office' && !OFFICE_TEXT_PART.test(entry.name)) continue;
      const at = `${where}/${entry.name}`;
      // A member's name is text the customer wrote too.
      if (kind === 'zip') out.texts.push({ where: `${at} (name)`, text: entry.name });
      if (entry.size > budget.bytes) throw new ZipLimitError('too_large');
      let member: Uint8Array;
      try {
        member = readZipMember(bytes, entry, limits.zip);
      } catch (err) {
        if (!(err instanceof ZipLimitError) || err.reason === 'bomb') throw err;
        out.unreadable.push(`${at}: ${err.reason}`);
        continue;
      }
      budget.bytes -= member.length;
      if (kind === 'office') out.texts.push({ where: at, text: officeXmlText(Buffer.from(member).toString('utf8')) });
      else await extractInto(out, at, sniffMember(entry.name, member), member, depth + 1, limits, budget);
    }
  } catch (err) {
    out.unreadable.push(`${where}: ${err instanceof ZipLimitError ? err.reason : 'unreadable'}`);
  }
}
