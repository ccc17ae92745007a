/**
 * The harmless "invoice" a simulation attaches (decision 0200), generated per recipient. Pure: no database.
 *  - Into the support queue: a one-page PDF with nothing active in it (no link, no script, no form, no
 *    document information or identifiers). Its opening is seen by the console's own download route, so the
 *    file carries no token at all.
 *  - Into a person's own mailbox: a small HTML page with no script, form, redirect or remote resource, whose
 *    one "View invoice" link carries a tracking token of its own (the only way a mailbox can tell).
 * Every value is cleaned and bounded first; the PDF's strings are escaped for PDF, the HTML's for HTML; the
 * file name is built from safe characters only. Invoice number, amount and dates vary per recipient.
 */
import { onePagePdf, pdfString } from '../../platform/pdf.js';
import { randomInt } from 'node:crypto';
import { ATTACHMENT_LIMITS, cleanValue, escapeHtml, fill, fillDocument, safeValues, wrapLines, type DocumentAttachment, type DocumentFacts, type InvoiceAttachment, type TemplateAttachment, type TemplateValues } from './templates.js';

export interface SimulatedAttachment {
  filename: string;
  contentType: 'application/pdf' | 'text/html';
  bytes: Buffer;
}

/** No generated file is larger than this (tested). */
export const MAX_ATTACHMENT_BYTES = 16 * 1024;

export interface InvoiceFacts {
  number: string;
  issued: Date;
  due: Date;
  /** In cents. */
  amountCents: number;
}

/** A per-recipient invoice: its number's shape, the amount and the due date vary, so no two files match. */
export function drawInvoiceFacts(now: Date): InvoiceFacts {
  const year = now.getUTCFullYear();
  const shapes = [
    () => `INV-${year}-${String(randomInt(1000, 99_999)).padStart(5, '0')}`,
    () => `${year}/${randomInt(100, 9999)}`,
    () => `SI-${randomInt(10_000, 99_999)}`,
    () => `${randomInt(100, 999)}-${randomInt(1000, 9999)}`,
  ];
  const number = shapes[randomInt(shapes.length)]!();
  const due = new Date(now.getTime() + randomInt(2, 8) * 86_400_000);
  return { number, issued: now, due, amountCents: randomInt(38_000, 498_000) };
}

const money = (cents: number) => `EUR ${(cents / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const day = (d: Date) => d.toISOString().slice(0, 10);

interface InvoiceText {
  title: string;
  lines: string[];
}

function invoiceText(spec: InvoiceAttachment, values: TemplateValues, facts: InvoiceFacts): InvoiceText {
  const v = safeValues(values);
  const issuer = cleanValue(fill(spec.issuer, v), 80) || 'Accounts';
  const item = cleanValue(fill(spec.item, v), 80) || 'Services';
  return {
    title: `INVOICE ${facts.number}`,
    lines: [
      issuer,
      '',
      `Bill to: ${cleanValue(v.orgName, 80)}`,
      `Invoice date: ${day(facts.issued)}`,
      `Due date: ${day(facts.due)}`,
      '',
      `${item}: ${money(facts.amountCents)}`,
      `Amount due: ${money(facts.amountCents)}`,
      '',
      'Payment terms: on receipt. Late payment fees apply.',
    ],
  };
}

/** A file name of safe characters only: "Invoice_INV-2026-04817.pdf". */
export function invoiceFilename(facts: InvoiceFacts, ext: 'pdf' | 'html'): string {
  return `Invoice_${facts.number.replace(/[^A-Za-z0-9-]/g, '-')}.${ext}`;
}

/** Text a standard PDF font can show: Latin-1 kept, accents folded, anything else a question mark; then escaped. */
function pdfText(s: string): string {
  const latin = [...s.normalize('NFC')].map((c) => (/^[\x20-\x7e\xa0-\xff]$/.test(c) ? c : c.normalize('NFKD').replace(/[\u0300-\u036f]/g, '')))
    .join('').replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
  return pdfString(latin);
}

/**
 * A one-page PDF: Helvetica (a standard font, nothing embedded), text only, a correct cross-reference table,
 * and no document information dictionary, metadata stream or file identifier (nothing names a producer).
 */
export function buildInvoicePdf(spec: InvoiceAttachment, values: TemplateValues, facts: InvoiceFacts): SimulatedAttachment {
  const t = invoiceText(spec, values, facts);
  const content = ['BT', '/F1 18 Tf', '72 720 Td', `${pdfText(t.title)} Tj`, '/F1 11 Tf', '15 TL', 'T* T*', ...t.lines.map((l) => `${pdfText(l)} '`), 'ET'].join('\n');
  return { filename: invoiceFilename(facts, 'pdf'), contentType: 'application/pdf', bytes: onePagePdf(content, { width: 595, height: 842, winAnsi: true }) };
}

/**
 * The mailbox variant: a plain HTML invoice whose "View invoice" link is the only live part. No script, form,
 * meta refresh, remote image or font (mail filters strip active content; a remote image would also be
 * fetched by every sandbox that opens the file), only an inline style.
 */
export function buildInvoiceHtml(spec: InvoiceAttachment, values: TemplateValues, facts: InvoiceFacts, link: string): SimulatedAttachment {
  const t = invoiceText(spec, values, facts);
  const href = cleanValue(link, 400).replace(/\s/g, '');
  const safeHref = /^https?:\/\//i.test(href) ? href : '#';
  const rows = t.lines.filter((l) => l !== '').map((l) => `<p>${escapeHtml(l)}</p>`).join('\n');
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(t.title)}</title>
<style>body{font-family:Arial,Helvetica,sans-serif;max-width:40em;margin:2em auto;color:#222}h1{font-size:1.4em}a.btn{display:inline-block;padding:.6em 1.4em;background:#1a5fb4;color:#fff;text-decoration:none;border-radius:3px}</style>
</head><body>
<h1>${escapeHtml(t.title)}</h1>
${rows}
<p>The itemised invoice and payment details are available online.</p>
<p><a class="btn" href="${escapeHtml(safeHref)}">View invoice</a></p>
</body></html>
`;
  return { filename: invoiceFilename(facts, 'html'), contentType: 'text/html', bytes: Buffer.from(html, 'utf8') };
}

/** The per-recipient values an own attachment's {{document.*}} variables take. */
export function documentFacts(facts: InvoiceFacts): DocumentFacts {
  return { 'document.number': facts.number, 'document.date': day(facts.issued), 'document.due': day(facts.due), 'document.amount': money(facts.amountCents) };
}

/** An own attachment's heading, lines and button as placed (cleaned, bounded, wrapped): the preview shows these. */
export function documentText(spec: DocumentAttachment, values: TemplateValues, facts: InvoiceFacts): { filename: string; title: string; lines: string[]; button: string } {
  const v = safeValues(values);
  const f = documentFacts(facts);
  const title = cleanValue(fillDocument(spec.title, v, f), ATTACHMENT_LIMITS.title) || 'Document';
  const lines = wrapLines([...fillDocument(spec.text, v, f)].slice(0, ATTACHMENT_LIMITS.text * 2).join('')).slice(0, ATTACHMENT_LIMITS.lines);
  const button = cleanValue(fillDocument(spec.button, v, f), ATTACHMENT_LIMITS.button) || 'Open';
  return { filename: documentBasename(spec.filename, facts.number), title, lines, button };
}

/** The file name ({{document.number}} placed) of safe characters only (checked on save; cleaned again here), never empty. */
export function documentBasename(name: string, number: string): string {
  const placed = name.replace(/\{\{\s*document\.number\s*\}\}/g, number.replace(/[^A-Za-z0-9-]/g, '-'));
  const safe = cleanValue(placed, ATTACHMENT_LIMITS.filename).replace(/[^A-Za-z0-9 ._()-]/g, '_').replace(/\.{2,}/g, '.').replace(/^[ ._-]+/, '').trim();
  return safe || 'Document';
}

/** An own attachment as a one-page PDF, built as the invoice is (text only, nothing active, nothing naming a producer). */
export function buildDocumentPdf(spec: DocumentAttachment, values: TemplateValues, facts: InvoiceFacts): SimulatedAttachment {
  const d = documentText(spec, values, facts);
  const content = ['BT', '/F1 18 Tf', '72 760 Td', `${pdfText(d.title)} Tj`, '/F1 11 Tf', '15 TL', 'T* T*', ...d.lines.map((l) => `${pdfText(l)} '`), 'ET'].join('\n');
  return { filename: `${d.filename}.pdf`, contentType: 'application/pdf', bytes: onePagePdf(content, { width: 595, height: 842, winAnsi: true }) };
}

/** The mailbox variant of an own attachment: plain HTML whose one button carries the attachment token (as the invoice's). */
export function buildDocumentHtml(spec: DocumentAttachment, values: TemplateValues, facts: InvoiceFacts, link: string): SimulatedAttachment {
  const d = documentText(spec, values, facts);
  const href = cleanValue(link, 400).replace(/\s/g, '');
  const safeHref = /^https?:\/\//i.test(href) ? href : '#';
  const rows = d.lines.map((l) => (l === '' ? '' : `<p>${escapeHtml(l)}</p>`)).filter(Boolean).join('\n');
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(d.title)}</title>
<style>body{font-family:Arial,Helvetica,sans-serif;max-width:40em;margin:2em auto;color:#222}h1{font-size:1.4em}a.btn{display:inline-block;padding:.6em 1.4em;background:#1a5fb4;color:#fff;text-decoration:none;border-radius:3px}</style>
</head><body>
<h1>${escapeHtml(d.title)}</h1>
${rows}
<p><a class="btn" href="${escapeHtml(safeHref)}">${escapeHtml(d.button)}</a></p>
</body></html>
`;
  return { filename: `${d.filename}.html`, contentType: 'text/html', bytes: Buffer.from(html, 'utf8') };
}

/** The file a template attaches: the shipped invoice or an own document; a mailbox link makes it the HTML variant. */
export function buildAttachment(spec: TemplateAttachment, values: TemplateValues, facts: InvoiceFacts, mailboxLink: string | null): SimulatedAttachment {
  if (spec.kind === 'invoice') return mailboxLink ? buildInvoiceHtml(spec, values, facts, mailboxLink) : buildInvoicePdf(spec, values, facts);
  return mailboxLink ? buildDocumentHtml(spec, values, facts, mailboxLink) : buildDocumentPdf(spec, values, facts);
}
