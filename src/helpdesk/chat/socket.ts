/**
 * The customer's side of live chat: one WebSocket per open widget, bound to one
 * conversation by its token (the first frame; never the URL, so it stays out of
 * access logs). The socket joins no room it names: it hears only its own
 * conversation, and only what the server loads for it from the database.
 *
 * Delivery: each socket remembers the last seq it sent; a bus event (from any
 * instance) or a resume makes it load and send everything after that, one
 * batch at a time per socket, so a client sees every item once and in order —
 * across reconnects too, since it resumes from the last seq it saw.
 *
 * Limits: text JSON frames only, at most `maxFrameBytes` (ws closes larger
 * ones with 1009; invalid UTF-8 with 1007), `maxFramesPerSecond` a connection
 * (then 4429), no `auth` within `authTimeoutMs` (4408), token expired (4401);
 * the per-visitor message rate is counted in the database, across instances.
 */
import type { WebSocket } from 'ws';
import { AppError } from '../../platform/errors.js';
import type { BusEvent } from '../../platform/realtime/bus.js';
import type { Logger } from '../../platform/logging.js';
import type { ClientInfo } from '../portal/deps.js';
import { pendingChatVerification, submitChatVerification } from '../verification/verification.service.js';
import { countSockets } from '../../platform/metrics/metrics.js';
import {
  authenticateVisitor,
  conversationState,
  endChat,
  loadItems,
  postCustomerMessage,
  recordVerified,
  touchVisitors,
  type ChatDeps,
  type ChatVisitor,
} from './conversations.js';
import { sendTranscript } from './transcript.js';

export const CHAT_CLOSE = { expired: 4401, noAuth: 4408, flood: 4429, policy: 1008, shuttingDown: 1001 } as const;

export interface ChatSocketOptions {
  maxFrameBytes?: number;
  maxFramesPerSecond?: number;
  authTimeoutMs?: number;
  recheckMs?: number;
}

interface Conn {
  ws: WebSocket;
  client: ClientInfo;
  visitor: ChatVisitor | null;
  lastSent: number;
  /** Frames are handled one after another: a message sent right behind `auth` waits for it. */
  inbox: Promise<void>;
  chain: Promise<void>;
  windowStart: number;
  frames: number;
  lastTypingAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ChatSocketHub {
  private readonly byConversation = new Map<string, Set<Conn>>();
  private readonly all = new Set<Conn>();
  private unsubscribe: (() => void) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly maxFrameBytes: number;
  private readonly maxFramesPerSecond: number;
  private readonly authTimeoutMs: number;
  private readonly uncount = countSockets('chat', () => this.all.size);

  constructor(private readonly deps: ChatDeps, private readonly logger: Logger, options: ChatSocketOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 8 * 1024;
    this.maxFramesPerSecond = options.maxFramesPerSecond ?? 10;
    this.authTimeoutMs = options.authTimeoutMs ?? 10_000;
    this.unsubscribe = deps.bus.subscribe((e) => this.onEvent(e), () => this.resyncAll());
    const recheck = setInterval(() => void this.recheckAll(), options.recheckMs ?? 30_000);
    recheck.unref();
    this.timers.push(recheck);
  }

  get size(): number {
    return this.all.size;
  }

  add(ws: WebSocket, client: ClientInfo): void {
    const conn: Conn = { ws, client, visitor: null, lastSent: 0, inbox: Promise.resolve(), chain: Promise.resolve(), windowStart: Date.now(), frames: 0, lastTypingAt: 0 };
    this.all.add(conn);
    const authTimer = setTimeout(() => {
      if (!conn.visitor) this.drop(conn, CHAT_CLOSE.noAuth, 'no auth frame');
    }, this.authTimeoutMs);
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    const gone = () => {
      clearTimeout(authTimer);
      this.forget(conn);
    };
    ws.on('close', gone);
    ws.on('error', gone);
  }

  private forget(conn: Conn): void {
    this.all.delete(conn);
    if (conn.visitor) {
      const set = this.byConversation.get(conn.visitor.conversationId);
      set?.delete(conn);
      if (set && set.size === 0) this.byConversation.delete(conn.visitor.conversationId);
    }
  }

  private drop(conn: Conn, code: number, reason: string): void {
    this.forget(conn);
    conn.ws.close(code, reason);
  }

  private send(conn: Conn, message: Record<string, unknown>): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(message));
  }

  private error(conn: Conn, code: string, detail: string, extra: Record<string, unknown> = {}): void {
    this.send(conn, { type: 'error', code, detail, ...extra });
  }

  /** Checks a frame at once (binary, size, flood, JSON), then queues it behind the connection's earlier frames. */
  private onFrame(conn: Conn, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (isBinary) return this.drop(conn, CHAT_CLOSE.policy, 'binary frames are not accepted');
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (buf.length > this.maxFrameBytes) return this.drop(conn, 1009, 'frame too large');
    const now = Date.now();
    if (now - conn.windowStart >= 1000) {
      conn.windowStart = now;
      conn.frames = 0;
    }
    if (++conn.frames > this.maxFramesPerSecond) return this.drop(conn, CHAT_CLOSE.flood, 'too many frames');
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(buf.toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      return this.drop(conn, CHAT_CLOSE.policy, 'malformed frame');
    }
    conn.inbox = conn.inbox.then(() => this.process(conn, frame));
  }

  private async process(conn: Conn, frame: Record<string, unknown>): Promise<void> {
    if (!this.all.has(conn)) return;
    try {
      if (!conn.visitor) {
        if (frame.type !== 'auth') return this.drop(conn, CHAT_CLOSE.policy, 'auth first');
        return await this.authenticate(conn, frame);
      }
      await this.handle(conn, conn.visitor, frame);
    } catch (err) {
      if (err instanceof AppError) {
        if (err.code === 'unauthenticated') return this.drop(conn, CHAT_CLOSE.expired, 'chat expired');
        const reason = (err.extra as { reason?: string } | undefined)?.reason;
        return this.error(conn, reason ?? err.code, err.message, typeof frame.clientId === 'string' ? { clientId: frame.clientId } : {});
      }
      this.logger.warn({ err }, 'chat frame failed');
      this.error(conn, 'unavailable', 'Something went wrong on our side; try again in a moment.', typeof frame.clientId === 'string' ? { clientId: frame.clientId } : {});
    }
  }

  private async authenticate(conn: Conn, frame: Record<string, unknown>): Promise<void> {
    const visitor = await authenticateVisitor(this.deps, frame.token, conn.client);
    // Connecting is activity: the idle clock starts again.
    if (!(await touchVisitors(this.deps, [visitor.conversationId])).size) return this.drop(conn, CHAT_CLOSE.expired, 'chat expired');
    const after = Number.isInteger(frame.after) && (frame.after as number) >= 0 ? (frame.after as number) : 0;
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.visitor = visitor;
    conn.lastSent = after;
    let set = this.byConversation.get(visitor.conversationId);
    if (!set) this.byConversation.set(visitor.conversationId, (set = new Set()));
    set.add(conn);
    const state = await conversationState(this.deps.db, visitor.conversationId);
    visitor.ticketId = state.ticketId;
    this.send(conn, { type: 'ready', status: state.status, lastSeq: state.lastSeq, agent: state.agent });
    this.flush(conn);
  }

  private async handle(conn: Conn, visitor: ChatVisitor, frame: Record<string, unknown>): Promise<void> {
    switch (frame.type) {
      case 'message': {
        if (typeof frame.clientId !== 'string' || !UUID.test(frame.clientId) || typeof frame.body !== 'string') {
          return this.error(conn, 'invalid_frame', 'A message needs a clientId (a UUID) and a body.');
        }
        // The sender's own copy goes out from what was just stored when the socket has everything before it (it
        // is sent before the new seq is announced, so the announcement finds this socket up to date); after a
        // gap, the announcement's flush reads it back like any other item.
        const sent = await postCustomerMessage(this.deps, visitor, { clientId: frame.clientId, body: frame.body }, {
          onStored: (item) => {
            if (conn.lastSent !== item.seq - 1 || conn.ws.readyState !== conn.ws.OPEN) return;
            this.send(conn, { type: 'message', ...item });
            conn.lastSent = item.seq;
          },
        });
        visitor.ticketId = sent.ticketId;
        this.send(conn, { type: 'ack', clientId: frame.clientId, seq: sent.seq, redacted: sent.redacted });
        // A resend of something already stored is not announced again; make sure this socket has it.
        if (sent.duplicate) this.flush(conn);
        return;
      }
      case 'typing': {
        const now = Date.now();
        if (!visitor.ticketId || now - conn.lastTypingAt < 2_000) return;
        conn.lastTypingAt = now;
        this.deps.bus.publish({ k: 'typing', orgId: visitor.orgId, ticketId: visitor.ticketId, who: 'customer', userId: null, name: null });
        return;
      }
      case 'verify': {
        if (typeof frame.verificationId !== 'string' || !UUID.test(frame.verificationId) || typeof frame.code !== 'string' || frame.code.length > 20) {
          return this.error(conn, 'invalid_frame', 'A verification needs its id and the code.');
        }
        const { status } = await submitChatVerification(this.deps, visitor, { verificationId: frame.verificationId, code: frame.code.trim() });
        this.send(conn, { type: 'verify-result', verificationId: frame.verificationId, status });
        if (status === 'verified') await recordVerified(this.deps, visitor);
        return;
      }
      case 'transcript':
        await sendTranscript(this.deps, visitor);
        return;
      case 'end':
        await endChat(this.deps, { kind: 'customer', visitor });
        return;
      case 'auth':
        return this.error(conn, 'invalid_frame', 'This connection is already signed in.');
      default:
        return this.error(conn, 'invalid_frame', 'Unknown frame type.');
    }
  }

  /** Sends everything after the socket's last seq, after whatever it is sending now. */
  private flush(conn: Conn): void {
    conn.chain = conn.chain
      .then(async () => {
        const v = conn.visitor;
        if (!v || conn.ws.readyState !== conn.ws.OPEN) return;
        for (;;) {
          const items = await loadItems(this.deps, this.deps.db, { conversationId: v.conversationId, orgId: v.orgId, after: conn.lastSent, limit: 200, customerName: 'You' });
          for (const item of items) {
            // Already sent by the sender's own copy (above) while this read was under way.
            if (item.seq <= conn.lastSent) continue;
            // Identified by an email code (identify.ts): from here on the conversation is that address's customer's.
            if (item.event === 'identified') v.customerId = (await conversationState(this.deps.db, v.conversationId)).customerId;
            this.send(conn, { type: 'message', ...item });
            conn.lastSent = item.seq;
          }
          if (items.length < 200) return;
        }
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'chat delivery failed; the client catches up when it reconnects'));
  }

  private onEvent(event: BusEvent): void {
    switch (event.k) {
      case 'chat-seq': {
        for (const conn of this.byConversation.get(event.conversationId) ?? []) if (event.seq > conn.lastSent) this.flush(conn);
        return;
      }
      case 'chat-state': {
        const conns = this.byConversation.get(event.conversationId);
        if (!conns?.size) return;
        void conversationState(this.deps.db, event.conversationId)
          .then((s) => {
            for (const conn of conns) {
              if (conn.visitor) conn.visitor.ticketId = s.ticketId;
              this.send(conn, { type: 'status', status: s.status, agent: s.agent });
            }
          })
          .catch((err: unknown) => this.logger.warn({ err }, 'chat state not sent'));
        return;
      }
      case 'typing': {
        if (event.who !== 'agent') return;
        for (const conn of this.forTicket(event.ticketId)) {
          // Only the chat's own agent is shown typing to the customer.
          void conversationState(this.deps.db, conn.visitor!.conversationId)
            .then((s) => {
              if (s.status === 'active' && s.agentId === event.userId) this.send(conn, { type: 'typing' });
            })
            .catch(() => undefined);
        }
        return;
      }
      case 'chat-verify': {
        const conns = this.forTicket(event.ticketId);
        if (!conns.length) return;
        void pendingChatVerification(this.deps, { orgId: event.orgId, ticketId: event.ticketId, verificationId: event.verificationId })
          .then((v) => {
            if (v) for (const conn of conns) this.send(conn, { type: 'verify', ...v });
          })
          .catch((err: unknown) => this.logger.warn({ err }, 'chat verification not announced'));
        return;
      }
    }
  }

  private forTicket(ticketId: string): Conn[] {
    return [...this.all].filter((c) => c.visitor?.ticketId === ticketId);
  }

  /** The bus lost events between instances: every socket catches up from the database. */
  private resyncAll(): void {
    for (const conn of this.all) if (conn.visitor) this.flush(conn);
  }

  private async recheckAll(): Promise<void> {
    const held = [...this.all].filter((c) => c.visitor);
    let valid: Set<string>;
    try {
      valid = await touchVisitors(this.deps, held.map((c) => c.visitor!.conversationId));
    } catch {
      // The database is away: keep the sockets; the next round decides.
      return;
    }
    for (const conn of held) if (!valid.has(conn.visitor!.conversationId)) this.drop(conn, CHAT_CLOSE.expired, 'chat expired');
  }

  async close(): Promise<void> {
    this.uncount();
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    for (const conn of this.all) conn.ws.close(CHAT_CLOSE.shuttingDown, 'server shutting down');
    this.all.clear();
    this.byConversation.clear();
  }
}
