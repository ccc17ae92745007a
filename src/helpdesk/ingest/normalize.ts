/**
 * Text from a parsed message made storable. A sender controls every byte, and
 * two kinds of text cannot be stored as they are: a lone UTF-16 surrogate
 * (e.g. a subject encoded as `=?UTF-16BE?B?2AA=?=`; the field cipher refuses it
 * rather than change it silently) and NUL (PostgreSQL text cannot hold it).
 * Both are replaced here, once, before analysis and storage: a lone surrogate
 * becomes U+FFFD, NUL is removed, and the caller records the note
 * `text_normalized`. The raw message is kept byte for byte (encrypted).
 */
import type { ParsedAddress, ParsedMessage } from '../../threats/phishing/index.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;

export const TEXT_NORMALIZED = 'text_normalized';

/** The text with lone surrogates as U+FFFD and NUL removed. */
export function storableText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(NUL, '');
}

/** A copy of the parsed message whose every string is storable, and whether anything changed. */
export function normalizeParsedMessage(parsed: ParsedMessage): { parsed: ParsedMessage; normalized: boolean } {
  let normalized = false;
  const fix = (s: string): string => {
    const out = storableText(s);
    if (out !== s) normalized = true;
    return out;
  };
  const address = (a: ParsedAddress): ParsedAddress => ({ ...a, name: fix(a.name), address: fix(a.address) });
  const headers = new Map<string, string[]>();
  for (const [k, values] of parsed.headers) headers.set(fix(k), values.map(fix));
  const result: ParsedMessage = {
    ...parsed,
    from: parsed.from ? address(parsed.from) : null,
    replyTo: parsed.replyTo.map(address),
    subject: fix(parsed.subject),
    text: fix(parsed.text),
    html: fix(parsed.html),
    headers,
    attachments: parsed.attachments.map((a) => ({ ...a, filename: fix(a.filename), contentType: fix(a.contentType) })),
  };
  return { parsed: result, normalized };
}

/**
 * Raw mail with CRLF line endings. Some old clients and gateways end lines with
 * a bare CR; parsers then see one endless header line and lose From, Subject
 * and Message-ID. Every CR not followed by LF becomes CRLF (bare LF is already
 * read as a line end). Returns the same buffer when there is nothing to change.
 */
export function crlfLineEndings(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = raw.indexOf(0x0d); i >= 0; i = raw.indexOf(0x0d, i + 1)) if (raw[i + 1] !== 0x0a) bare++;
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    out[o++] = b;
    if (b === 0x0d && raw[i + 1] !== 0x0a) out[o++] = 0x0a;
  }
  return out;
}
