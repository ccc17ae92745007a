/**
 * Email HTML made safe to show (pure). sanitize-html keeps formatting and
 * inline styles, and removes everything that runs, submits, embeds or
 * navigates: scripts, event handlers, forms, frames, objects, <base>, <meta>,
 * `javascript:`/`data:` addresses. Links lose their address (it is shown as
 * text after the link): the sandboxed frame may not open windows, and a click
 * inside it would load the target in the frame without the link warning page.
 * Images: `cid:` parts come inlined as data: URLs of raster images; remote
 * ones are dropped unless the agent asked for remote content (https only).
 * The response CSP (`htmlResponseCsp`) enforces the same rules again in the
 * browser. Decision 0091.
 */
import sanitizeHtml from 'sanitize-html';

/** Raster image types that may be inlined (never SVG: it can carry script and links). */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

export interface EmailHtmlOptions {
  /** Content-ID (without angle brackets, lower-cased) → data: URL of a raster image. */
  inlineImages: ReadonlyMap<string, string>;
  /** Load remote (https) images. */
  remote: boolean;
}

export interface SanitizedEmailHtml {
  html: string;
  /** Remote images removed because remote content was not allowed. */
  blockedImages: number;
}

const DATA_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[a-z0-9+/=\s]+$/i;

const ALLOWED_TAGS = [
  'a', 'abbr', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup',
  'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
  'i', 'img', 'ins', 'kbd', 'li', 'main', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strike', 'strong', 'sub', 'summary',
  'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];
const LAYOUT_ATTRIBUTES = ['style', 'class', 'dir', 'lang', 'title', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border', 'cellpadding', 'cellspacing', 'colspan', 'rowspan', 'face', 'size'];

function cidOf(src: string): string | null {
  const m = /^cid:(.+)$/i.exec(src.trim());
  if (!m?.[1]) return null;
  let id = m[1];
  try {
    id = decodeURIComponent(id);
  } catch {
    // keep as written
  }
  return id.replace(/^<|>$/g, '').trim().toLowerCase();
}

export function sanitizeEmailHtml(input: string, options: EmailHtmlOptions): SanitizedEmailHtml {
  let blockedImages = 0;
  const html = sanitizeHtml(input, {
    allowedTags: ALLOWED_TAGS,
    // Everything not listed (on*, formaction, srcset, background, href of non-links…) is dropped.
    allowedAttributes: { '*': LAYOUT_ATTRIBUTES, img: [...LAYOUT_ATTRIBUTES, 'src', 'alt'], a: [...LAYOUT_ATTRIBUTES, 'data-href'] },
    allowedSchemes: [],
    allowedSchemesByTag: { img: options.remote ? ['data', 'https'] : ['data'] },
    allowProtocolRelative: false,
    // Text of removed elements that only run or embed (script, style, iframe, object…) is dropped with them.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'iframe', 'object', 'embed', 'applet', 'frameset', 'template', 'svg', 'math', 'head', 'xmp', 'select', 'button'],
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => {
        const { href, ...rest } = attribs;
        const out: Record<string, string> = { ...rest };
        // The address stays visible (and checkable) as an attribute that nothing follows.
        if (href && /^(https?:|mailto:)/i.test(href.trim())) out['data-href'] = href.trim().slice(0, 2048);
        return { tagName, attribs: out };
      },
      img: (tagName, attribs) => {
        const { src, ...rest } = attribs;
        const out: Record<string, string> = { ...rest };
        const s = (src ?? '').trim();
        const cid = cidOf(s);
        if (cid) {
          const inline = options.inlineImages.get(cid);
          if (inline) out.src = inline;
        } else if (DATA_IMAGE.test(s)) {
          out.src = s;
        } else if (/^https:\/\//i.test(s) && options.remote) {
          out.src = s;
        } else if (s) {
          blockedImages++;
          out.alt = out.alt ? `[${out.alt}]` : '[image]';
        }
        return { tagName, attribs: out };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src && !frame.attribs.alt,
  });
  return { html: withLinkAddresses(html), blockedImages };
}

/** Shows each link's address after its text, so the agent sees where it would go. */
function withLinkAddresses(html: string): string {
  return html.replace(/<a\b([^>]*?)\sdata-href="([^"]*)"([^>]*)>([\s\S]*?)<\/a>/gi, (_all, before: string, href: string, after: string, text: string) => {
    const shown = text.replace(/<[^>]*>/g, '').trim();
    const address = href.replace(/&amp;/g, '&');
    const same = shown === address || shown === address.replace(/^mailto:/i, '');
    return `<a${before}${after} title="${href}">${text}</a>${same ? '' : ` <span class="td-link-address">[${href}]</span>`}`;
  });
}

/** The Content-Security-Policy of one sanitised email body. */
export function htmlResponseCsp(remote: boolean): string {
  return `sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:${remote ? ' https:' : ''}; frame-ancestors 'self'`;
}

/** A whole document around the sanitised body (UTF-8, no referrer, readable default font). */
export function emailHtmlDocument(body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"></head><body>${body}</body></html>`;
}
