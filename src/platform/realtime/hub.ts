/**
 * One instance's open staff consoles. Each socket belongs to a principal
 * (computed on connect from the session cookie; the client names nothing). An
 * event from the database channel (events.ts) is loaded once — the ticket's
 * organisation, team and assignee — and sent only to the sockets whose principal
 * may read that ticket, by the same `can(p, 'tickets.read', …)` the API applies.
 * A message carries no ticket data, just "refetch this", and a per-socket `seq`.
 *
 * Sockets re-check their session every `recheckMs` (revoked, expired, idle,
 * user deactivated, address no longer allowed: closed with 4401) and refresh
 * their principal (role and team changes apply without reconnecting). Dead ones
 * are found by ping/pong; each user holds at most `maxSocketsPerUser`.
 */
import type { WebSocket } from 'ws';
import { can, type Principal } from '../../identity/auth/access.js';
import { addressAllowed, loadUserAccess, principalFrom } from '../../identity/auth/principals.js';
import { findLiveSession, type SessionPolicy } from '../../identity/auth/sessions.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../logging.js';
import { parseRealtimeEvent, REALTIME_CHANNEL, type RealtimeEvent } from './events.js';

export type ServerMessage = { type: 'ready' } | { type: 'ticket'; ticketId: string } | { type: 'notifications' } | { type: 'resync' };

/** Close codes a client may act on (4xxx: application-defined). */
export const CLOSE = {
  sessionEnded: 4401,
  tooManySockets: 4429,
  policy: 1008,
  tooBig: 1009,
  shuttingDown: 1001,
} as const;

export interface HubOptions {
  database: DatabaseHandle;
  logger: Logger;
  policy: SessionPolicy;
  recheckMs?: number;
  pingMs?: number;
  maxSocketsPerUser?: number;
  /** Client frames: each at most this many bytes, at most `maxFramesPerSecond` a second. */
  maxFrameBytes?: number;
  maxFramesPerSecond?: number;
}

interface Connection {
  ws: WebSocket;
  principal: Principal;
  sessionToken: string;
  seq: number;
  alive: boolean;
  frameWindowStart: number;
  framesInWindow: number;
}

export class RealtimeHub {
  private readonly connections = new Set<Connection>();
  private starting: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly recheckMs: number;
  private readonly pingMs: number;
  private readonly maxSocketsPerUser: number;
  private readonly maxFrameBytes: number;
  private readonly maxFramesPerSecond: number;

  constructor(private readonly options: HubOptions) {
    this.recheckMs = options.recheckMs ?? 30_000;
    this.pingMs = options.pingMs ?? 30_000;
    this.maxSocketsPerUser = options.maxSocketsPerUser ?? 10;
    this.maxFrameBytes = options.maxFrameBytes ?? 64;
    this.maxFramesPerSecond = options.maxFramesPerSecond ?? 5;
  }

  /** Listens on the database channel (once, on the first socket), before the socket is accepted: nothing committed after `open` is missed. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('realtime hub closed'));
    this.starting ??= (async () => {
      this.unlisten = await this.options.database.listen(
        REALTIME_CHANNEL,
        (payload) => void this.onPayload(payload),
        () => this.broadcastResync(),
      );
      const recheck = setInterval(() => void this.recheckAll(), this.recheckMs);
      const ping = setInterval(() => this.pingAll(), this.pingMs);
      recheck.unref();
      ping.unref();
      this.timers.push(recheck, ping);
    })().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  get size(): number {
    return this.connections.size;
  }

  /** Takes an accepted socket; returns false (and closes it) when its user already holds the maximum. */
  add(ws: WebSocket, principal: Principal, sessionToken: string): boolean {
    let held = 0;
    for (const c of this.connections) if (c.principal.userId === principal.userId) held++;
    if (held >= this.maxSocketsPerUser) {
      ws.close(CLOSE.tooManySockets, 'too many connections');
      return false;
    }
    const conn: Connection = { ws, principal, sessionToken, seq: 0, alive: true, frameWindowStart: Date.now(), framesInWindow: 0 };
    this.connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onClientFrame(conn, data, isBinary));
    ws.on('close', () => this.connections.delete(conn));
    ws.on('error', () => this.connections.delete(conn));
    this.send(conn, { type: 'ready' });
    return true;
  }

  /** The client has nothing to say: a tiny keep-alive is tolerated, anything else closes the socket. */
  private onClientFrame(conn: Connection, data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (isBinary) return this.drop(conn, CLOSE.policy, 'binary frames are not accepted');
    if (size > this.maxFrameBytes) return this.drop(conn, CLOSE.tooBig, 'frame too large');
    const now = Date.now();
    if (now - conn.frameWindowStart >= 1000) {
      conn.frameWindowStart = now;
      conn.framesInWindow = 0;
    }
    if (++conn.framesInWindow > this.maxFramesPerSecond) this.drop(conn, CLOSE.policy, 'too many frames');
  }

  private drop(conn: Connection, code: number, reason: string): void {
    this.connections.delete(conn);
    conn.ws.close(code, reason);
  }

  private send(conn: Connection, message: ServerMessage): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.seq++;
    conn.ws.send(JSON.stringify({ ...message, seq: conn.seq }));
  }

  private async onPayload(payload: string): Promise<void> {
    const event = parseRealtimeEvent(payload);
    if (!event) return;
    try {
      await this.dispatch(event);
    } catch (err) {
      // Consoles fall back to their slow poll; the next event or reconnect resynchronises them.
      this.options.logger.warn({ err }, 'realtime event not dispatched');
    }
  }

  private async dispatch(event: RealtimeEvent): Promise<void> {
    const inOrg = [...this.connections].filter((c) => c.principal.orgId === event.orgId);
    if (inOrg.length === 0) return;
    if (event.k === 'notification') {
      for (const c of inOrg) if (c.principal.userId === event.userId) this.send(c, { type: 'notifications' });
      return;
    }
    // One query per event per instance, whatever the number of sockets.
    const t = await this.options.database.db.selectFrom('tickets').where('id', '=', event.ticketId).select(['org_id', 'team_id', 'assignee_id']).executeTakeFirst();
    if (!t || t.org_id !== event.orgId) return;
    const record = { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id };
    for (const c of inOrg) if (can(c.principal, 'tickets.read', record)) this.send(c, { type: 'ticket', ticketId: event.ticketId });
  }

  /** The listener lost its connection: whatever happened meanwhile was not heard, so every console refetches. */
  private broadcastResync(): void {
    for (const c of this.connections) this.send(c, { type: 'resync' });
  }

  /** Closes sockets whose session ended; refreshes the others' roles and teams. */
  async recheckAll(): Promise<void> {
    const db = this.options.database.db;
    for (const c of [...this.connections]) {
      try {
        const session = await findLiveSession(db, c.sessionToken, this.options.policy);
        const access = session ? await loadUserAccess(db, session.user_id) : null;
        if (!session || !access || access.status !== 'active' || !addressAllowed(c.principal.ip, access.allowlists)) {
          this.drop(c, CLOSE.sessionEnded, 'session ended');
          continue;
        }
        c.principal = principalFrom(access, {
          kind: 'session',
          sessionIdHash: Buffer.from(session.id_hash),
          mfaAt: session.mfa_at,
          mfaMethod: session.mfa_method,
          stepUpAt: session.step_up_at,
          ip: c.principal.ip,
        });
      } catch (err) {
        // The database is unreachable: keep the socket (nothing is sent without a committed event) and try again next round.
        this.options.logger.warn({ err }, 'realtime session re-check failed');
      }
    }
  }

  private pingAll(): void {
    for (const c of [...this.connections]) {
      if (!c.alive) {
        this.connections.delete(c);
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.connections) c.ws.close(CLOSE.shuttingDown, 'server shutting down');
    this.connections.clear();
    await this.starting?.catch(() => undefined);
    await this.unlisten?.().catch(() => undefined);
  }
}
