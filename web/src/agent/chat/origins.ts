/**
 * The chat settings' allowed web origins, one per line, checked in the browser before saving so an administrator
 * sees which line is wrong and why: an origin is exactly scheme + host (+ port), `https://www.example.com`, with no
 * path, query, wildcard or credentials (the server checks again; docs/chat.md). Pure (origins.test.ts).
 */

export type OriginProblem = 'scheme' | 'wildcard' | 'path' | 'invalid' | 'duplicate';

export interface OriginLine {
  line: number;
  value: string;
  problem: OriginProblem;
}

/** An http(s) origin as written, normalised (lower-case host, default port dropped), or the reason it is not one. */
export function checkOrigin(value: string): { origin: string } | { problem: Exclude<OriginProblem, 'duplicate'> } {
  if (value.includes('*')) return { problem: 'wildcard' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'invalid' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: 'scheme' };
  if (url.username || url.password || !url.hostname) return { problem: 'invalid' };
  // `new URL` adds a "/" path to a bare origin; anything more (a path, ?query, #fragment) is not an origin.
  const rest = value.replace(/^[a-z]+:\/\/[^/?#]*/i, '');
  if (rest !== '' && rest !== '/') return { problem: 'path' };
  return { origin: url.origin };
}

/** The origins of a text box (blank lines ignored) and the lines that are not origins, by line number (1-based). */
export function parseOrigins(text: string): { origins: string[]; problems: OriginLine[] } {
  const origins: string[] = [];
  const problems: OriginLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const value = raw.trim();
    if (!value) return;
    const checked = checkOrigin(value);
    if ('problem' in checked) problems.push({ line: index + 1, value, problem: checked.problem });
    else if (origins.includes(checked.origin)) problems.push({ line: index + 1, value, problem: 'duplicate' });
    else origins.push(checked.origin);
  });
  return { origins, problems };
}
