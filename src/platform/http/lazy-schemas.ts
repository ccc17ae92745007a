/**
 * Request validators and response serializers compiled when first needed, not while the app is built
 * (decision 0233). Compiling every route's schemas (ajv for the request parts, fast-json-stringify for the
 * responses) was about 1.2 s of a 3.8 s start; a route's own compile costs a few milliseconds. The server
 * starts listening first, then `warm()` compiles the rest in small slices between requests, so after a second
 * or two nothing is compiled on a request's path either.
 *
 * What a request meets is exactly what Fastify's own compilers make: the compile is the default one, with the
 * app's shared schemas and ajv options, only later. Fastify reads two things off a validator besides calling
 * it: `schemaEnv` (then it passes the parent object so ajv may coerce the root value) and `errors` after a
 * failed call; the stand-in always takes the parent and copies `errors` from the real validator after each call.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { Builder, RouteCompiler, RouteSchema, SchemaCompilers } from './schema-cache.js';

type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Serialize = (data: unknown) => string;

export interface LazySchemaCompilers {
  /** Compilers for one app (Fastify's `schemaController.compilersFactory`). */
  compilersFactory(): SchemaCompilers;
  /**
   * Compiles what has not been compiled yet, yielding to the event loop every `sliceMs` so requests go on. A
   * schema that does not compile is reported to `onError` (and fails its route's requests, as an eager compile
   * would have failed the start).
   */
  warm(options?: { sliceMs?: number; onError?: (route: string, err: unknown) => void }): Promise<{ compiled: number; failed: number }>;
  /** Validators and serializers not compiled yet. */
  pending(): number;
}

/**
 * `inner` makes the compilers that do the work, once per app's factory: Fastify's defaults unless a test wants to
 * watch what they produce.
 */
export function createLazySchemaCompilers(options: { inner?: () => SchemaCompilers } = {}): LazySchemaCompilers {
  const inner = options.inner ?? ((): SchemaCompilers => ({ buildValidator: AjvCompiler(), buildSerializer: SerializerSelector() }) as unknown as SchemaCompilers);
  /** Compile thunks not run yet, by route name, for warm(). */
  const waiting = new Map<() => void, string>();

  function deferred(fallback: () => Builder, wrap: (compile: () => unknown, name: string) => unknown, guard: (route: RouteSchema) => void): Builder {
    let pool: Builder | undefined;
    return (externalSchemas, options) => {
      let compiler: RouteCompiler | undefined;
      return (route) => {
        guard(route);
        const name = `${route.method} ${route.url} ${route.httpPart ?? `status ${String(route.httpStatus)}`}`;
        return wrap(() => (compiler ??= (pool ??= fallback())(externalSchemas, options))(route), name);
      };
    };
  }

  /** The compiled function, made on the first call; waiting for warm() until then. */
  function compiledOnce<T>(compile: () => unknown, name: string): () => T {
    let real: T | undefined;
    const ensure = (): T => {
      if (real === undefined) {
        waiting.delete(ensure);
        real = compile() as T;
      }
      return real;
    };
    waiting.set(ensure, name);
    return ensure;
  }

  function lazyValidator(compile: () => unknown, name: string): Validate {
    const ensure = compiledOnce<Validate>(compile, name);
    const stand = ((data: unknown, context?: unknown) => {
      const fn = ensure();
      const out = fn.schemaEnv ? fn(data, context) : fn(data);
      if (out && typeof (out as Promise<unknown>).then === 'function') {
        return (out as Promise<unknown>).then((result) => {
          stand.errors = fn.errors;
          return result;
        });
      }
      stand.errors = fn.errors;
      return out;
    }) as Validate;
    // Fastify hands the parent object only to a validator that has a schemaEnv.
    stand.schemaEnv = true;
    return stand;
  }

  function lazySerializer(compile: () => unknown, name: string): Serialize {
    const ensure = compiledOnce<Serialize>(compile, name);
    return (data) => ensure()(data);
  }

  return {
    compilersFactory() {
      let made: SchemaCompilers | undefined;
      const real = () => (made ??= inner());
      const buildValidator = deferred(() => real().buildValidator as unknown as Builder, lazyValidator, (route) => {
        // Given compilers of its own, Fastify no longer lowercases a header schema's names (as in schema-cache.ts).
        if (route.httpPart === 'headers') throw new Error(`${route.method} ${route.url}: header schemas are not supported by the lazy schema compilers (Fastify would not lowercase their names); see decision 0233`);
      });
      const buildSerializer = deferred(() => real().buildSerializer as unknown as Builder, lazySerializer, () => undefined);
      return { buildValidator, buildSerializer } as unknown as SchemaCompilers;
    },
    async warm(options = {}) {
      const sliceMs = options.sliceMs ?? 10;
      let compiled = 0;
      let failed = 0;
      let sliceStart = performance.now();
      for (const [ensure, name] of [...waiting]) {
        if (!waiting.has(ensure)) continue; // a request compiled it meanwhile
        try {
          ensure();
          compiled++;
        } catch (err) {
          waiting.delete(ensure);
          failed++;
          options.onError?.(name, err);
        }
        if (performance.now() - sliceStart >= sliceMs) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
      return { compiled, failed };
    },
    pending: () => waiting.size,
  };
}
