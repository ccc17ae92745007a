/**
 * Who is at a console, for chat routing (decision 0176). Each instance reports
 * the staff connected to it every few seconds: when it last heard from the
 * socket (seen) and when the person last did something (active). A person is
 * online while some instance saw them within `SEEN_TTL_MS`, and away after
 * `IDLE_MS` without activity (or when they said so: users.away, in the
 * database). With Redis the reports of all instances meet in one hash per
 * organisation; without it, this process knows only its own consoles.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logging.js';

export const SEEN_TTL_MS = 45_000;
export const IDLE_MS = 10 * 60_000;

export interface PresenceReport {
  userId: string;
  /** Last activity (ms since the epoch) across this instance's sockets of the user. */
  activeAt: number;
}

export interface Presence {
  /** This instance's consoles of an organisation, now (an empty list removes them). */
  report(orgId: string, instance: string, users: readonly PresenceReport[], now?: number): Promise<void>;
  /** The staff online in the organisation, each with their last activity across all instances. */
  online(orgId: string, now?: number): Promise<Map<string, number>>;
  close(): Promise<void>;
}

type Entry = { seenAt: number; activeAt: number };

function merge(into: Map<string, number>, userId: string, activeAt: number): void {
  into.set(userId, Math.max(into.get(userId) ?? 0, activeAt));
}

export class LocalPresence implements Presence {
  private readonly orgs = new Map<string, Map<string, Entry>>();

  async report(orgId: string, instance: string, users: readonly PresenceReport[], now = Date.now()): Promise<void> {
    const entries = new Map<string, Entry>();
    for (const u of users) entries.set(`${u.userId}:${instance}`, { seenAt: now, activeAt: u.activeAt });
    const org = this.orgs.get(orgId) ?? new Map<string, Entry>();
    for (const key of [...org.keys()]) if (key.endsWith(`:${instance}`)) org.delete(key);
    for (const [k, v] of entries) org.set(k, v);
    this.orgs.set(orgId, org);
  }

  async online(orgId: string, now = Date.now()): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [key, e] of this.orgs.get(orgId) ?? []) {
      if (now - e.seenAt <= SEEN_TTL_MS) merge(out, key.slice(0, key.indexOf(':')), e.activeAt);
    }
    return out;
  }

  async close(): Promise<void> {}
}

/**
 * One hash per organisation: field `<userId>:<instance>`, value `<seenAt>:<activeAt>`. Stale fields (an
 * instance killed without saying goodbye) are ignored on read and removed by the next report of anyone.
 */
export class RedisPresence implements Presence {
  private readonly fallback = new LocalPresence();

  constructor(private readonly redis: Redis, private readonly namespace: string, private readonly logger: Logger) {}

  private key(orgId: string): string {
    return `trustdesk:${this.namespace}:presence:${orgId}`;
  }

  async report(orgId: string, instance: string, users: readonly PresenceReport[], now = Date.now()): Promise<void> {
    await this.fallback.report(orgId, instance, users, now);
    const key = this.key(orgId);
    try {
      const current = await this.redis.hgetall(key);
      const stale = Object.entries(current)
        .filter(([field, value]) => field.endsWith(`:${instance}`) || now - Number(value.split(':')[0]) > SEEN_TTL_MS)
        .map(([field]) => field)
        .filter((field) => !users.some((u) => field === `${u.userId}:${instance}`));
      const tx = this.redis.multi();
      if (stale.length) tx.hdel(key, ...stale);
      for (const u of users) tx.hset(key, `${u.userId}:${instance}`, `${now}:${u.activeAt}`);
      tx.pexpire(key, SEEN_TTL_MS * 4);
      await tx.exec();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'presence not reported to redis');
    }
  }

  async online(orgId: string, now = Date.now()): Promise<Map<string, number>> {
    try {
      const out = new Map<string, number>();
      for (const [field, value] of Object.entries(await this.redis.hgetall(this.key(orgId)))) {
        const [seenAt, activeAt] = value.split(':').map(Number) as [number, number];
        if (now - seenAt <= SEEN_TTL_MS) merge(out, field.slice(0, field.indexOf(':')), activeAt);
      }
      return out;
    } catch {
      // Redis is down: this instance's own consoles are all it can vouch for.
      return this.fallback.online(orgId, now);
    }
  }

  async close(): Promise<void> {}
}

/** Whether someone online is available for a chat (not idle, not marked away — the caller checks users.away). */
export function isActive(activeAt: number | undefined, now = Date.now()): boolean {
  return activeAt !== undefined && now - activeAt <= IDLE_MS;
}

export async function openPresence(options: { redisUrl?: string; namespace: string; logger: Logger }): Promise<Presence> {
  if (!options.redisUrl) return new LocalPresence();
  const redis = new Redis(options.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(n * 200, 2_000) });
  redis.on('error', () => undefined);
  await redis.connect();
  const presence = new RedisPresence(redis, options.namespace, options.logger);
  const close = presence.close.bind(presence);
  presence.close = async () => {
    await close();
    await redis.quit().catch(() => redis.disconnect());
  };
  return presence;
}
