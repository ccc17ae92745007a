/** Linear-time text helpers: visible text of HTML, word normalisation, phrase matching. */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Drops <script>, <style> and <head> blocks, then tags, keeping the text a reader sees. */
export function htmlToVisibleText(html: string, maxChars: number): string {
  const src = html.length > maxChars ? html.slice(0, maxChars) : html;
  const lower = src.toLowerCase();
  let out = '';
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      out += src.slice(i);
      break;
    }
    out += src.slice(i, lt);
    let skipTo = -1;
    for (const tag of ['script', 'style', 'head', 'title']) {
      if (lower.startsWith(tag, lt + 1)) {
        const end = lower.indexOf(`</${tag}`, lt);
        skipTo = end < 0 ? src.length : end + tag.length + 2;
        break;
      }
    }
    if (skipTo < 0 && lower.startsWith('!--', lt + 1)) {
      const end = src.indexOf('-->', lt + 4);
      skipTo = end < 0 ? src.length : end + 3;
    }
    if (skipTo >= 0) {
      const gt = src.indexOf('>', skipTo);
      i = gt < 0 ? src.length : gt + 1;
      out += ' ';
      continue;
    }
    const gt = src.indexOf('>', lt);
    if (gt < 0) break;
    out += ' ';
    i = gt + 1;
  }
  return decodeEntities(out);
}

/** Lower-case words joined by single spaces, framed by spaces, for whole-word search. */
export function normalizeWords(s: string): string {
  const words = s.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  return words ? ` ${words.join(' ')} ` : ' ';
}

/** Phrases (already list entries) found as whole words in text normalised by normalizeWords. */
interface Needle {
  /** " verify your account " */
  text: string;
  /** Its words; the phrase can only occur where all of them do. */
  words: string[];
}
const compiled = new WeakMap<readonly string[], Needle[]>();

/**
 * The words of the last few texts searched: phrase lists are searched one after another over the
 * same text, and a phrase whose words do not all occur cannot occur, so most phrases are
 * rejected by set lookups instead of a scan of the whole text.
 */
const recentWords: Array<{ text: string; words: Set<string> }> = [];
function wordsOf(normalized: string): Set<string> {
  for (const r of recentWords) if (r.text === normalized) return r.words;
  const words = new Set(normalized.split(' '));
  // A message's body, subject and display name are searched in turn: keep a few.
  recentWords.unshift({ text: normalized, words });
  if (recentWords.length > 4) recentWords.pop();
  return words;
}

export function findPhrases(normalized: string, phrases: readonly string[], limit = 10): string[] {
  let needles = compiled.get(phrases);
  if (!needles) {
    // A phrase listed twice (once per language that shares it, "dringend", "premio"; or again in an
    // administrator's extension) is one phrase: counted twice it would weigh as two (decision 0188).
    const seen = new Set<string>();
    needles = phrases.map((p) => {
      const text = normalizeWords(p);
      const repeat = seen.has(text);
      seen.add(text);
      return { text: repeat ? '' : text, words: text.trim().split(' ').filter(Boolean) };
    });
    compiled.set(phrases, needles);
  }
  const words = wordsOf(normalized);
  const found: string[] = [];
  for (let i = 0; i < needles.length; i++) {
    const needle = needles[i]!;
    if (needle.text.length <= 2) continue;
    if (!needle.words.every((w) => words.has(w))) continue;
    if (needle.words.length === 1 || normalized.includes(needle.text)) {
      found.push(phrases[i]!);
      if (found.length >= limit) break;
    }
  }
  return found;
}

export function truncateForEvidence(s: string, max = 80): string {
  const clean = s.replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
