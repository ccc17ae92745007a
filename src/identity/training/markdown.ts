/**
 * The Markdown of a training module, as safe HTML (pure). A deliberately small subset, enough for a
 * five-minute read: headings, paragraphs, bullet and numbered lists, quotes, **bold**, *emphasis*, `code`
 * and [links](https://…). Every character of the source is HTML-escaped before any markup is added, so
 * HTML written into a module is shown as text, never run; the result then passes the one rich-text
 * allowlist (helpdesk/rich-text/sanitize.ts) as a second wall. No images, no raw HTML, no tables.
 */
import { sanitizeRichText } from '../../helpdesk/rich-text/sanitize.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Inline markup over one already-escaped line: code spans first (their text is left alone), then links, bold, emphasis. */
function inline(escaped: string): string {
  const parts = escaped.split(/(`[^`]+`)/);
  return parts
    .map((part) => {
      if (/^`[^`]+`$/.test(part)) return `<code>${part.slice(1, -1)}</code>`;
      return part
        .replace(/\[([^\]]{1,300})\]\((https?:\/\/[^\s()]{1,2000}|mailto:[^\s()]{1,320})\)/g, (_m, text: string, href: string) => `<a href="${href}">${text}</a>`)
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
        .replace(/(^|[^\w])_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>');
    })
    .join('');
}

type ListBlock = { kind: 'ul' | 'ol'; lines: string[] };
const isList = (b: unknown): b is ListBlock => typeof b === 'object' && b !== null && ((b as ListBlock).kind === 'ul' || (b as ListBlock).kind === 'ol');

type Block = { kind: 'p' | 'ul' | 'ol' | 'quote'; lines: string[] } | { kind: 'h'; level: number; text: string };

/** Markdown (the subset above) → sanitised HTML. Never throws. */
export function renderModuleMarkdown(source: string): string {
  const blocks: Block[] = [];
  let open: Extract<Block, { lines: string[] }> | null = null;
  const push = (kind: 'p' | 'ul' | 'ol' | 'quote', line: string) => {
    if (open?.kind !== kind) {
      open = { kind, lines: [] };
      blocks.push(open);
    }
    open.lines.push(line);
  };
  for (const raw of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    let m: RegExpExecArray | null;
    if (line.trim() === '') {
      open = null;
    } else if ((m = /^(#{1,4})\s+(.+)$/.exec(line))) {
      open = null;
      blocks.push({ kind: 'h', level: Math.min(4, Math.max(2, m[1]!.length + 1)), text: m[2]! });
    } else if ((m = /^\s*[-*]\s+(.+)$/.exec(line))) {
      push('ul', m[1]!);
    } else if ((m = /^\s*\d{1,3}[.)]\s+(.+)$/.exec(line))) {
      push('ol', m[1]!);
    } else if ((m = /^>\s?(.*)$/.exec(line))) {
      push('quote', m[1]!);
    } else if (isList(open as unknown) && /^\s{2,}\S/.test(raw)) {
      const list = open as unknown as ListBlock;
      list.lines[list.lines.length - 1] += ` ${line.trim()}`; // a list item continued on the next line
    } else {
      push('p', line.trim());
    }
  }
  const html = blocks
    .map((b) => {
      if (b.kind === 'h') return `<h${b.level}>${inline(escape(b.text))}</h${b.level}>`;
      const items = b.lines.map((l) => inline(escape(l)));
      if (b.kind === 'ul' || b.kind === 'ol') return `<${b.kind}>${items.map((i) => `<li>${i}</li>`).join('')}</${b.kind}>`;
      if (b.kind === 'quote') return `<blockquote><p>${items.join('<br>')}</p></blockquote>`;
      return `<p>${items.join(' ')}</p>`;
    })
    .join('\n');
  return sanitizeRichText(html);
}

/** One line of plain text (a question, a choice, an explanation) with inline markup, safe. */
export function renderInline(source: string): string {
  return sanitizeRichText(inline(escape(source)));
}
