/**
 * The part of `ws` (installed with @fastify/websocket, which ships no @types/ws)
 * that the hub and its tests use. Replace with @types/ws if it is ever added.
 */
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage } from 'node:http';

  export type RawData = Buffer | ArrayBuffer | Buffer[];

  export class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    readonly CONNECTING: 0;
    readonly OPEN: 1;
    readonly CLOSING: 2;
    readonly CLOSED: 3;
    readonly readyState: 0 | 1 | 2 | 3;
    constructor(address: string, options?: { headers?: Record<string, string>; maxPayload?: number });
    send(data: string | Buffer, options?: { binary?: boolean }, cb?: (err?: Error) => void): void;
    send(data: string | Buffer, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    ping(data?: unknown): void;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'open' | 'pong' | 'ping', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'unexpected-response', listener: (req: unknown, res: IncomingMessage) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export default WebSocket;
  export class WebSocketServer extends EventEmitter {
    clients: Set<WebSocket>;
  }
  export { WebSocketServer as Server };
  export interface ServerOptions {
    maxPayload?: number;
    [key: string]: unknown;
  }
}
