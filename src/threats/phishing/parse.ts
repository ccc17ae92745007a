/**
 * Raw RFC 5322 bytes → ParsedMessage, with every size bounded before mailparser sees it.
 * Never throws: a message the parser rejects still yields headers and a best-effort body,
 * marked truncated, so it can be analysed and kept (product invariant 8).
 */
import type { AddressObject, ParsedMail } from 'mailparser';
import { textFromHtml } from './html-text.js';
import type { HeaderMap, ParsedAddress, ParsedAttachment, ParsedMessage } from './types.js';

export interface ParseLimits {
  /** Bytes of the raw message parsed; the rest is ignored. */
  maxBytes: number;
  /** Bytes of the top-level header block. */
  maxHeaderBytes: number;
  /** Header fields kept (top level). */
  maxHeaders: number;
  /** Characters kept per header value. */
  maxHeaderValueChars: number;
  /** Multipart containers parsed; bounds MIME depth and breadth together. */
  maxMultiparts: number;
  maxAttachments: number;
  /** Attachment bytes kept for inspection (archives are listed from them). */
  maxAttachmentBytes: number;
  /** Characters of HTML and of text kept. */
  maxBodyChars: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxHeaderBytes: 256 * 1024,
  maxHeaders: 500,
  maxHeaderValueChars: 8192,
  maxMultiparts: 100,
  maxAttachments: 100,
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxBodyChars: 2 * 1024 * 1024,
};

/** Builds the case-insensitive multimap from "Name: value" lines (already unfolded or not). */
export function buildHeaderMap(
  lines: Iterable<{ key: string; line: string }>,
  limits: Pick<ParseLimits, 'maxHeaders' | 'maxHeaderValueChars'> = DEFAULT_PARSE_LIMITS,
): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let count = 0;
  for (const { key, line } of lines) {
    if (count++ >= limits.maxHeaders) break;
    const colon = line.indexOf(':');
    const raw = colon >= 0 ? line.slice(colon + 1) : '';
    const value = raw.slice(0, limits.maxHeaderValueChars).replace(/\r?\n[ \t]+/g, ' ').trim();
    const k = key.toLowerCase();
    const list = map.get(k);
    if (list) list.push(value);
    else map.set(k, [value]);
  }
  return map;
}

/** Splits a raw header block into fields without any regex that could backtrack. */
export function splitHeaderBlock(block: string): Array<{ key: string; line: string }> {
  const out: Array<{ key: string; line: string }> = [];
  let current = '';
  for (const line of block.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current += '\n' + line;
      continue;
    }
    if (current) out.push({ key: current.slice(0, Math.max(0, current.indexOf(':'))).trim(), line: current });
    current = line;
  }
  if (current) out.push({ key: current.slice(0, Math.max(0, current.indexOf(':'))).trim(), line: current });
  return out.filter((h) => h.key.length > 0);
}

interface Prepared {
  raw: Buffer;
  truncated: boolean;
  headerBlock: string;
}

function findHeaderEnd(raw: Buffer, limit: number): number {
  const max = Math.min(raw.length, limit);
  for (let i = 0; i < max; i++) {
    if (raw[i] === 0x0a && (raw[i + 1] === 0x0a || (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a))) return i + 1;
  }
  return -1;
}

/** Cuts the raw message to the limits before the parser sees it. */
export function prepareRaw(input: Buffer, limits: ParseLimits): Prepared {
  let truncated = false;
  let raw = input;
  if (raw.length > limits.maxBytes) {
    raw = raw.subarray(0, limits.maxBytes);
    truncated = true;
  }
  let headerEnd = findHeaderEnd(raw, limits.maxHeaderBytes);
  if (headerEnd < 0 && raw.length > limits.maxHeaderBytes) {
    // Header block too big: keep the fields that fit and treat the rest as lost.
    const head = raw.subarray(0, limits.maxHeaderBytes).toString('latin1');
    const cut = head.lastIndexOf('\n');
    raw = Buffer.concat([raw.subarray(0, cut > 0 ? cut + 1 : 0), Buffer.from('\r\n')]);
    headerEnd = raw.length;
    truncated = true;
  }
  const headerBlock = raw.subarray(0, headerEnd < 0 ? raw.length : headerEnd).toString('latin1');
  const fields = splitHeaderBlock(headerBlock);
  if (fields.length > limits.maxHeaders) {
    const kept = fields.slice(0, limits.maxHeaders).map((f) => f.line).join('\r\n') + '\r\n\r\n';
    raw = Buffer.concat([Buffer.from(kept, 'latin1'), raw.subarray(headerEnd < 0 ? raw.length : headerEnd)]);
    truncated = true;
  }
  // Bound MIME depth and breadth: past N multipart declarations the rest is left unparsed.
  const marker = Buffer.from('boundary=');
  let pos = 0;
  for (let n = 0; ; n++) {
    const at = indexOfCaseless(raw, marker, pos);
    if (at < 0) break;
    if (n >= limits.maxMultiparts) {
      raw = raw.subarray(0, at);
      truncated = true;
      break;
    }
    pos = at + marker.length;
  }
  return { raw, truncated, headerBlock };
}

function indexOfCaseless(buf: Buffer, needle: Buffer, from: number): number {
  // "boundary=" is almost always lower-case; the upper-case form is checked as a second pass.
  const a = buf.indexOf(needle, from);
  const b = buf.indexOf(Buffer.from(needle.toString().toUpperCase()), from);
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function firstAddress(obj: AddressObject | AddressObject[] | undefined): ParsedAddress | null {
  const list = all(obj);
  return list[0] ?? null;
}

function all(obj: AddressObject | AddressObject[] | undefined): ParsedAddress[] {
  if (!obj) return [];
  const out: ParsedAddress[] = [];
  for (const o of Array.isArray(obj) ? obj : [obj]) {
    for (const v of o.value ?? []) {
      out.push({ name: (v.name ?? '').slice(0, 512), address: (v.address ?? '').toLowerCase().slice(0, 512) });
      if (out.length >= 50) return out;
    }
  }
  return out;
}

/** Maps mailparser's output to the engine's plain structure. */
export function toParsedMessage(mail: ParsedMail, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedMessage {
  const headers = buildHeaderMap(mail.headerLines ?? [], limits);
  const attachments: ParsedAttachment[] = [];
  let kept = 0;
  for (const a of (mail.attachments ?? []).slice(0, limits.maxAttachments)) {
    const item: ParsedAttachment = {
      filename: (a.filename ?? '').slice(0, 512),
      contentType: (a.contentType ?? 'application/octet-stream').toLowerCase(),
      size: a.size ?? a.content?.length ?? 0,
    };
    if (a.content && kept + a.content.length <= limits.maxAttachmentBytes) {
      item.content = a.content;
      kept += a.content.length;
    }
    attachments.push(item);
  }
  const html = (typeof mail.html === 'string' ? mail.html : '').slice(0, limits.maxBodyChars);
  const sent = (mail.text ?? '').slice(0, limits.maxBodyChars);
  // HTML-only mail (or an empty text part): the text every reader uses is derived from the HTML.
  const derive = sent.trim() === '' && html.trim() !== '';
  return {
    from: firstAddress(mail.from),
    replyTo: all(mail.replyTo),
    subject: (mail.subject ?? '').slice(0, 2048),
    text: derive ? textFromHtml(html, limits.maxBodyChars) : sent,
    html,
    ...(derive ? { textFromHtml: true } : {}),
    headers,
    attachments,
    truncated: (mail.attachments?.length ?? 0) > limits.maxAttachments,
  };
}

/** Fallback when mailparser rejects the message: headers by hand, body as Latin-1 text. */
function fallbackMessage(prep: Prepared, limits: ParseLimits): ParsedMessage {
  const headers = buildHeaderMap(splitHeaderBlock(prep.headerBlock), limits);
  const addr = (v: string | undefined): ParsedAddress | null => {
    if (!v) return null;
    const lt = v.lastIndexOf('<');
    const gt = v.indexOf('>', lt);
    const address = lt >= 0 && gt > lt ? v.slice(lt + 1, gt) : v;
    const name = lt > 0 ? v.slice(0, lt).trim().replace(/^"|"$/g, '') : '';
    return { name: name.slice(0, 512), address: address.trim().toLowerCase().slice(0, 512) };
  };
  const replyTo = addr(headers.get('reply-to')?.[0]);
  return {
    from: addr(headers.get('from')?.[0]),
    replyTo: replyTo ? [replyTo] : [],
    subject: (headers.get('subject')?.[0] ?? '').slice(0, 2048),
    text: prep.raw.subarray(prep.headerBlock.length).toString('latin1').slice(0, limits.maxBodyChars),
    html: '',
    headers,
    attachments: [],
    truncated: true,
  };
}

export async function parseRawMessage(raw: Buffer, limits: Partial<ParseLimits> = {}): Promise<ParsedMessage> {
  const lim: ParseLimits = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const prep = prepareRaw(raw, lim);
  try {
    const { simpleParser } = await import('mailparser');
    const mail = await simpleParser(prep.raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: lim.maxBodyChars,
    });
    const msg = toParsedMessage(mail, lim);
    if (prep.truncated) msg.truncated = true;
    return msg;
  } catch {
    return fallbackMessage(prep, lim);
  }
}
