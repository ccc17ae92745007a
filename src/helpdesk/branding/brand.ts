/**
 * Branding rules (pure): what a logo upload must be, whether an accent colour
 * is readable, the sender a customer sees, and the acknowledgement template.
 * Decision 0158.
 */
import type { LogoType } from './schema.js';

/** A header logo needs no more; larger files are refused, not resized. */
export const LOGO_MAX_BYTES = 256 * 1024;
/** White text on the accent colour must reach WCAG AA for normal text. */
export const ACCENT_MIN_CONTRAST = 4.5;
export const DISPLAY_NAME_MAX = 100;

export type LogoRefusal = 'empty' | 'too_large' | 'svg' | 'unsupported_type' | 'malformed' | 'trailing_data' | 'markup';

export const LOGO_REFUSALS: Record<LogoRefusal, string> = {
  empty: 'The file is empty.',
  too_large: `The logo must be at most ${LOGO_MAX_BYTES / 1024} KiB.`,
  svg: 'SVG logos are not accepted (they can carry scripts). Upload a PNG, JPEG or WebP image.',
  unsupported_type: 'Upload a PNG, JPEG or WebP image.',
  malformed: 'The file is not a complete image.',
  trailing_data: 'The file carries data after the end of the image.',
  markup: 'The file carries markup or script text inside the image.',
};

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);

/**
 * The logo's real type from its bytes, or why it is refused. Only PNG, JPEG and WebP pass, and only
 * when the file is one whole image and nothing else: data after the image's end (a polyglot: image
 * and HTML/ZIP in one file) and markup anywhere in the bytes are refused, so no browser or mail
 * client can be talked into reading it as something else, whatever headers say.
 */
export function checkLogo(bytes: Uint8Array): { ok: true; type: LogoType } | { ok: false; reason: LogoRefusal } {
  if (bytes.length === 0) return { ok: false, reason: 'empty' };
  if (bytes.length > LOGO_MAX_BYTES) return { ok: false, reason: 'too_large' };
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('<svg') || head.startsWith('<?xml') || head.includes('<svg')) return { ok: false, reason: 'svg' };
  let type: LogoType;
  let end: number | null;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    type = 'image/png';
    end = pngEnd(bytes);
  } else if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    type = 'image/jpeg';
    end = jpegEnd(bytes);
  } else if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    type = 'image/webp';
    end = 8 + Buffer.from(bytes).readUInt32LE(4);
    if (end > bytes.length) end = null;
  } else {
    return { ok: false, reason: 'unsupported_type' };
  }
  if (end === null) return { ok: false, reason: 'malformed' };
  if (end < bytes.length) return { ok: false, reason: 'trailing_data' };
  if (MARKUP.test(Buffer.from(bytes).toString('latin1'))) return { ok: false, reason: 'markup' };
  return { ok: true, type };
}

// Text a browser sniffing for HTML or script would act on; chance occurrences in compressed image data are vanishingly rare.
const MARKUP = /<(script|html|svg|iframe|object|embed|body|img|a\s|\?xml|!doctype)|javascript:/i;

/** The offset just past the IEND chunk, walking chunk lengths; null when the chunk chain is broken. */
function pngEnd(b: Uint8Array): number | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let at = 8;
  let first = true;
  while (at + 12 <= buf.length) {
    const len = buf.readUInt32BE(at);
    const kind = buf.toString('latin1', at + 4, at + 8);
    if (first && kind !== 'IHDR') return null;
    first = false;
    const next = at + 12 + len;
    if (next > buf.length) return null;
    if (kind === 'IEND') return next;
    at = next;
  }
  return null;
}

/** The offset just past the EOI marker that ends the entropy-coded scan; null when there is none. */
function jpegEnd(b: Uint8Array): number | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let at = 2;
  // Marker segments up to the start of scan, then scan data until EOI (0xFFD9; 0xFF00 and RSTn are data).
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return null;
    const marker = buf[at + 1] as number;
    if (marker === 0xd9) return at + 2;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const len = buf.readUInt16BE(at + 2);
    at += 2 + len;
    if (marker === 0xda) {
      while (at + 1 < buf.length) {
        if (buf[at] === 0xff) {
          const m = buf[at + 1] as number;
          if (m === 0xd9) return at + 2;
          if (m !== 0x00 && !(m >= 0xd0 && m <= 0xd7)) break;
        }
        at++;
      }
    }
  }
  return null;
}

/** `#rrggbb`, lower case, or null when it is not one. */
export function normalizeHexColor(value: string): string | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(value.trim());
  return m ? `#${(m[1] as string).toLowerCase()}` : null;
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** WCAG contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Line breaks, angle brackets and quotes out of a display name, so it is safe in a From header and in text. */
export function cleanDisplayName(name: string): string {
  return name.replace(/[\r\n\t<>"\\]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, DISPLAY_NAME_MAX);
}

/** The bare address of a configured From (`Name <a@b>` or `a@b`). */
export function addressOf(mailFrom: string): string {
  const m = /<([^<>\s]+)>/.exec(mailFrom);
  return (m?.[1] ?? mailFrom).trim();
}

/** The sender a customer sees: the organisation's name, never the product's, at the given address. */
export function brandedSender(brand: string, address: string): { name: string; address: string } {
  return { name: cleanDisplayName(brand), address };
}

export const ACK_TEMPLATE_MAX = 4000;
export const ACK_PLACEHOLDERS = ['ticket.number', 'portal.link', 'organization.name'] as const;

export const DEFAULT_ACK_TEMPLATE = [
  'Hello,',
  '',
  'Thank you for writing to {{organization.name}}. We have received your request and given it the number #{{ticket.number}}.',
  'Someone from our team will answer you soon. You can follow your request here: {{portal.link}}',
  '',
  'This is an automatic message. There is no need to reply to it.',
].join('\n');

/** Placeholders the template names that do not exist (the administration screen shows them before saving). */
export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)].map((m) => m[1] as string);
  return [...new Set(names.filter((n) => !(ACK_PLACEHOLDERS as readonly string[]).includes(n)))];
}

/** Fills the acknowledgement template. Values are inserted once (no re-expansion of braces inside them). */
export function renderAcknowledgement(template: string, values: { ticketNumber: number; portalLink: string; organizationName: string }): string {
  const table: Record<string, string> = { 'ticket.number': String(values.ticketNumber), 'portal.link': values.portalLink, 'organization.name': values.organizationName };
  return template.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, name: string) => table[name] ?? whole);
}
