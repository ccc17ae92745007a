/**
 * The chat's event bus between instances (decision 0176). Events carry ids,
 * sequence numbers and staff display names only — never a customer's words:
 * each instance loads what its own sockets may see from the database, which
 * stays the source of truth. Without Redis, events stay in this process (one
 * instance works alone); with `REDIS_URL`, they go through Redis pub/sub.
 *
 * Every event is delivered to this instance's handlers at once and then
 * published; an instance ignores its own events when they come back. So a Redis
 * outage cuts only the traffic between instances: each keeps serving its own
 * sockets, `healthy` turns false (/readyz says so), and when the subscriber
 * reconnects handlers are told to resynchronise from the database.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../logging.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type BusEvent =
  /** A message or an event was added to a conversation as `seq`. */
  | { k: 'chat-seq'; orgId: string; conversationId: string; ticketId: string | null; seq: number }
  /** The conversation's status, agent or offer changed. */
  | { k: 'chat-state'; orgId: string; conversationId: string; ticketId: string | null }
  /** The agent asked to verify the customer of this ticket (the code went to the registered address). */
  | { k: 'chat-verify'; orgId: string; ticketId: string; verificationId: string }
  /** Someone is typing on a ticket: the customer of a chat, or a staff member (collision warning). */
  | { k: 'typing'; orgId: string; ticketId: string; who: 'customer' | 'agent'; userId: string | null; name: string | null }
  /** Data keys were destroyed (an erasure): every instance drops its cached copies at once, not after the cache TTL. */
  | { k: 'keys-destroyed'; orgId: string; keyIds: string[] };

export type BusHandler = (event: BusEvent) => void;

export interface Bus {
  /** Delivers to this instance's handlers, then to the other instances (best effort). */
  publish(event: BusEvent): void;
  subscribe(handler: BusHandler, onResync?: () => void): () => void;
  /** False while the connection between instances is down. */
  readonly healthy: boolean;
  readonly kind: 'local' | 'redis';
  close(): Promise<void>;
}

class Handlers {
  private readonly emitter = new EventEmitter();
  constructor(private readonly logger: Logger) {
    this.emitter.setMaxListeners(0);
  }
  emit(event: BusEvent): void {
    this.emitter.emit('event', event);
  }
  resync(): void {
    this.emitter.emit('resync');
  }
  subscribe(handler: BusHandler, onResync?: () => void): () => void {
    const safe = (event: BusEvent) => {
      try {
        handler(event);
      } catch (err) {
        this.logger.warn({ err }, 'bus handler failed');
      }
    };
    this.emitter.on('event', safe);
    if (onResync) this.emitter.on('resync', onResync);
    return () => {
      this.emitter.off('event', safe);
      if (onResync) this.emitter.off('resync', onResync);
    };
  }
}

export class LocalBus implements Bus {
  readonly kind = 'local' as const;
  readonly healthy = true;
  private readonly handlers: Handlers;
  constructor(logger: Logger) {
    this.handlers = new Handlers(logger);
  }
  publish(event: BusEvent): void {
    this.handlers.emit(event);
  }
  subscribe(handler: BusHandler, onResync?: () => void): () => void {
    return this.handlers.subscribe(handler, onResync);
  }
  async close(): Promise<void> {}
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  private readonly handlers: Handlers;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly instance = randomUUID();
  private readonly channel: string;
  private subscribed = false;
  private lostAt: number | null = null;
  private warnedAt = 0;

  /** `namespace` keeps installations (and test schemas) sharing one Redis apart. */
  constructor(url: string, namespace: string, private readonly logger: Logger) {
    this.handlers = new Handlers(logger);
    this.channel = `trustdesk:${namespace}:chat`;
    // Publishing fails fast while Redis is down (no queue of stale typing events to replay).
    this.pub = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(n * 200, 2_000) });
    this.sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2_000) });
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.onMessage(payload);
    });
    this.sub.on('ready', () => {
      // ioredis subscribes again by itself; whatever was published meanwhile was not heard.
      if (this.lostAt !== null) {
        this.lostAt = null;
        this.logger.info('redis bus reconnected; consoles and chats resynchronise');
        this.handlers.resync();
      }
    });
    const lost = (err?: Error) => {
      if (this.lostAt === null && this.subscribed) {
        this.lostAt = Date.now();
        this.logger.warn({ err: err ? { message: err.message } : undefined }, 'redis bus lost; each instance serves its own sockets until it is back');
      }
    };
    this.sub.on('close', () => lost());
    this.sub.on('error', (err: Error) => lost(err));
    this.pub.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.channel);
    this.subscribed = true;
  }

  get healthy(): boolean {
    return this.lostAt === null && this.sub.status === 'ready' && this.pub.status === 'ready';
  }

  publish(event: BusEvent): void {
    this.handlers.emit(event);
    this.pub.publish(this.channel, JSON.stringify({ i: this.instance, e: event })).catch((err: Error) => {
      // One warning a minute: the outage itself is reported by the subscriber and /readyz.
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        this.logger.warn({ err: { message: err.message } }, 'chat event not published to other instances');
      }
    });
  }

  subscribe(handler: BusHandler, onResync?: () => void): () => void {
    return this.handlers.subscribe(handler, onResync);
  }

  private onMessage(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const { i, e } = (parsed ?? {}) as { i?: unknown; e?: unknown };
    if (i === this.instance) return;
    const event = parseBusEvent(e);
    if (event) this.handlers.emit(event);
  }

  async close(): Promise<void> {
    this.subscribed = false;
    await Promise.all([this.pub.quit().catch(() => this.pub.disconnect()), this.sub.quit().catch(() => this.sub.disconnect())]);
  }
}

const id = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
const shortText = (v: unknown): v is string => typeof v === 'string' && v.length <= 200;

/** An event from another instance, checked field by field (anything else on the channel is dropped). */
export function parseBusEvent(v: unknown): BusEvent | null {
  if (!v || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  if (!id(e.orgId)) return null;
  const ticketOrNull = e.ticketId === null || id(e.ticketId);
  switch (e.k) {
    case 'chat-seq':
      return id(e.conversationId) && ticketOrNull && Number.isInteger(e.seq) && (e.seq as number) > 0
        ? { k: 'chat-seq', orgId: e.orgId, conversationId: e.conversationId, ticketId: (e.ticketId as string | null) ?? null, seq: e.seq as number }
        : null;
    case 'chat-state':
      return id(e.conversationId) && ticketOrNull ? { k: 'chat-state', orgId: e.orgId, conversationId: e.conversationId, ticketId: (e.ticketId as string | null) ?? null } : null;
    case 'chat-verify':
      return id(e.ticketId) && id(e.verificationId) ? { k: 'chat-verify', orgId: e.orgId, ticketId: e.ticketId, verificationId: e.verificationId } : null;
    case 'typing':
      return id(e.ticketId) && (e.who === 'customer' || e.who === 'agent') && (e.userId === null || id(e.userId)) && (e.name === null || shortText(e.name))
        ? { k: 'typing', orgId: e.orgId, ticketId: e.ticketId, who: e.who, userId: e.userId as string | null, name: e.name as string | null }
        : null;
    case 'keys-destroyed':
      return Array.isArray(e.keyIds) && e.keyIds.length <= 1000 && e.keyIds.every(id) ? { k: 'keys-destroyed', orgId: e.orgId, keyIds: e.keyIds as string[] } : null;
    default:
      return null;
  }
}

/** The bus the configuration asks for: Redis when `redisUrl` is set (connected before returning), else local. */
export async function openBus(options: { redisUrl?: string; namespace: string; logger: Logger }): Promise<Bus> {
  if (!options.redisUrl) return new LocalBus(options.logger);
  const bus = new RedisBus(options.redisUrl, options.namespace, options.logger);
  try {
    await bus.connect();
  } catch (err) {
    await bus.close();
    throw new Error(`Cannot connect to Redis at REDIS_URL: ${(err as Error).message}`);
  }
  return bus;
}

/** The bus's namespace for a database: installations (and test schemas) sharing one Redis stay apart. */
export async function busNamespace(db: Kysely<unknown>): Promise<string> {
  return (await sql<{ ns: string }>`SELECT left(md5(current_schema()), 12) AS ns`.execute(db)).rows[0]!.ns;
}

/**
 * One event from a process that serves nothing (a CLI command such as `customers erase`): published to the
 * running instances through Redis and waited for. False when there is no Redis (one instance alone) or it failed.
 */
export async function announce(options: { redisUrl?: string; db: Kysely<unknown> }, event: BusEvent): Promise<boolean> {
  if (!options.redisUrl) return false;
  const channel = `trustdesk:${await busNamespace(options.db)}:chat`;
  const pub = new Redis(options.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  pub.on('error', () => undefined);
  try {
    await pub.connect();
    // Other instances take at most 1,000 key ids an event (parseBusEvent): a long list goes in parts.
    const parts = event.k === 'keys-destroyed' ? Array.from({ length: Math.ceil(event.keyIds.length / 500) }, (_, n) => ({ ...event, keyIds: event.keyIds.slice(n * 500, n * 500 + 500) })) : [event];
    for (const part of parts) await pub.publish(channel, JSON.stringify({ i: randomUUID(), e: part }));
    return true;
  } catch {
    return false;
  } finally {
    await pub.quit().catch(() => pub.disconnect());
  }
}
