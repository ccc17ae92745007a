/**
 * The shared schema compile cache (decision 0187) hands out only what a fresh
 * compile would produce: equal inputs share a function, any difference in the
 * schema, the shared schemas, the compiler options or the request part misses.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices } from '../app/testing.js';
import { buildApp } from './app.js';
import { appRoutes } from './routes.js';
import { createLazySchemaCompilers } from './lazy-schemas.js';
import { createSchemaCompileCache, type SchemaCompileCache, type SchemaCompilers } from './schema-cache.js';

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
const ajvOptions = { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } } as const;
const problem = { $id: 'Problem', type: 'object', properties: { code: { type: 'string' } } };

function validatorOf(compilers: SchemaCompilers, schema: unknown, options: object = ajvOptions, external: Record<string, unknown> = { Problem: problem }, httpPart = 'body'): Validate {
  const compile = compilers.buildValidator(external as never, options as never);
  return compile({ schema, method: 'POST', url: '/x', httpPart } as never) as unknown as Validate;
}

function serializerOf(compilers: SchemaCompilers, schema: unknown, options: object = {}, httpStatus = '200'): (doc: unknown) => string {
  return compilers.buildSerializer({ Problem: problem } as never, options as never)({ schema, method: 'GET', url: '/x', httpStatus } as never);
}

const body = () => ({ type: 'object', required: ['n'], properties: { n: { type: 'integer' } } });

describe('schema compile cache', () => {
  it('shares one validator between apps for an equal schema, however it was built', () => {
    const cache = createSchemaCompileCache();
    const first = validatorOf(cache.compilersFactory(), body());
    const second = validatorOf(cache.compilersFactory(), body());
    expect(second).toBe(first);
    expect(cache.stats()).toMatchObject({ validators: 1, hits: 1, misses: 1 });
    expect(first({ n: '5' })).toBe(true); // coerceTypes: 'array' turns the string into a number
  });

  it('misses when the schema, the options, a format or plugin, the shared schemas or the part differ', () => {
    const cache = createSchemaCompileCache();
    const base = validatorOf(cache.compilersFactory(), body());
    const other = [
      validatorOf(cache.compilersFactory(), { ...body(), properties: { n: { type: 'integer', maximum: 3 } } }),
      validatorOf(cache.compilersFactory(), body(), { customOptions: { ...ajvOptions.customOptions, coerceTypes: false } }),
      validatorOf(cache.compilersFactory(), body(), { ...ajvOptions, plugins: [(ajv: { addFormat(n: string, f: RegExp): void }) => ajv.addFormat('ticket', /^T\d+$/)] }),
      validatorOf(cache.compilersFactory(), body(), ajvOptions, { Problem: { ...problem, properties: { code: { type: 'integer' } } } }),
      validatorOf(cache.compilersFactory(), body(), ajvOptions, { Problem: problem }, 'querystring'),
    ];
    for (const v of other) expect(v).not.toBe(base);
    expect(new Set(other).size).toBe(other.length);
    // The one compiled without coercion behaves as such: a fresh compile would refuse the string.
    expect(other[1]!({ n: '5' })).toBe(false);
    expect(base({ n: '5' })).toBe(true);
  });

  it('tells apart numbers JSON would merge, and keys functions by identity', () => {
    const cache = createSchemaCompileCache();
    const a = validatorOf(cache.compilersFactory(), { type: 'number', multipleOf: 1 });
    const b = validatorOf(cache.compilersFactory(), { type: 'number', multipleOf: 1.5 });
    expect(b).not.toBe(a);
    const plugin = () => undefined;
    const withPlugin = (p: () => void) => validatorOf(cache.compilersFactory(), body(), { ...ajvOptions, plugins: [p] });
    expect(withPlugin(plugin)).toBe(withPlugin(plugin));
    expect(withPlugin(() => undefined)).not.toBe(withPlugin(plugin));
  });

  it('compiles a schema with an $id of its own afresh every time', () => {
    const cache = createSchemaCompileCache();
    const schema = { $id: 'Own', type: 'object', properties: { n: { type: 'integer' } } };
    expect(validatorOf(cache.compilersFactory(), schema)).not.toBe(validatorOf(cache.compilersFactory(), schema));
    expect(cache.stats().validators).toBe(0);
  });

  it('refuses a header schema, which Fastify would not lowercase for compilers of our own', () => {
    const cache = createSchemaCompileCache();
    expect(() => validatorOf(cache.compilersFactory(), { type: 'object', properties: { 'X-Token': { type: 'string' } } }, ajvOptions, {}, 'headers')).toThrow(/header schemas/);
  });

  it('shares serializers only for equal schemas and options', () => {
    const cache = createSchemaCompileCache();
    const schema = () => ({ type: 'object', properties: { a: { type: 'string' } } });
    const s = serializerOf(cache.compilersFactory(), schema());
    expect(serializerOf(cache.compilersFactory(), schema())).toBe(s);
    const narrower = serializerOf(cache.compilersFactory(), { type: 'object', properties: { b: { type: 'string' } } });
    expect(narrower).not.toBe(s);
    expect(narrower({ a: 'leak', b: 'kept' })).toBe('{"b":"kept"}');
    expect(serializerOf(cache.compilersFactory(), schema(), { rounding: 'floor' })).not.toBe(s);
  });
});

/** Compilers that note, per route and part, the source of what they hand out. */
function recording(make: () => SchemaCompilers, into: Map<string, string>): SchemaCompileCache {
  // Generated names carry counters that depend on what one ajv instance compiled before.
  const source = (f: unknown) => String(f).replace(/\b([A-Za-z_$]+)\d+\b/g, '$1#');
  return {
    compilersFactory() {
      const inner = make();
      return {
        buildValidator: ((ext: never, opts: never) => {
          const compile = inner.buildValidator(ext, opts);
          return (route: { method: string; url: string; httpPart: string }) => {
            const fn = compile(route as never);
            into.set(`${route.method} ${route.url} ${route.httpPart}`, source(fn));
            return fn;
          };
        }) as never,
        buildSerializer: ((ext: never, opts: never) => {
          const compile = inner.buildSerializer(ext, opts);
          return (route: { method: string; url: string; httpStatus: string }) => {
            const fn = compile(route as never);
            into.set(`${route.method} ${route.url} ${route.httpStatus}`, source(fn));
            return fn;
          };
        }) as never,
      };
    },
    stats: () => ({ validators: 0, serializers: 0, hits: 0, misses: 0 }),
  };
}

describe('schema compile cache with every route', () => {
  let services: Services;
  const apps: FastifyInstance[] = [];
  const fresh = new Map<string, string>();
  const cached = new Map<string, string>();
  const cache = createSchemaCompileCache();
  // The server's compilers (decision 0233): Fastify's own, run on first use or by warm().
  const lazySources = new Map<string, string>();
  const lazy = createLazySchemaCompilers({ inner: () => recording(() => ({ buildValidator: AjvCompiler(), buildSerializer: SerializerSelector() }) as never, lazySources).compilersFactory() });
  let lazyApp: FastifyInstance;
  let compiledWhileReadied = -1;
  let pendingWhenReady = 0;

  beforeAll(async () => {
    services = await createTestServices('pglite');
    const build = async (schemaCache: SchemaCompileCache) => {
      const app = await buildApp({ services, routes: appRoutes, schemaCache });
      apps.push(app);
      await app.ready();
    };
    // Fastify's own compilers, as a server uses them; then two apps on one cache, the second from it alone.
    await build(recording(() => ({ buildValidator: AjvCompiler(), buildSerializer: SerializerSelector() }), fresh));
    await build(cache);
    const afterFirst = cache.stats();
    await build(recording(() => cache.compilersFactory(), cached));
    expect(cache.stats().misses).toBe(afterFirst.misses);
    lazyApp = await buildApp({ services, routes: appRoutes, lazySchemas: lazy });
    apps.push(lazyApp);
    await lazyApp.ready();
    compiledWhileReadied = lazySources.size;
    pendingWhenReady = lazy.pending();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await services?.close();
  });

  it('hands every route the validators and serializers a fresh compile gives it', () => {
    expect(fresh.size).toBeGreaterThan(500);
    expect([...cached.keys()].sort()).toEqual([...fresh.keys()].sort());
    const differing = [...fresh].filter(([k, src]) => cached.get(k) !== src).map(([k]) => k);
    expect(differing).toEqual([]);
  });

  it('compiles nothing while the server readies, a route on its first request, and the rest when warmed, exactly as Fastify would', async () => {
    expect(compiledWhileReadied).toBe(0);
    expect(pendingWhenReady).toBeGreaterThanOrEqual(fresh.size);
    // A bad sign-in body: the same problem from the lazy app as from Fastify's eager compile, and only that route compiled.
    const request = { method: 'POST' as const, url: '/api/auth/signin', payload: { email: 'a@example.org', password: 12, extra: true } };
    const eager = await apps[0]!.inject(request);
    const first = await lazyApp.inject(request);
    expect(first.statusCode).toBe(400);
    const withoutId = (r: typeof first) => ({ ...r.json(), requestId: undefined });
    expect(withoutId(first)).toEqual(withoutId(eager));
    expect(first.json().errors[0].message).toMatch(/additional properties|must be string/);
    expect(first.headers['content-type']).toBe(eager.headers['content-type']);
    expect(lazy.pending()).toBeLessThan(pendingWhenReady);
    expect(pendingWhenReady - lazy.pending()).toBeLessThanOrEqual(10);
    // Query coercion (ajv's coerceTypes: 'array') and response serialization behave as eagerly compiled ones.
    for (const url of ['/api/setup', '/healthz', '/api/auth/session']) {
      const [a, b] = [await apps[0]!.inject({ method: 'GET', url }), await lazyApp.inject({ method: 'GET', url })];
      expect([b.statusCode, b.body], url).toEqual([a.statusCode, a.body]);
    }
    const warmed = await lazy.warm({ sliceMs: 5 });
    expect(warmed.failed).toBe(0);
    expect(lazy.pending()).toBe(0);
    expect([...lazySources.keys()].sort()).toEqual([...fresh.keys()].sort());
    expect([...fresh].filter(([k, src]) => lazySources.get(k) !== src).map(([k]) => k)).toEqual([]);
    // Warm again: nothing left to do.
    expect(await lazy.warm()).toEqual({ compiled: 0, failed: 0 });
  });
});
