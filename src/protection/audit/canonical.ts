/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte-exact JSON form an
 * audit entry is hashed in, so anyone can recompute leaf hashes from an export.
 *
 * The `canonicalize` package does the JCS serialisation (UTF-16 key order,
 * ECMAScript number formatting, JSON.stringify string escapes). It is lenient
 * in ways that would make two different entries hash alike (drops undefined,
 * turns holes into null, calls toJSON), so the input is checked first and
 * anything that is not plain JSON data is refused.
 */
import { createRequire } from 'node:module';

// The package is CommonJS with `module.exports = fn`; its .d.ts claims a
// default export, which NodeNext resolves as a namespace. Load it plainly.
const serialize = createRequire(import.meta.url)('canonicalize') as (input: unknown) => string | undefined;

export class CanonicalizeError extends TypeError {
  constructor(path: string, reason: string) {
    super(`cannot canonicalize ${path}: ${reason}`);
    this.name = 'CanonicalizeError';
  }
}

// RFC 8785 3.2.2.2: lone surrogates must make a compliant implementation fail.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(s: string, path: string): void {
  if (LONE_SURROGATE.test(s)) throw new CanonicalizeError(path, 'string holds a lone surrogate (not valid Unicode)');
}

function checkValue(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      checkString(value, path);
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalizeError(path, `${value} is not a JSON number`);
      return;
    case 'object':
      break;
    default:
      // undefined, bigint, symbol, function: JSON has no such values.
      throw new CanonicalizeError(path, `${typeof value} is not JSON`);
  }
  if (value === null) return;
  if (ancestors.has(value)) throw new CanonicalizeError(path, 'circular reference');
  ancestors.add(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw new CanonicalizeError(path, 'not a plain array');
    for (let i = 0; i < value.length; i++) {
      if (!Object.hasOwn(value, i)) throw new CanonicalizeError(`${path}[${i}]`, 'sparse array hole');
      checkValue(value[i], `${path}[${i}]`, ancestors);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new CanonicalizeError(path, `${kind} is not a plain object`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw new CanonicalizeError(path, 'symbol-keyed property');
    for (const key of Object.keys(value)) {
      const child = `${path}.${key}`;
      checkString(key, child);
      checkValue((value as Record<string, unknown>)[key], child, ancestors);
    }
  }
  ancestors.delete(value);
}

/** RFC 8785 canonical JSON text of plain JSON data; throws CanonicalizeError on anything else. */
export function canonicalize(value: unknown): string {
  checkValue(value, '$', new Set());
  const text = serialize(value);
  if (text === undefined) throw new CanonicalizeError('$', 'no JSON representation');
  return text;
}
