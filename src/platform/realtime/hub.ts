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
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { can, type Principal } from '../../identity/auth/access.js';
import { countSockets } from '../metrics/metrics.js';
import { addressAllowed, loadUserAccess, principalFrom } from '../../identity/auth/principals.js';
import { findLiveSession, type SessionPolicy } from '../../identity/auth/sessions.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../logging.js';
import { parseRealtimeEvent, REALTIME_CHANNEL, type RealtimeEvent } from './events.js';
import type { Bus, BusEvent } from './bus.js';
import type { Presence } from './presence.js';

export type ServerMessage =
  | { type: 'ready' }
  | { type: 'ticket'; ticketId: string }
  | { type: 'notifications' }
  | { type: 'resync' }
  /**
   * A chat the socket's user holds has a new item `chatSeq` (the frame's own `seq` counts the socket's frames), with the
   * item itself (its read audited first) unless it could not be loaded: then the console fetches it.
   */
  | { type: 'chat'; ticketId: string; chatSeq: number; item?: ChatItemPayload }
  /** A waiting chat is offered to this user. */
  | { type: 'chat-offer'; ticketId: string }
  /** Someone else is typing on a ticket the user may read (the collision warning; the customer of a chat). */
  | { type: 'typing'; ticketId: string; who: 'customer' | 'agent'; name: string | null };

/** A chat item as the console's API answers it (src/helpdesk/chat/live.ts loads and audits it). */
export interface ChatItemPayload {
  seq: number;
}

export type ChatItemLoader = (input: { orgId: string; conversationId: string; ticketId: string; customerId: string; seq: number; readers: readonly Principal[] }) => Promise<ChatItemPayload | null>;

/** `ticket` frames per socket and ticket: at most one per this period (sendTicket). */
const TICKET_EVERY_MS = 250;

/** A socket about to be sent customer text has had its session checked at most this long ago. */
const CONTENT_RECHECK_MS = 5_000;

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
  /** Chat events between instances, and this instance's staff presence (chat routing). */
  bus?: Bus;
  presence?: Presence;
  presenceEveryMs?: number;
  /** Loads (and audits) a new chat item for the agents holding the chat; without it they are told to fetch. */
  chatItem?: ChatItemLoader;
}

interface Connection {
  ws: WebSocket;
  principal: Principal;
  sessionToken: string;
  seq: number;
  alive: boolean;
  frameWindowStart: number;
  framesInWindow: number;
  /** Last sign of the person at the console (a frame saying so), for presence. */
  activeAt: number;
  lastTypingAt: number;
  /** When the session behind the socket was last found live. */
  checkedAt: number;
  /** Per ticket, when a `ticket` frame last went out, and the trailing frame waiting (sendTicket). */
  ticketSentAt: Map<string, number>;
  ticketPending: Map<string, NodeJS.Timeout>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Typing frames relayed per socket at most once in this period. */
const TYPING_EVERY_MS = 2_000;

export class RealtimeHub {
  private readonly connections = new Set<Connection>();
  private starting: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private unsubscribeBus: (() => void) | null = null;
  private readonly instance = randomUUID();
  /** Organisations this instance has reported presence for (so a last console leaving is reported too). */
  private readonly reportedOrgs = new Set<string>();
  private readonly recheckMs: number;
  private readonly pingMs: number;
  private readonly maxSocketsPerUser: number;
  private readonly maxFrameBytes: number;
  private readonly maxFramesPerSecond: number;
  /** Per conversation, the push in progress: items go out in seq order. */
  private readonly chatPushes = new Map<string, Promise<void>>();

  private readonly uncount = countSockets('console', () => this.connections.size);

  constructor(private readonly options: HubOptions) {
    this.recheckMs = options.recheckMs ?? 30_000;
    this.pingMs = options.pingMs ?? 30_000;
    this.maxSocketsPerUser = options.maxSocketsPerUser ?? 10;
    this.maxFrameBytes = options.maxFrameBytes ?? 128;
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
      if (this.options.bus) this.unsubscribeBus = this.options.bus.subscribe((e) => void this.onBus(e), () => this.broadcastResync());
      if (this.options.presence) {
        const presence = setInterval(() => void this.reportPresence(), this.options.presenceEveryMs ?? 15_000);
        presence.unref();
        this.timers.push(presence);
      }
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
    const now = Date.now();
    const conn: Connection = { ws, principal, sessionToken, seq: 0, alive: true, frameWindowStart: now, framesInWindow: 0, activeAt: now, lastTypingAt: 0, checkedAt: now, ticketSentAt: new Map(), ticketPending: new Map() };
    this.connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onClientFrame(conn, data, isBinary));
    const gone = () => {
      for (const t of conn.ticketPending.values()) clearTimeout(t);
      conn.ticketPending.clear();
      if (this.connections.delete(conn)) void this.reportPresence(conn.principal.orgId);
    };
    ws.on('close', gone);
    ws.on('error', gone);
    this.send(conn, { type: 'ready' });
    void this.reportPresence(principal.orgId);
    return true;
  }

  /**
   * What a console may say: `{"t":"active"}` (the person is there: presence) and `{"t":"typing","id":<ticket>}`
   * (relayed to the others who may read that ticket, and to a chat's customer). Anything else is ignored;
   * binary, large or frequent frames close the socket.
   */
  private onClientFrame(conn: Connection, data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (isBinary) return this.drop(conn, CLOSE.policy, 'binary frames are not accepted');
    if (size > this.maxFrameBytes) return this.drop(conn, CLOSE.tooBig, 'frame too large');
    const now = Date.now();
    if (now - conn.frameWindowStart >= 1000) {
      conn.frameWindowStart = now;
      conn.framesInWindow = 0;
    }
    if (++conn.framesInWindow > this.maxFramesPerSecond) return this.drop(conn, CLOSE.policy, 'too many frames');
    let frame: { t?: unknown; id?: unknown };
    try {
      frame = JSON.parse((Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8')) as typeof frame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    if (frame.t === 'active') {
      conn.activeAt = now;
      return;
    }
    if (frame.t === 'typing' && typeof frame.id === 'string' && UUID.test(frame.id) && this.options.bus) {
      conn.activeAt = now;
      if (now - conn.lastTypingAt < TYPING_EVERY_MS) return;
      conn.lastTypingAt = now;
      void this.relayTyping(conn, frame.id).catch((err: unknown) => this.options.logger.warn({ err }, 'typing not relayed'));
    }
  }

  /** Only someone who may read the ticket is announced as typing on it, under their own name. */
  private async relayTyping(conn: Connection, ticketId: string): Promise<void> {
    const db = this.options.database.db;
    const t = await db.selectFrom('tickets').where('id', '=', ticketId).where('org_id', '=', conn.principal.orgId).select(['org_id', 'team_id', 'assignee_id']).executeTakeFirst();
    if (!t || !can(conn.principal, 'tickets.read', { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id })) return;
    const user = await db.selectFrom('users').where('id', '=', conn.principal.userId).select('name').executeTakeFirst();
    this.options.bus!.publish({ k: 'typing', orgId: conn.principal.orgId, ticketId, who: 'agent', userId: conn.principal.userId, name: user?.name ?? null });
  }

  /** This instance's consoles, per organisation, to the presence store (all of them, or one organisation's). */
  private async reportPresence(onlyOrg?: string): Promise<void> {
    const presence = this.options.presence;
    if (!presence || this.closed) return;
    const byOrg = new Map<string, Map<string, number>>();
    for (const org of this.reportedOrgs) byOrg.set(org, new Map());
    for (const c of this.connections) {
      const users = byOrg.get(c.principal.orgId) ?? new Map<string, number>();
      users.set(c.principal.userId, Math.max(users.get(c.principal.userId) ?? 0, c.activeAt));
      byOrg.set(c.principal.orgId, users);
    }
    for (const [orgId, users] of byOrg) {
      if (onlyOrg && orgId !== onlyOrg) continue;
      try {
        await presence.report(orgId, this.instance, [...users].map(([userId, activeAt]) => ({ userId, activeAt })));
        if (users.size) this.reportedOrgs.add(orgId);
        else this.reportedOrgs.delete(orgId);
      } catch (err) {
        this.options.logger.warn({ err }, 'presence not reported');
      }
    }
  }

  /** Chat events: loaded once per event per instance, then sent to the sockets whose principal may read the ticket. */
  private async onBus(event: BusEvent): Promise<void> {
    try {
      if (event.k === 'chat-verify' || event.k === 'keys-destroyed' || !event.ticketId) return;
      const inOrg = [...this.connections].filter((c) => c.principal.orgId === event.orgId);
      if (inOrg.length === 0) return;
      const db = this.options.database.db;
      if (event.k === 'chat-seq') return await this.pushChatItem(event, inOrg);
      const t = await db.selectFrom('tickets').where('id', '=', event.ticketId).select(['org_id', 'team_id', 'assignee_id']).executeTakeFirst();
      if (!t || t.org_id !== event.orgId) return;
      const record = { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id };
      const readers = inOrg.filter((c) => can(c.principal, 'tickets.read', record));
      if (event.k === 'typing') {
        for (const c of readers) if (c.principal.userId !== event.userId) this.send(c, { type: 'typing', ticketId: event.ticketId, who: event.who, name: event.name });
      } else {
        // A state change (waiting, offered, accepted, ended): readers refetch; the person offered it is told so.
        const conv = await db.selectFrom('chat_conversations').where('id', '=', event.conversationId).select(['offered_to', 'status']).executeTakeFirst();
        for (const c of inOrg) {
          if (c.principal.userId === conv?.offered_to && conv.status === 'waiting') this.send(c, { type: 'chat-offer', ticketId: event.ticketId });
          // The chat inbox lists waiting chats of one's teams even before anyone may read the ticket as theirs.
          if (readers.includes(c) || c.principal.userId === conv?.offered_to) this.sendTicket(c, event.ticketId);
        }
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'chat event not dispatched');
    }
  }

  /**
   * A new chat item, to the agent holding the chat (on a socket whose session was found live within
   * CONTENT_RECHECK_MS): the item itself, once its read is audited. One conversation's items go out in order; a
   * console that sees a gap fetches from its last seq. Other readers hear of it by the ticket's change.
   */
  private pushChatItem(event: Extract<BusEvent, { k: 'chat-seq' }>, inOrg: Connection[]): Promise<void> {
    const previous = this.chatPushes.get(event.conversationId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const row = await this.options.database.db
        .selectFrom('tickets as t')
        .innerJoin('chat_conversations as c', 'c.ticket_id', 't.id')
        .where('t.id', '=', event.ticketId!)
        .where('c.id', '=', event.conversationId)
        .select(['t.org_id', 't.team_id', 't.assignee_id', 'c.agent_id', 'c.customer_id', 'c.status'])
        .executeTakeFirst();
      if (!row || row.org_id !== event.orgId) return;
      const record = { orgId: row.org_id, teamId: row.team_id, assigneeId: row.assignee_id };
      const readers = inOrg.filter((c) => can(c.principal, 'tickets.read', record));
      let holders = row.status === 'active' ? readers.filter((c) => c.principal.userId === row.agent_id) : [];
      if (holders.length) {
        const now = Date.now();
        await Promise.all(holders.filter((c) => now - c.checkedAt > CONTENT_RECHECK_MS).map((c) => this.recheck(c)));
        holders = holders.filter((c) => this.connections.has(c) && can(c.principal, 'tickets.read', record));
      }
      let item: ChatItemPayload | null = null;
      if (holders.length && this.options.chatItem) {
        item = await this.options.chatItem({ orgId: row.org_id, conversationId: event.conversationId, ticketId: event.ticketId!, customerId: row.customer_id, seq: event.seq, readers: [...new Set(holders.map((c) => c.principal))] }).catch((err: unknown) => {
          this.options.logger.warn({ err }, 'chat item not loaded for the console; it fetches instead');
          return null;
        });
      }
      // Only the holder: everyone else who may read the ticket hears of the change by its `ticket` frame (each chat
      // item comes with a ticket change or a chat-state event), so the team's other consoles get one frame per
      // message, not two — at a team's message rate, frames are most of an instance's work.
      for (const c of holders) {
        if (!this.connections.has(c)) continue;
        this.send(c, { type: 'chat', ticketId: event.ticketId!, chatSeq: event.seq, ...(item ? { item } : {}) });
      }
    });
    const settled = next.catch((err: unknown) => this.options.logger.warn({ err }, 'chat event not dispatched'));
    this.chatPushes.set(event.conversationId, settled);
    void settled.then(() => {
      if (this.chatPushes.get(event.conversationId) === settled) this.chatPushes.delete(event.conversationId);
    });
    return settled;
  }

  private drop(conn: Connection, code: number, reason: string): void {
    this.connections.delete(conn);
    conn.ws.close(code, reason);
  }

  /**
   * "This ticket changed", at most once per TICKET_EVERY_MS per socket and ticket: the first at once, later ones
   * folded into one trailing frame. A busy chat changes its ticket with every message; the console refetches on
   * each frame, so a burst needs one frame, not one per message.
   */
  private sendTicket(conn: Connection, ticketId: string): void {
    const now = Date.now();
    const last = conn.ticketSentAt.get(ticketId) ?? 0;
    if (now - last >= TICKET_EVERY_MS) {
      if (conn.ticketSentAt.size >= 1000) for (const [id, at] of conn.ticketSentAt) if (now - at >= TICKET_EVERY_MS) conn.ticketSentAt.delete(id);
      conn.ticketSentAt.set(ticketId, now);
      this.send(conn, { type: 'ticket', ticketId });
      return;
    }
    if (conn.ticketPending.has(ticketId)) return;
    const timer = setTimeout(() => {
      conn.ticketPending.delete(ticketId);
      conn.ticketSentAt.set(ticketId, Date.now());
      this.send(conn, { type: 'ticket', ticketId });
    }, TICKET_EVERY_MS - (now - last));
    timer.unref();
    conn.ticketPending.set(ticketId, timer);
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
    for (const c of inOrg) if (can(c.principal, 'tickets.read', record)) this.sendTicket(c, event.ticketId);
  }

  /** The listener lost its connection: whatever happened meanwhile was not heard, so every console refetches. */
  private broadcastResync(): void {
    for (const c of this.connections) this.send(c, { type: 'resync' });
  }

  /** Closes sockets whose session ended; refreshes the others' roles and teams. */
  async recheckAll(): Promise<void> {
    for (const c of [...this.connections]) await this.recheck(c);
  }

  private async recheck(c: Connection): Promise<void> {
    const db = this.options.database.db;
    try {
      const session = await findLiveSession(db, c.sessionToken, this.options.policy);
      const access = session ? await loadUserAccess(db, session.user_id) : null;
      if (!session || !access || access.status !== 'active' || !addressAllowed(c.principal.ip, access.allowlists)) {
        this.drop(c, CLOSE.sessionEnded, 'session ended');
        return;
      }
      c.principal = principalFrom(access, {
        kind: 'session',
        sessionIdHash: Buffer.from(session.id_hash),
        mfaAt: session.mfa_at,
        mfaMethod: session.mfa_method,
        stepUpAt: session.step_up_at,
        ip: c.principal.ip,
      });
      c.checkedAt = Date.now();
    } catch (err) {
      // The database is unreachable: keep the socket (nothing is sent without a committed event) and try again next round.
      this.options.logger.warn({ err }, 'realtime session re-check failed');
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
    this.uncount();
    this.unsubscribeBus?.();
    if (this.options.presence) {
      // Say goodbye, so routing stops counting this instance's consoles at once rather than after the TTL.
      for (const orgId of this.reportedOrgs) await this.options.presence.report(orgId, this.instance, []).catch(() => undefined);
    }
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.connections) c.ws.close(CLOSE.shuttingDown, 'server shutting down');
    this.connections.clear();
    await this.starting?.catch(() => undefined);
    await this.unlisten?.().catch(() => undefined);
  }
}
