/**
 * A `ws` client for realtime tests: collects the server's messages, waits for
 * one that matches, and reports how the socket closed or why the upgrade failed.
 */
import { WebSocket } from 'ws';

export interface ServerMessageSeen {
  type: string;
  seq: number;
  ticketId?: string;
  [field: string]: unknown;
}

export interface Client {
  ws: WebSocket;
  /** Every message, in order. */
  seen: ServerMessageSeen[];
  /** Messages not yet consumed by `next` (tests may clear it). */
  messages: ServerMessageSeen[];
  next(match: (m: ServerMessageSeen) => boolean, timeoutMs?: number): Promise<ServerMessageSeen>;
  closed: Promise<{ code: number }>;
}

export function connectSocket(url: string, headers: Record<string, string>): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const seen: ServerMessageSeen[] = [];
    const messages: ServerMessageSeen[] = [];
    const waiters: Array<{ match: (m: ServerMessageSeen) => boolean; resolve: (m: ServerMessageSeen) => void }> = [];
    const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessageSeen;
      seen.push(m);
      const i = waiters.findIndex((w) => w.match(m));
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
      else messages.push(m);
    });
    ws.on('error', (err) => reject(err));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('open', () =>
      resolve({
        ws,
        seen,
        messages,
        closed,
        next(match, timeoutMs = 5000) {
          const i = messages.findIndex(match);
          if (i >= 0) return Promise.resolve(messages.splice(i, 1)[0]!);
          return new Promise((res, rej) => {
            const waiter = { match, resolve: (m: ServerMessageSeen) => (clearTimeout(timer), res(m)) };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rej(new Error(`no matching message within ${timeoutMs} ms; seen ${JSON.stringify(seen)}`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
      }),
    );
  });
}

/** The HTTP status an upgrade gets: 101 when accepted (the socket is closed at once), else the refusal's. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}
