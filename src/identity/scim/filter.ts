/**
 * Pure: SCIM filters (RFC 7644 §3.4.2.2) parsed into a tree and evaluated over a
 * presented resource (plain JSON). Attribute names are case-insensitive; string
 * comparison is case-insensitive except for `caseExact` attributes (id,
 * externalId). Operators: eq ne co sw ew gt ge lt le pr, and/or/not, grouping
 * and value paths (`emails[type eq "work"].value`). A filter that does not parse
 * is a ScimError invalidFilter; nesting and length are bounded.
 */
import { ScimError } from './errors.js';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;
export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; path: string[]; op: CompareOp; value: Literal }
  | { kind: 'present'; path: string[] }
  | { kind: 'valuePath'; path: string[]; filter: Filter; sub: string[] };

const MAX_FILTER_LENGTH = 2_000;
const MAX_DEPTH = 20;
const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
/** Attributes compared case-sensitively (RFC 7643 caseExact: true). */
const CASE_EXACT = new Set(['id', 'externalid']);
/** Schema URNs a path may be qualified with: stripped, the rest is the attribute. */
const CORE_URNS = ['urn:ietf:params:scim:schemas:core:2.0:user:', 'urn:ietf:params:scim:schemas:core:2.0:group:'];

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: '(' | ')' | '[' | ']' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= input.length) throw new ScimError(400, 'invalidFilter', 'A string in the filter is not closed.');
        const d = input[j]!;
        if (d === '\\') {
          const next = input[j + 1];
          if (next === undefined) throw new ScimError(400, 'invalidFilter', 'A string in the filter ends in an escape.');
          s += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          j += 2;
        } else if (d === '"') {
          break;
        } else {
          s += d;
          j++;
        }
      }
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else {
      let j = i;
      while (j < input.length && !' \t\n\r()[]"'.includes(input[j]!)) j++;
      out.push({ t: 'word', v: input.slice(i, j) });
      i = j;
    }
  }
  return out;
}

/** An attribute path: optional schema URN, then name(.sub). Lower-cased segments. */
export function parseAttrPath(raw: string): string[] {
  let s = raw.toLowerCase();
  for (const urn of CORE_URNS) if (s.startsWith(urn)) s = s.slice(urn.length);
  if (s.startsWith('urn:')) {
    // An extension's attribute: keep the URN as one segment, the attribute as the next.
    const at = s.lastIndexOf(':');
    return [s.slice(0, at), ...s.slice(at + 1).split('.')];
  }
  const parts = s.split('.');
  if (parts.some((p) => !/^\$?[a-z][a-z0-9_-]*$/.test(p)) || parts.length > 2) throw new ScimError(400, 'invalidFilter', `"${raw.slice(0, 100)}" is not an attribute path.`);
  return parts;
}

export function parseFilter(input: string): Filter {
  if (input.length > MAX_FILTER_LENGTH) throw new ScimError(400, 'invalidFilter', `The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const word = (tok: Token | undefined) => (tok && tok.t === 'word' ? tok.v.toLowerCase() : undefined);
  const fail = (msg: string): never => {
    throw new ScimError(400, 'invalidFilter', msg);
  };

  const parseOr = (depth: number): Filter => {
    if (depth > MAX_DEPTH) fail('The filter nests too deeply.');
    let left = parseAnd(depth);
    while (word(peek()) === 'or') {
      pos++;
      left = { kind: 'or', left, right: parseAnd(depth) };
    }
    return left;
  };
  const parseAnd = (depth: number): Filter => {
    let left = parseUnary(depth);
    while (word(peek()) === 'and') {
      pos++;
      left = { kind: 'and', left, right: parseUnary(depth) };
    }
    return left;
  };
  const parseUnary = (depth: number): Filter => {
    const tok = peek();
    if (!tok) return fail('The filter ends too early.');
    if (word(tok) === 'not') {
      pos++;
      if (peek()?.t !== '(') fail('"not" must be followed by "(".');
      return { kind: 'not', filter: parseUnary(depth + 1) };
    }
    if (tok.t === '(') {
      pos++;
      const inner = parseOr(depth + 1);
      if (peek()?.t !== ')') fail('A "(" in the filter is not closed.');
      pos++;
      return inner;
    }
    if (tok.t !== 'word') return fail('An attribute name was expected.');
    pos++;
    const path = parseAttrPath(tok.v);
    if (peek()?.t === '[') {
      pos++;
      const inner = parseOr(depth + 1);
      if (peek()?.t !== ']') fail('A "[" in the filter is not closed.');
      pos++;
      // A value path may go on to a sub-attribute only in PATCH paths, not filters.
      return { kind: 'valuePath', path, filter: inner, sub: [] };
    }
    const op = word(peek());
    if (op === 'pr') {
      pos++;
      return { kind: 'present', path };
    }
    if (!op || !COMPARE_OPS.has(op)) return fail(`Unknown or missing operator after "${tok.v.slice(0, 100)}".`);
    pos++;
    const v = peek();
    if (!v || (v.t !== 'str' && v.t !== 'word')) return fail(`A value is missing after "${op}".`);
    pos++;
    return { kind: 'compare', path, op: op as CompareOp, value: literal(v) };
  };

  const literal = (tok: Token & { v: string }): Literal => {
    if (tok.t === 'str') return tok.v;
    const lower = tok.v.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(tok.v)) return Number(tok.v);
    return fail(`"${tok.v.slice(0, 100)}" is not a value: strings are quoted.`);
  };

  if (tokens.length === 0) fail('The filter is empty.');
  const tree = parseOr(0);
  if (pos !== tokens.length) fail('The filter has text after its end.');
  return tree;
}

/** A PATCH path: attrPath, or valuePath with an optional sub-attribute (RFC 7644 §3.5.2). */
export function parsePatchPath(input: string): { path: string[]; filter: Filter | null; sub: string[] } {
  const open = input.indexOf('[');
  if (open < 0) return { path: parseAttrPathOrInvalid(input), filter: null, sub: [] };
  const close = input.lastIndexOf(']');
  if (close < open) throw new ScimError(400, 'invalidPath', 'The path has an unclosed "[".');
  const path = parseAttrPathOrInvalid(input.slice(0, open));
  let filter: Filter;
  try {
    filter = parseFilter(input.slice(open + 1, close));
  } catch (err) {
    if (err instanceof ScimError) throw new ScimError(400, 'invalidPath', err.detail);
    throw err;
  }
  const rest = input.slice(close + 1);
  if (rest !== '' && !/^\.[A-Za-z][A-Za-z0-9_-]*$/.test(rest)) throw new ScimError(400, 'invalidPath', 'The path has text after its filter.');
  return { path, filter, sub: rest ? [rest.slice(1).toLowerCase()] : [] };
}

function parseAttrPathOrInvalid(raw: string): string[] {
  try {
    return parseAttrPath(raw.trim());
  } catch (err) {
    if (err instanceof ScimError) throw new ScimError(400, 'invalidPath', `"${raw.slice(0, 100)}" is not an attribute path.`);
    throw err;
  }
}

/** Case-insensitive property read on a plain object. */
export function getProp(obj: unknown, key: string): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === key) return v;
  return undefined;
}

/** Every leaf value at `path` (multi-valued attributes flattened). */
function valuesAt(resource: unknown, path: string[]): unknown[] {
  let current: unknown[] = [resource];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const c of current) {
      const v = getProp(c, seg);
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined && v !== null) next.push(v);
    }
    current = next;
  }
  // A multi-valued complex attribute compared directly compares its "value" sub-attribute.
  return current.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? getProp(v, 'value') : v));
}

function compare(actual: unknown, op: CompareOp, expected: Literal, caseExact: boolean): boolean {
  if (expected === null) return op === 'eq' ? actual === null || actual === undefined : op === 'ne' ? actual !== null && actual !== undefined : false;
  if (typeof expected === 'boolean') {
    if (op === 'eq') return actual === expected;
    if (op === 'ne') return actual !== expected;
    throw new ScimError(400, 'invalidFilter', `"${op}" does not compare booleans.`);
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return op === 'ne';
    switch (op) {
      case 'eq': return actual === expected;
      case 'ne': return actual !== expected;
      case 'gt': return actual > expected;
      case 'ge': return actual >= expected;
      case 'lt': return actual < expected;
      case 'le': return actual <= expected;
      default: throw new ScimError(400, 'invalidFilter', `"${op}" does not compare numbers.`);
    }
  }
  if (typeof actual !== 'string') return op === 'ne';
  const a = caseExact ? actual : actual.toLowerCase();
  const e = caseExact ? expected : expected.toLowerCase();
  switch (op) {
    case 'eq': return a === e;
    case 'ne': return a !== e;
    case 'co': return a.includes(e);
    case 'sw': return a.startsWith(e);
    case 'ew': return a.endsWith(e);
    // Strings order lexically; dates in ISO 8601 UTC order the same way.
    case 'gt': return a > e;
    case 'ge': return a >= e;
    case 'lt': return a < e;
    case 'le': return a <= e;
  }
}

export function matchesFilter(resource: unknown, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and': return matchesFilter(resource, filter.left) && matchesFilter(resource, filter.right);
    case 'or': return matchesFilter(resource, filter.left) || matchesFilter(resource, filter.right);
    case 'not': return !matchesFilter(resource, filter.filter);
    case 'present': return valuesAt(resource, filter.path).some((v) => v !== '' && v !== null && v !== undefined);
    case 'valuePath': {
      const items = getProp(resource, filter.path[0]!);
      const list = Array.isArray(items) ? items : items === undefined || items === null ? [] : [items];
      return list.some((item) => matchesFilter(item, filter.filter));
    }
    case 'compare': {
      const values = valuesAt(resource, filter.path);
      const caseExact = CASE_EXACT.has(filter.path[filter.path.length - 1]!) && filter.path.length === 1;
      if (filter.op === 'ne') return values.length === 0 || values.every((v) => compare(v, 'ne', filter.value, caseExact));
      return values.some((v) => compare(v, filter.op, filter.value, caseExact));
    }
  }
}

/**
 * Equalities every match must satisfy (top-level `and` chain of `eq`s): lets the
 * caller narrow in SQL before evaluating the whole filter in memory.
 */
export function requiredEqualities(filter: Filter): Array<{ path: string; value: string }> {
  if (filter.kind === 'and') return [...requiredEqualities(filter.left), ...requiredEqualities(filter.right)];
  if (filter.kind === 'compare' && filter.op === 'eq' && typeof filter.value === 'string') return [{ path: filter.path.join('.'), value: filter.value }];
  return [];
}
