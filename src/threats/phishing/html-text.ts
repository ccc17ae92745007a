/**
 * The plain text of an HTML-only message, for every reader that needs words rather than markup:
 * the agent's "Plain text and links" view (links kept as "text [url]" so the link warning can act on
 * them), the search index, the sensitive-data scan and the phishing engine. Bounded: input length,
 * nesting depth and children per node are capped, so a hostile message cannot make it slow.
 */
import { compile, type HtmlToTextOptions } from 'html-to-text';
import { htmlToVisibleText } from './text.js';

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  preserveNewlines: false,
  decodeEntities: true,
  limits: { maxDepth: 64, maxChildNodes: 10_000, ellipsis: '…' },
  selectors: [
    // "text [url]": where a link goes is always written, whatever its text shows.
    { selector: 'a', options: { ignoreHref: false, linkBrackets: ['[', ']'] } },
    // Inline images (cid:, data:) and tracking pixels say nothing to a reader.
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'title', format: 'skip' },
  ],
};

/**
 * Converters by input limit, compiled once: `convert(html, options)` compiles its options (selectors, formatters)
 * on every call, which cost more than converting a typical message. Callers use a handful of limits.
 */
const converters = new Map<number, (html: string) => string>();

function converterFor(maxChars: number): (html: string) => string {
  let c = converters.get(maxChars);
  if (!c) {
    c = compile({ ...OPTIONS, limits: { ...OPTIONS.limits, maxInputLength: maxChars } });
    if (converters.size < 16) converters.set(maxChars, c);
  }
  return c;
}

/** Readable text of `html`, at most `maxChars` characters of it read. Never throws. */
export function textFromHtml(html: string, maxChars: number): string {
  if (!html.trim()) return '';
  const input = html.length > maxChars ? html.slice(0, maxChars) : html;
  try {
    return converterFor(maxChars)(input)
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
      .slice(0, maxChars);
  } catch {
    // The converter gave up on this markup: the tag-stripping reader still yields the words.
    return htmlToVisibleText(input, maxChars).replace(/\s+/g, ' ').trim();
  }
}
