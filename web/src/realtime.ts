/**
 * The console's live connection: one WebSocket per tab to /api/realtime on this
 * origin (the session cookie authenticates it; the server decides what this
 * person hears). Messages only say "refetch": `ticket` (with its id),
 * `notifications`, `resync`. Reconnects with exponential backoff and jitter;
 * after a reconnect every listener gets a `resync`, since what happened while
 * the socket was down was not heard. Components use `useRealtime(handler)` and,
 * to slow their polling while connected, `useRealtimeConnected()`. Chat adds
 * `chat` (a new message: fetch it, or, to the agent holding the chat, the message itself), `chat-offer` and `typing` (docs/chat.md),
 * and the only frames a client sends, through `sendRealtime`.
 */
import { useEffect, useRef, useState } from 'react';
import type { ChatItemView } from '../../src/platform/http/schemas/chat.js';

export interface RealtimeMessage {
  type: 'ready' | 'ticket' | 'notifications' | 'resync' | 'chat' | 'chat-offer' | 'typing';
  /** The socket's own frame counter (every frame has one): never a chat's sequence number. */
  seq?: number;
  ticketId?: string;
  /** `chat`: the sequence number of the chat item that is new. */
  chatSeq?: number;
  /** `chat` (sent only to the agent holding the chat): the item itself (its read audited by the server). */
  item?: ChatItemView;
  /** `typing`: who is typing, and their name (null when the server has none to show). Never my own typing. */
  who?: 'customer' | 'agent';
  name?: string | null;
}

/** What the console may send: typing on a ticket (collision warning, the chat customer's indicator), or activity. */
export type RealtimeFrame = { t: 'typing'; id: string } | { t: 'active' };

type Handler = (message: RealtimeMessage) => void;

const handlers = new Set<Handler>();
const connectionListeners = new Set<(connected: boolean) => void>();
let socket: WebSocket | null = null;
let connected = false;
let everReady = false;
let attempt = 0;
let retryTimer: number | undefined;
let idleTimer: number | undefined;

function setConnected(value: boolean): void {
  if (connected === value) return;
  connected = value;
  for (const l of connectionListeners) l(value);
}

function dispatch(message: RealtimeMessage): void {
  for (const h of [...handlers]) {
    try {
      h(message);
    } catch {
      // One component's failure must not stop the others from refreshing.
    }
  }
}

function open(): void {
  if (socket || handlers.size === 0 || typeof WebSocket === 'undefined') return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/realtime`);
  socket = ws;
  ws.onmessage = (event) => {
    let message: RealtimeMessage;
    try {
      message = JSON.parse(String(event.data)) as RealtimeMessage;
    } catch {
      return;
    }
    if (!message || typeof message.type !== 'string') return;
    if (message.type === 'ready') {
      attempt = 0;
      setConnected(true);
      // A reconnect: whatever changed while down was missed.
      if (everReady) dispatch({ type: 'resync', seq: message.seq });
      everReady = true;
      return;
    }
    dispatch(message);
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    setConnected(false);
    scheduleReconnect();
  };
}

function scheduleReconnect(): void {
  if (handlers.size === 0 || retryTimer !== undefined) return;
  // 1 s doubling to 60 s, with jitter so a restarted server is not hit by every tab at once (not a secret: Math.random is fine).
  const base = Math.min(60_000, 1000 * 2 ** attempt);
  attempt++;
  retryTimer = window.setTimeout(() => {
    retryTimer = undefined;
    open();
  }, base / 2 + Math.random() * (base / 2));
}

function subscribe(handler: Handler): () => void {
  handlers.add(handler);
  window.clearTimeout(idleTimer);
  open();
  return () => {
    handlers.delete(handler);
    if (handlers.size > 0) return;
    // Moving between the list and a ticket unsubscribes and resubscribes: keep the socket a moment.
    idleTimer = window.setTimeout(() => {
      if (handlers.size > 0) return;
      window.clearTimeout(retryTimer);
      retryTimer = undefined;
      socket?.close(1000);
      socket = null;
      setConnected(false);
    }, 5000);
  };
}

/**
 * Sends a frame when the socket is open; false when it is not (nothing is queued: a typing or activity signal is
 * worthless later). Callers throttle (web/src/agent/chat/typing.ts): the server closes a socket that sends more
 * than 5 frames a second or a frame over 64 bytes.
 */
export function sendRealtime(frame: RealtimeFrame): boolean {
  if (!socket || !connected || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/** Calls `handler` (the latest one rendered) for every message while the component is mounted. */
export function useRealtime(handler: Handler): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => subscribe((m) => ref.current(m)), []);
}

/** True while the live connection is up (components poll slowly then, and as before when it is down). */
export function useRealtimeConnected(): boolean {
  const [value, setValue] = useState(connected);
  useEffect(() => {
    connectionListeners.add(setValue);
    setValue(connected);
    return () => {
      connectionListeners.delete(setValue);
    };
  }, []);
  return value;
}

/** Runs `fn` once `ms` after the last call: a burst of events (a reply is a message and a ticket change) is one refetch. */
export function useDebounced(fn: () => void, ms = 300): () => void {
  const ref = useRef(fn);
  ref.current = fn;
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const call = useRef(() => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => ref.current(), ms);
  });
  return call.current;
}

/** While live, polls stay as a slow safety net. */
export const LIVE_POLL_MS = 5 * 60_000;
