/**
 * The HTTP application: cross-cutting plugins first (security headers,
 * problem+json errors, OpenAPI, the deny-by-default gate), then feature routes.
 * Routes are encapsulated plugins; they get services from `app.services`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import { Redis } from 'ioredis';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyContextConfig, type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.js';
import type { Services } from '../app/services.js';
import { sessionHasRequiredFactor, type Principal } from '../../identity/auth/access.js';
import { registerAuthentication } from '../../identity/auth/authenticate.js';
import { READ_ONLY_PERMISSIONS } from '../../identity/auth/permissions.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from '../metrics/metrics.routes.js';
import { observeHttp } from '../metrics/metrics.js';
import { traceRequests } from '../tracing/http.js';
import { tracingEnabled } from '../tracing/tracing.js';
import { sql, type Kysely } from 'kysely';
import { busNamespace, openBus, type Bus } from '../realtime/bus.js';
import { openPresence, type Presence } from '../realtime/presence.js';
import { AppError } from '../errors.js';
import { registerProblemHandlers, sendProblem, ProblemSchema } from './problem.js';
import type { LazySchemaCompilers } from './lazy-schemas.js';
import type { SchemaCompileCache } from './schema-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    /** Chat events between instances (Redis with REDIS_URL, else this process). */
    bus: Bus;
    /** Which staff are at a console, across instances. */
    presence: Presence;
  }
  interface FastifyContextConfig {
    /** Reachable without a session. Every other route requires one (deny by default). */
    public?: boolean;
    /** A public route that checks the Authorization header itself (/metrics' own token): not read as an API token. */
    ownAuthorization?: boolean;
    /** Reachable with a session whose second factor is not verified yet (sign-in, enrolment, sign-out). */
    allowWithoutMfa?: boolean;
    /**
     * A write that acts only on the caller's own sign-in (sign-out, password, own sessions and factors):
     * a session holding only read permissions (an auditor) may use it; a token may not.
     */
    ownAccount?: boolean;
    /** A POST that changes nothing (it computes and is audited), so read-only callers may use it. */
    readOnly?: boolean;
    /** Public to the staff gate but needs a customer's portal session, checked before the body is read. */
    portalSession?: boolean;
    /**
     * The organisation's customer second-factor requirement on a `portalSession` route (decision 0220):
     * absent = the session must have proved a factor when the organisation requires one always;
     * `sensitive` = a fresh step-up under `sensitive` and `always`; `exempt` = never (me, sign-out, the factor routes).
     */
    customerMfa?: 'sensitive' | 'exempt';
    /** Needs a staff session; an API token is refused (the console's live socket: a token has no console). */
    sessionOnly?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; set by the authentication plugin. Null means anonymous. */
    principal: Principal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const holdsWritePermission = (p: Principal) => [...p.permissions.keys()].some((perm) => !READ_ONLY_PERMISSIONS.has(perm));

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,100}$/;

export interface BuildAppOptions {
  services: Services;
  /** Register feature routes (later issues add theirs here). */
  routes?: Array<(app: FastifyInstance) => Promise<void>>;
  /**
   * Compiled validators and serializers to share with other apps built in this process
   * (src/platform/http/schema-cache.ts, decision 0187). Tests pass one per process; a server,
   * which builds one app, passes none and Fastify compiles as it always does.
   */
  schemaCache?: SchemaCompileCache;
  /**
   * Validators and serializers compiled on first use (src/platform/http/lazy-schemas.ts, decision 0233): the
   * server passes these and warms them after it listens. Without either option Fastify compiles every route's
   * schemas while the app is readied.
   */
  lazySchemas?: LazySchemaCompilers;
}

/**
 * Fastify's `trustProxy` from TRUSTDESK_TRUST_PROXY (decision 0227). A hop count becomes a function trusting the
 * socket's peer and the entries nearest to it: Fastify's own number form trusts nothing, and `true` there would
 * trust every entry, so a client's forged X-Forwarded-For (which HAProxy and nginx keep and append to) would win.
 */
export function proxyTrustOf(trust: Config['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false || (Array.isArray(trust) && trust.length === 0)) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { services } = options;
  const { config } = services;
  const tls = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  const fastifyOptions: FastifyServerOptions = {
    loggerInstance: services.logger,
    trustProxy: proxyTrustOf(config.trustProxy),
    bodyLimit: 1024 * 1024,
    // Keep a caller's (or proxy's) request id when it is well formed, so logs line up across hops.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    ...(options.schemaCache ? { schemaController: { compilersFactory: options.schemaCache.compilersFactory() } } : {}),
    ...(options.lazySchemas && !options.schemaCache ? { schemaController: { compilersFactory: options.lazySchemas.compilersFactory() } } : {}),
  };
  const httpsOptions: FastifyHttpsOptions<HttpsServer> | undefined = tls ? { ...(fastifyOptions as FastifyHttpsOptions<HttpsServer>), https: tls } : undefined;
  const app = (httpsOptions ? Fastify(httpsOptions) : Fastify(fastifyOptions)) as unknown as FastifyInstance;

  // A span per request when tracing is on (src/platform/tracing): first, so every later hook runs inside it.
  if (tracingEnabled()) traceRequests(app);
  app.decorate('services', services);
  // Work deferred past an answer finishes before the app stops.
  app.addHook('onClose', async () => services.deferred.drain());
  app.decorateRequest('principal', null);
  app.addSchema(ProblemSchema);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Latency by the route's pattern (never its URL, which holds ids): src/platform/metrics.
  app.addHook('onResponse', async (request, reply) => {
    observeHttp(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
  registerProblemHandlers(app);
  // WebSockets (src/platform/realtime): an upgrade is routed through every hook below like any request,
  // so it is authenticated and gated before it is accepted. Registered first: its onRequest hook marks
  // the request as an upgrade, so a refusal from any later hook also closes the raw socket (a refused
  // upgrade left open would hold the server's close forever). Frames over 16 KiB close the socket (1009); each socket's own limit is lower.
  await app.register(websocket, { options: { maxPayload: 16 * 1024 } });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(tls ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Trustdesk API', version: '0.1.0', description: 'Every /api route requires a session or API token unless marked public. Errors are application/problem+json.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'td_session' },
          portalSession: { type: 'apiKey', in: 'cookie', name: 'td_portal' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Every operation says what it needs, from the same route config the gate reads: `security: []` for public ones.
    transform: ({ schema, url, route }) => {
      const config = (route.config ?? {}) as FastifyContextConfig;
      const security =
        config.portalSession === true ? [{ portalSession: [] }] : config.public === true ? [] : config.sessionOnly === true ? [{ session: [] }] : [{ bearer: [] }, { session: [] }];
      return { schema: { ...(schema ?? {}), security } as typeof schema, url };
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // The documentation is public; marking its routes here keeps the gate free of URL matching.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), public: true };
    });
    docs.get('/api/openapi.json', { schema: { hide: true } }, async () => docs.swagger());
    await docs.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true, uiConfig: { docExpansion: 'list' } });
  });

  // Rate limits apply where a route asks for one (public and authentication endpoints).
  // With several instances, counters live in Redis so a limit holds across all of them.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 }) : undefined;
  if (redis) {
    // Rate limits fail closed while Redis is away (skipOnError: false); /readyz says so. One warning a minute.
    let warnedAt = 0;
    redis.on('error', (err: Error) => {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      services.logger.warn({ err: { message: err.message } }, 'redis for rate limits unreachable');
    });
    await redis.connect().catch((err: Error) => {
      throw new Error(`Cannot connect to Redis at REDIS_URL: ${err.message}`);
    });
    app.addHook('onClose', async () => void (await redis.quit().catch(() => undefined)));
  }
  // Chat events and presence between instances (src/platform/realtime/bus.ts, presence.ts): Redis when
  // configured, else this process alone. Namespaced like the database's NOTIFY channels, by schema.
  const namespace = await busNamespace(services.database.db as Kysely<unknown>);
  const bus = await openBus({ redisUrl: config.redisUrl, namespace, logger: services.logger });
  const presence = await openPresence({ redisUrl: config.redisUrl, namespace, logger: services.logger }).catch(async (err: Error) => {
    await bus.close();
    throw new Error(`Cannot connect to Redis at REDIS_URL: ${err.message}`);
  });
  app.decorate('bus', bus);
  app.decorate('presence', presence);
  // An erasure on any instance: drop the destroyed data keys from this instance's cache at once (decision 0198).
  // While Redis is away an erasure elsewhere goes unheard: no cached key is used until the bus is back, and then
  // every cached key is dropped (decision 0228).
  const unsubscribeKeys = bus.subscribe(
    (e) => {
      if (e.k === 'keys-destroyed') services.keyring.forget(e.keyIds);
    },
    () => services.keyring.forgetAll(),
  );
  if (bus.kind === 'redis') services.keyring.cacheTrusted = () => bus.healthy;
  app.addHook('onClose', async () => {
    unsubscribeKeys();
    services.keyring.cacheTrusted = () => true;
    await bus.close();
    await presence.close();
  });
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'trustdesk-rl:', skipOnError: false } : {}),
    errorResponseBuilder: (_request, context) => new AppError('rate_limited', `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} seconds.`),
  });
  await registerAuthentication(app);
  // Deny by default: a route is reachable anonymously only if it says so, and
  // with a password-only session only if it says so (sign-in, enrolment).
  // Runs before body validation, so anonymous callers learn nothing of a route's schema.
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.public === true) return;
    const p = request.principal;
    if (!p) return sendProblem(reply, request, 401, 'unauthenticated', 'Sign in to continue.');
    if (p.kind === 'session' && !sessionHasRequiredFactor(p) && config.allowWithoutMfa !== true) {
      return sendProblem(reply, request, 401, 'mfa_required', 'Verify your second factor to continue.', {
        phishingResistantRequired: p.requirePhishingResistant,
      });
    }
    if (config.sessionOnly === true && p.kind !== 'session') {
      return sendProblem(reply, request, 403, 'forbidden', 'This needs a signed-in session, not an API token.');
    }
    // The caller's own sign-in (password, factors, sessions, notification settings) changes only from a
    // signed-in session: a leaked token, however broad its scopes, must not re-key the account behind it.
    if (!SAFE_METHODS.has(request.method) && config.ownAccount === true && p.kind !== 'session') {
      return sendProblem(reply, request, 403, 'forbidden', 'Your own sign-in and settings change from a signed-in session, not with an API token.');
    }
    // A caller holding only read permissions (an auditor, a read-only token) changes nothing,
    // whatever a route's own check says: a second lock on every write, before the body is read.
    if (!SAFE_METHODS.has(request.method) && config.readOnly !== true && !(config.ownAccount === true && p.kind === 'session') && !holdsWritePermission(p)) {
      return sendProblem(reply, request, 403, 'forbidden', p.kind === 'token' ? 'This token may only read.' : 'Your role may only read.');
    }
  });

  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  // A Set: tests add a feature's plugin to appRoutes without registering it twice once it is listed there.
  for (const routes of new Set(options.routes ?? [])) await app.register(routes);
  return app;
}
