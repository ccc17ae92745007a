/**
 * One pass over the text collecting maximal runs of digit groups joined by a
 * single separator (space, dash, dot, slash) or by parentheses, optionally led
 * by `+`. Every character is visited a bounded number of times, so the scan is
 * linear whatever the input; classifiers then look only at group boundaries.
 */
export interface DigitGroup {
  start: number;
  end: number;
}

export interface DigitRun {
  start: number;
  end: number;
  groups: DigitGroup[];
  /** Separator text between group k and k+1 (e.g. ' ', '-', ') ', ' ('). */
  gaps: string[];
  plus: boolean;
  parens: boolean;
  /** End of an `x123` / `ext. 123` extension after the run, or -1. */
  extensionEnd: number;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isWordChar = (c: number) => isDigit(c) || isAlpha(c) || c === 95;

const SPACE = 32;
const DASH = 45;
const DOT = 46;
const SLASH = 47;
const OPEN = 40;
const CLOSE = 41;
const PLUS = 43;
const LOWER_X = 120;

function digitEnd(text: string, i: number): number {
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** Length of the connector at i (leading to a digit), or 0 when the run ends here. */
function connectorLength(text: string, i: number, openParen: boolean): number {
  const c = text.charCodeAt(i);
  const c1 = text.charCodeAt(i + 1);
  const c2 = text.charCodeAt(i + 2);
  if (c === SPACE || c === DASH || c === DOT || c === SLASH) {
    if (isDigit(c1)) return 1;
    if (c === SPACE && c1 === OPEN && isDigit(c2)) return 2;
    return 0;
  }
  if (c === CLOSE && openParen) {
    if (isDigit(c1)) return 1;
    if ((c1 === SPACE || c1 === DASH) && isDigit(c2)) return 2;
    return 0;
  }
  if (c === OPEN && isDigit(c1)) return 1;
  return 0;
}

function extensionEnd(text: string, i: number): number {
  let j = i;
  if (text.charCodeAt(j) === SPACE) j++;
  const lower = text.slice(j, j + 5).toLowerCase();
  if (lower.startsWith('ext.')) j += 4;
  else if (lower.startsWith('ext')) j += 3;
  else if (text.charCodeAt(j) === LOWER_X) j += 1;
  else return -1;
  if (text.charCodeAt(j) === SPACE) j++;
  const e = digitEnd(text, j);
  if (e === j || e - j > 6 || (e < text.length && isWordChar(text.charCodeAt(e)))) return -1;
  return e;
}

const RUN_START = /[+(]?\d/g;

export function scanDigitRuns(text: string): DigitRun[] {
  const runs: DigitRun[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    // Native search jumps over the (mostly) digit-free text between runs.
    RUN_START.lastIndex = i;
    const m = RUN_START.exec(text);
    if (m === null) break;
    i = m.index;
    const c = text.charCodeAt(i);
    const plus = c === PLUS;
    const parenFirst = c === OPEN;
    // Digits glued to letters belong to an alphanumeric token (ids, NINOs, keys): skip the token.
    if (i > 0 && isWordChar(text.charCodeAt(i - 1)) && !plus && !parenFirst) {
      while (i < n && isWordChar(text.charCodeAt(i))) i++;
      continue;
    }
    const start = i;
    let j = plus || parenFirst ? i + 1 : i;
    let openParen = parenFirst;
    let parens = parenFirst;
    const groups: DigitGroup[] = [];
    const gaps: string[] = [];
    for (;;) {
      const e = digitEnd(text, j);
      groups.push({ start: j, end: e });
      j = e;
      const len = connectorLength(text, j, openParen);
      if (len === 0) break;
      const conn = text.slice(j, j + len);
      if (conn.includes('(')) openParen = parens = true;
      if (conn.includes(')')) openParen = false;
      gaps.push(conn);
      j += len;
    }
    let end = j;
    if (openParen && text.charCodeAt(j) === CLOSE) end = j + 1;
    const gluedAfter = end < n && isAlpha(text.charCodeAt(end)) && text.charCodeAt(end) !== LOWER_X;
    if (!gluedAfter) {
      runs.push({ start, end, groups, gaps, plus, parens, extensionEnd: extensionEnd(text, end) });
    }
    i = end;
    while (i < n && isWordChar(text.charCodeAt(i))) i++;
  }
  return runs;
}

/** Concatenated digits of groups [from, to] (inclusive). */
export function groupDigits(text: string, run: DigitRun, from: number, to: number): string {
  let s = '';
  for (let k = from; k <= to; k++) {
    const g = run.groups[k] as DigitGroup;
    s += text.slice(g.start, g.end);
  }
  return s;
}
