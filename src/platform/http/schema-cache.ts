/**
 * Compiled request validators and response serializers shared by every app
 * built with the same cache (decision 0187). Compiling them (ajv for the
 * request parts, fast-json-stringify for the responses) is most of what
 * building and readying the app costs; a process that builds many apps (the
 * test suite builds one per test file and database) compiles each schema once.
 * Production builds one app and passes no cache.
 *
 * A cached function is one that Fastify's own compilers produced for an equal
 * input: the key holds the whole schema, the shared schemas it may `$ref`, the
 * compiler options (ajv's own options, formats, keywords and plugins, which
 * set coercion, defaults and removal), and the request part or response
 * status. Anything the key cannot spell out as data (a function, a class
 * instance) is keyed by its identity, so it can only miss, never confuse.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
/** Fastify's `schemaController.compilersFactory`: what builds an app's validator and serializer compilers. */
export type SchemaCompilers = Required<CompilersFactory>;
/** What Fastify hands a compiler for one route: the schema of a request part or of a response status. */
export interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
  httpStatus?: string;
  contentType?: string;
}
export type RouteCompiler = (route: RouteSchema) => unknown;
/** A compiler factory as Fastify calls it: with the app's shared schemas and options, once per app. */
export type Builder = (externalSchemas: unknown, options: unknown) => RouteCompiler;

export interface SchemaCompileCache {
  /** Compilers for one app (Fastify's `schemaController.compilersFactory`), backed by the shared store. */
  compilersFactory(): SchemaCompilers;
  /** Compiled functions held, and compile calls answered from them; for measurement. */
  stats(): { validators: number; serializers: number; hits: number; misses: number };
}

export function createSchemaCompileCache(): SchemaCompileCache {
  const validators = new Map<string, unknown>();
  const serializers = new Map<string, unknown>();
  const keyOf = createKeyer();
  let hits = 0;
  let misses = 0;

  function remember(store: Map<string, unknown>, key: string | undefined, compile: () => unknown): unknown {
    if (key === undefined) return compile();
    if (store.has(key)) {
      hits++;
      return store.get(key);
    }
    misses++;
    const made = compile();
    store.set(key, made);
    return made;
  }

  /** Builds an app's compilers over `store`; a miss goes to `fallback`, made on first use from Fastify's default. */
  function shared(store: Map<string, unknown>, fallback: () => Builder, part: (route: RouteSchema) => string): Builder {
    let pool: Builder | undefined;
    return (externalSchemas, options) => {
      const scope = `${keyOf(externalSchemas)}|${keyOf(options)}`;
      let compiler: RouteCompiler | undefined;
      return (route) => {
        const compile = () => (compiler ??= (pool ??= fallback())(externalSchemas, options))(route);
        const where = part(route);
        const key = cacheable(route.schema) ? `${scope}|${where}|${keyOf(route.contentType)}|${keyOf(route.schema)}` : undefined;
        return remember(store, key, compile);
      };
    };
  }

  return {
    compilersFactory() {
      // Misses compile exactly as Fastify's defaults would for this app: one pool of ajv instances
      // per app (by shared schemas and options), made on the first miss.
      const buildValidator = shared(validators, () => AjvCompiler() as unknown as Builder, (route) => {
        if (route.httpPart === 'headers') {
          // Given compilers of its own, Fastify no longer lowercases a header schema's names before
          // compiling it: a header schema would behave differently here than in production.
          throw new Error(`${route.method} ${route.url}: the shared schema compile cache does not take header schemas (Fastify would not lowercase their names); see decision 0187`);
        }
        return `part ${String(route.httpPart)}`;
      });
      const buildSerializer = shared(serializers, () => SerializerSelector() as unknown as Builder, (route) => `status ${String(route.httpStatus)}`);
      return { buildValidator, buildSerializer } as unknown as SchemaCompilers;
    },
    stats: () => ({ validators: validators.size, serializers: serializers.size, hits, misses }),
  };
}

/**
 * A schema with an `$id` of its own is compiled by reference: ajv returns what an app's instance already
 * holds under that id, and the serializer compiler drops the shared schema of that id. What comes out then
 * depends on what the app compiled before, so such schemas are always compiled afresh.
 */
function cacheable(schema: unknown): boolean {
  return !containsId(schema, new Set());
}

function containsId(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (!Array.isArray(value) && Object.hasOwn(value, '$id')) return true;
  return Reflect.ownKeys(value).some((k) => {
    const d = Object.getOwnPropertyDescriptor(value, k);
    return d !== undefined && 'value' in d && containsId(d.value, seen);
  });
}

/**
 * A string that two values share only if a compiler cannot tell them apart: every own property
 * (enumerable or not, in order), numbers exactly (-0, NaN), and anything beyond plain data —
 * functions, symbols, accessors, objects with another prototype — by identity.
 */
function createKeyer(): (value: unknown) => string {
  const identities = new WeakMap<object, number>();
  const symbols = new Map<symbol, number>();
  let next = 0;
  const identity = (v: object) => {
    let id = identities.get(v);
    if (id === undefined) identities.set(v, (id = ++next));
    return `#${id}`;
  };
  const symbolKey = (s: symbol) => {
    const global = Symbol.keyFor(s);
    if (global !== undefined) return `@${JSON.stringify(global)}`;
    let id = symbols.get(s);
    if (id === undefined) symbols.set(s, (id = ++next));
    return `@#${id}`;
  };

  function key(value: unknown, path: Set<object>): string {
    switch (typeof value) {
      case 'undefined':
        return 'u';
      case 'boolean':
        return value ? 't' : 'f';
      case 'number':
        return Object.is(value, -0) ? 'n-0' : `n${String(value)}`;
      case 'bigint':
        return `b${String(value)}`;
      case 'string':
        return JSON.stringify(value);
      case 'symbol':
        return symbolKey(value);
      case 'function':
        return identity(value);
    }
    if (value === null) return 'null';
    const object = value as object;
    const proto = Object.getPrototypeOf(object);
    const isArray = Array.isArray(object);
    if (path.has(object) || !(isArray ? proto === Array.prototype : proto === Object.prototype || proto === null)) return identity(object);
    path.add(object);
    const parts: string[] = [];
    for (const k of Reflect.ownKeys(object)) {
      const d = Object.getOwnPropertyDescriptor(object, k)!;
      const name = typeof k === 'symbol' ? symbolKey(k) : JSON.stringify(k);
      const flag = d.enumerable ? '' : '~';
      parts.push(`${flag}${name}:${'value' in d ? key(d.value, path) : `get${key(d.get, path)}set${key(d.set, path)}`}`);
    }
    path.delete(object);
    return `${isArray ? '[' : '{'}${parts.join(',')}${proto === null ? '/' : ''}${isArray ? ']' : '}'}`;
  }
  return (value) => key(value, new Set());
}
