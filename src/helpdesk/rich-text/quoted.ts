/**
 * Where the quoted history of an email begins (pure), so the conversation can fold it away: the customer's new
 * words stay in view, the earlier messages they quoted sit behind "Show quoted text". Plain text: a trailing
 * block of ">" lines, an attribution line ("On … wrote:", and the German, French, Spanish, Dutch and Italian
 * forms), an "Original Message" rule, or an Outlook header block (From: then Sent:/Date: and To:/Subject:).
 * HTML: Apple/Thunderbird `<blockquote type="cite">`, Gmail's `gmail_quote`, Outlook's `divRplyFwdMsg` /
 * `appendonsend` and its older bordered header block, Yahoo's `yahoo_quoted`, Thunderbird's `moz-cite-prefix`. Only a trailing history counts: a reply
 * written between quoted lines is left whole, and nothing is folded when no new text stands before it.
 */

const ATTRIBUTION = [
  /^\s*on\b.{1,300}\bwrote\s*:\s*$/i,
  /^\s*am\b.{1,300}\bschrieb\b.{0,300}:\s*$/i,
  /^\s*le\b.{1,300}\ba\s+écrit\s*:\s*$/i,
  /^\s*el\b.{1,300}\bescribió\s*:\s*$/i,
  /^\s*op\b.{1,300}\bschreef\b.{0,300}:\s*$/i,
  /^\s*il\b.{1,300}\bha\s+scritto\s*:\s*$/i,
];
const ORIGINAL_RULE = /^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|forwarded message)\s*-{2,}\s*$/i;
const UNDERSCORE_RULE = /^\s*_{10,}\s*$/;
const HEADER_FROM = /^\s*\*?(from|von|de|van|da)\s*:\*?\s+\S/i;
const HEADER_OTHER = /^\s*\*?(sent|date|gesendet|datum|envoyé|enviado|verzonden|inviato|to|an|à|para|aan|a|subject|betreff|objet|asunto|onderwerp|oggetto|cc)\s*:\*?(\s|$)/i;

interface Line {
  text: string;
  start: number;
}

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (const part of text.split('\n')) {
    out.push({ text: part.replace(/\r$/, ''), start });
    start += part.length + 1;
  }
  return out;
}

const blank = (l: Line | undefined) => !l || l.text.trim() === '';
const quotedLine = (l: Line) => /^\s*>/.test(l.text);

/** An attribution may wrap once ("On Mon, … Megan One <" / "xxx@gmail.com> wrote:"). */
function attributionAt(lines: Line[], i: number): boolean {
  const one = lines[i]?.text ?? '';
  if (ATTRIBUTION.some((r) => r.test(one))) return true;
  const two = `${one} ${lines[i + 1]?.text ?? ''}`;
  return /^\s*(on|am|le|el|op|il)\b/i.test(one) && !quotedLine(lines[i] as Line) && ATTRIBUTION.some((r) => r.test(two));
}

/** From: followed within five lines by at least two of Sent/Date, To, Subject. */
function headerBlockAt(lines: Line[], i: number): boolean {
  if (!HEADER_FROM.test(lines[i]?.text ?? '')) return false;
  let n = 0;
  for (let k = i + 1; k < Math.min(lines.length, i + 6); k++) if (HEADER_OTHER.test(lines[k]?.text ?? '')) n++;
  return n >= 2;
}

/** Whether everything from line `i` on is quoted (">") or blank, with at least one quoted line. */
function trailingQuote(lines: Line[], i: number): boolean {
  let any = false;
  for (let k = i; k < lines.length; k++) {
    const l = lines[k] as Line;
    if (quotedLine(l)) any = true;
    else if (!blank(l)) return false;
  }
  return any;
}

/** Offset in `text` where the quoted history starts, or null when there is none (or nothing new before it). */
export function quotedTextStart(text: string): number | null {
  const lines = linesOf(text.length > 200_000 ? text.slice(0, 200_000) : text);
  let found: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as Line;
    if (ORIGINAL_RULE.test(l.text) || headerBlockAt(lines, i)) {
      found = i;
      break;
    }
    if (UNDERSCORE_RULE.test(l.text) && headerBlockAt(lines, i + 1)) {
      found = i;
      break;
    }
    if (attributionAt(lines, i)) {
      // The attribution must introduce the rest: quoted lines after it, or nothing but the history.
      let k = i + 1;
      if (!/wrote|schrieb|écrit|escribió|schreef|scritto/i.test(l.text)) k++;
      while (blank(lines[k]) && k < lines.length) k++;
      if (k >= lines.length || trailingQuote(lines, k) || quotedLine(lines[k] as Line)) {
        found = i;
        break;
      }
    }
    if (quotedLine(l) && trailingQuote(lines, i)) {
      found = i;
      break;
    }
  }
  if (found === null) return null;
  // Nothing new before the history: fold nothing (a forward, or a reply that is all quote).
  if (lines.slice(0, found).every((l) => blank(l))) return null;
  return (lines[found] as Line).start;
}

/** Split a text into what is new and the quoted history (empty when there is none). */
export function splitQuotedText(text: string): { text: string; quoted: string } {
  const at = quotedTextStart(text);
  return at === null ? { text, quoted: '' } : { text: text.slice(0, at).replace(/\s+$/, ''), quoted: text.slice(at) };
}

const HTML_MARKERS = [
  /<blockquote\b[^>]*\btype\s*=\s*["']?cite\b/i,
  /<(?:div|blockquote)\b[^>]*\bclass\s*=\s*["']?[^"'>]*\bgmail_quote\b/i,
  /<div\b[^>]*\bid\s*=\s*["']?(?:divRplyFwdMsg|appendonsend)\b/i,
  /<div\b[^>]*\bclass\s*=\s*["']?[^"'>]*\byahoo_quoted\b/i,
  /<div\b[^>]*\bclass\s*=\s*["']?[^"'>]*\bmoz-cite-prefix\b/i,
  // Outlook 2007–2016: the header block sits in a div with a thin top border in one of two blues/greys.
  /<div\b[^>]*\bstyle\s*=\s*["'][^"']*border-top:\s*solid\s+#(?:B5C4DF|E1E1E1)\b/i,
];

/** Offset in `html` of the element that opens the quoted history, or null (none, or no new text before it). */
export function quotedHtmlStart(html: string): number | null {
  let at: number | null = null;
  for (const r of HTML_MARKERS) {
    const m = r.exec(html);
    if (m && (at === null || m.index < at)) at = m.index;
  }
  if (at === null) return null;
  // Outlook puts a rule right before its header block: fold it with the history.
  const before = html.slice(0, at);
  const hr = /<hr\b[^>]*>\s*$/i.exec(before);
  if (hr) at = hr.index;
  const visible = html.slice(0, at).replace(/<(style|script|title|head)\b[\s\S]*?<\/\1\s*>/gi, '').replace(/<[^>]*>/g, '').replace(/&nbsp;|&#160;/g, ' ').trim();
  return visible === '' ? null : at;
}

/**
 * The HTML with its quoted history inside a closed `<details>` (works without script, in a sandboxed frame).
 * The browser's parser closes the wrapper where the quote's parent element ends.
 */
export function foldQuotedHtml(html: string, summary: string): string {
  const at = quotedHtmlStart(html);
  if (at === null) return html;
  const label = summary.replace(/[<>&"]/g, '');
  return `${html.slice(0, at)}<details class="quoted"><summary>${label}</summary>${html.slice(at)}</details>`;
}
