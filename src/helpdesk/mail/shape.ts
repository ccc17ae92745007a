/**
 * Is this message well-formed enough to become a ticket? (pure). A message
 * that fails is never dropped: the pipeline stores it in quarantine with these
 * codes, where an administrator can see it.
 */
import type { ParsedMessage } from '../../threats/phishing/index.js';

export function checkMessageShape(raw: Buffer, parsed: ParsedMessage): string[] {
  const codes: string[] = [];
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024));
  const hasSeparator = head.includes('\r\n\r\n') || head.includes('\n\n');
  if (!hasSeparator && raw.length > 0 && parsed.headers.size === 0) codes.push('no_header_block');
  if (raw.length === 0) codes.push('empty');
  if (!parsed.from || !parsed.from.address || !parsed.from.address.includes('@')) codes.push('no_sender');
  if (parsed.truncated && parsed.html === '' && parsed.attachments.length === 0 && parsed.text !== '' && parsed.headers.size > 0 && isFallback(parsed)) codes.push('parser_failed');
  if ((parsed.headers.get('from')?.length ?? 0) > 1) codes.push('multiple_from');
  const unterminated = unterminatedBoundary(raw);
  if (unterminated) codes.push('unterminated_multipart');
  return codes;
}

/** The fallback parser copies the undecoded body; mailparser would have decoded it. */
function isFallback(parsed: ParsedMessage): boolean {
  const ct = parsed.headers.get('content-type')?.[0] ?? '';
  return /multipart\//i.test(ct);
}

/** A multipart boundary declared in the top-level header whose closing delimiter never comes. */
function unterminatedBoundary(raw: Buffer): boolean {
  const headEnd = (() => {
    const a = raw.indexOf('\r\n\r\n');
    const b = raw.indexOf('\n\n');
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  })();
  if (headEnd < 0) return false;
  const header = raw.subarray(0, headEnd).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const ct = /^content-type:[^\n]*multipart\/[^\n]*$/im.exec(header)?.[0];
  if (!ct) return false;
  const m = /boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(ct);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return true;
  return raw.indexOf(`--${boundary}--`, headEnd) < 0;
}
