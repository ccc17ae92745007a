/**
 * Rich text written by staff (replies, signatures, knowledge-base articles) made safe to store, show and send
 * (pure). This is the one allowlist for HTML that Trustdesk itself produces from the composer: structure and
 * emphasis only — paragraphs, line breaks, bold/italic/underline/strike, lists, quotes, code, headings 2–4, rules,
 * links and images. No style, class or id attribute, no event handler, no form, frame, SVG or MathML; links only to
 * http(s) and mailto (opened in a new tab, without the opener or a referrer); images only where the caller says
 * (`imageSrc`), never SVG. Anything else is dropped, text of script-like elements with it.
 *
 * The text twin (`richTextToPlain`) is what plain-text readers get: the text/plain part of a multipart email, the
 * search index, the sensitive-data scanner. Links are written "text [url]" so the address stays visible.
 *
 * Inbound customer HTML is a different problem (layout kept, shown in a sandboxed frame): see tickets/email-html.ts.
 */
import sanitizeHtml from 'sanitize-html';
import { textFromHtml } from '../../threats/phishing/html-text.js';

/** Longest rich text accepted before sanitising (characters). */
export const MAX_RICH_TEXT_CHARS = 500_000;

const TAGS = ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre', 'h2', 'h3', 'h4', 'hr', 'img'];
const DROP_WITH_TEXT = ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'iframe', 'object', 'embed', 'applet', 'frameset', 'template', 'svg', 'math', 'head', 'xmp', 'select', 'button'];

export interface RichTextOptions {
  /**
   * Which image sources are kept (the rest of the <img> is dropped). Default: none. Typical callers allow
   * `cid:` parts of the same email, or the application's own file URLs.
   */
  imageSrc?: (src: string) => boolean;
}

/** Safe HTML for `input`; never throws. Over-long input is cut before parsing. */
export function sanitizeRichText(input: string, options: RichTextOptions = {}): string {
  const source = input.length > MAX_RICH_TEXT_CHARS ? input.slice(0, MAX_RICH_TEXT_CHARS) : input;
  const imageSrc = options.imageSrc ?? (() => false);
  return sanitizeHtml(source, {
    allowedTags: TAGS,
    allowedAttributes: { a: ['href', 'target', 'rel'], img: ['src', 'alt', 'width', 'height'], ol: ['start'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['cid', 'https', 'http', 'data'] },
    allowProtocolRelative: false,
    nonTextTags: DROP_WITH_TEXT,
    disallowedTagsMode: 'discard',
    transformTags: {
      b: 'strong',
      i: 'em',
      a: (tagName, attribs): sanitizeHtml.Tag => {
        const href = (attribs.href ?? '').trim();
        if (!/^(https?:\/\/|mailto:)/i.test(href)) return { tagName: 'span', attribs: {} }; // not allowed: only its text stays
        return { tagName, attribs: { href: href.slice(0, 2048), target: '_blank', rel: 'noopener noreferrer nofollow' } };
      },
      img: (tagName, attribs): sanitizeHtml.Tag => {
        const src = (attribs.src ?? '').trim();
        if (!src || /^data:image\/svg/i.test(src) || !imageSrc(src)) return { tagName: 'trustdesk-drop', attribs: {} };
        const out: Record<string, string> = { src, alt: (attribs.alt ?? '').slice(0, 300) };
        for (const dim of ['width', 'height'] as const) if (/^\d{1,4}$/.test(attribs[dim] ?? '')) out[dim] = attribs[dim] as string;
        return { tagName, attribs: out };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'trustdesk-drop',
  }).trim();
}

/** True when sanitised rich text holds nothing a reader would see (no words, no image). */
export function isBlankRichText(html: string): boolean {
  return !/<img\b/i.test(html) && richTextToPlain(html).trim() === '';
}

/** Plain text of (sanitised) rich text: paragraphs and list items on their own lines, links as "text [url]". */
export function richTextToPlain(html: string): string {
  return textFromHtml(html, MAX_RICH_TEXT_CHARS);
}

/** Plain text typed by a person, as rich text: escaped, paragraphs at blank lines, line breaks kept. */
export function plainToRichText(text: string): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${escape(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}
