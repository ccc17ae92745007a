/**
 * The frame's socket to /api/chat/socket on its own origin: authenticates with
 * the conversation token and the last seq seen, hands every server frame to
 * the page, and reconnects after a drop with exponential backoff and jitter
 * (so a restarted server is not hit by every visitor at once). A close with
 * 4401 (token expired or invalid) stops for good: the page starts again.
 */
import { CLOSE, readServerFrame, reconnectDelay, socketUrl, type ClientFrame, type ServerFrame } from './protocol.js';

export type Link = 'connecting' | 'ready' | 'reconnecting' | 'stopped';

export interface SocketHandlers {
  onFrame(frame: ServerFrame): void;
  onLink(link: Link): void;
  /** The socket closed for good (4401), or was told to by the page. */
  onStopped(code: number): void;
  /** Closed with a code that says the visitor sent too much (4429). */
  onFlood(): void;
}

export class ChatSocket {
  private ws: WebSocket | null = null;
  private ready = false;
  private attempt = 0;
  private timer: number | undefined;
  private stopped = false;
  private readonly online = () => {
    // Back online: try now rather than at the end of a long backoff.
    if (this.timer !== undefined && !this.ws) {
      window.clearTimeout(this.timer);
      this.timer = undefined;
      this.open();
    }
  };

  constructor(
    private readonly token: string,
    private readonly after: () => number,
    private readonly handlers: SocketHandlers,
  ) {}

  start(): void {
    window.addEventListener('online', this.online);
    this.open();
  }

  /** Closes without reconnecting (the page unmounts or starts again). */
  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.online);
    window.clearTimeout(this.timer);
    this.timer = undefined;
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    ws?.close(1000);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Sends a frame if the socket is authenticated; false otherwise (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private open(): void {
    if (this.stopped || this.ws) return;
    this.handlers.onLink(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(socketUrl(window.location));
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', token: this.token, after: this.after() } satisfies ClientFrame));
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      const frame = readServerFrame(event.data);
      if (!frame) return;
      if (frame.type === 'ready') {
        this.ready = true;
        this.attempt = 0;
        this.handlers.onLink('ready');
      }
      this.handlers.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (this.stopped) return;
      if (event.code === CLOSE.tokenInvalid) {
        this.stopped = true;
        window.removeEventListener('online', this.online);
        this.handlers.onLink('stopped');
        this.handlers.onStopped(event.code);
        return;
      }
      if (event.code === CLOSE.flood) {
        this.handlers.onFlood();
        this.attempt = Math.max(this.attempt, 3);
      }
      this.handlers.onLink('reconnecting');
      this.timer = window.setTimeout(() => {
        this.timer = undefined;
        this.open();
      }, reconnectDelay(this.attempt++, Math.random()));
    };
  }
}
