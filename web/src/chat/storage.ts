/**
 * The conversation kept in sessionStorage (this tab only, gone when it
 * closes), so a reload resumes it: the conversation token, what is shown and
 * what is still to send. One entry per organisation and embedding origin.
 * Storage can be unavailable (a browser blocking third-party storage) or full:
 * the chat then works for as long as the page is open.
 */
import type { ChatIdentity } from './http.js';
import type { ChatStatus } from './protocol.js';
import { reviveChat, type ChatState } from './store.js';

export interface SavedChat {
  conversationId: string;
  token: string;
  expiresAt: string;
  identity: ChatIdentity;
  status: ChatStatus;
  agentName: string | null;
  verified: boolean;
  chat: ChatState;
}

export function storageKey(orgId: string, host: string, portal: boolean): string {
  return `trustdesk-chat:${orgId}:${portal ? 'portal' : host}`;
}

const KINDS: readonly string[] = ['anonymous', 'site', 'portal', 'email'];
const STATUSES: readonly string[] = ['waiting', 'active', 'ended'];

/** A saved conversation read back, or null when there is none, it is unreadable or its token has expired. */
export function reviveSaved(raw: string | null, now: number): SavedChat | null {
  if (!raw) return null;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || typeof v.conversationId !== 'string' || typeof v.token !== 'string') return null;
  const expiresAt = typeof v.expiresAt === 'string' ? v.expiresAt : '';
  if (expiresAt && Date.parse(expiresAt) <= now) return null;
  const identity = (v.identity ?? {}) as Partial<ChatIdentity>;
  return {
    conversationId: v.conversationId,
    token: v.token,
    expiresAt,
    identity: { kind: KINDS.includes(identity.kind as string) ? (identity.kind as ChatIdentity['kind']) : 'anonymous', name: typeof identity.name === 'string' ? identity.name : null },
    status: STATUSES.includes(v.status as string) ? (v.status as ChatStatus) : 'waiting',
    agentName: typeof v.agentName === 'string' ? v.agentName : null,
    verified: v.verified === true,
    chat: reviveChat(v.chat),
  };
}

/** The part of the Storage interface used here. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Reading `sessionStorage` itself throws where the browser blocks storage in third-party frames. */
export function sessionStore(): KeyValueStore | null {
  try {
    return (globalThis as { sessionStorage?: KeyValueStore }).sessionStorage ?? null;
  } catch {
    return null;
  }
}

export function loadChat(store: KeyValueStore | null, key: string): SavedChat | null {
  try {
    return reviveSaved(store?.getItem(key) ?? null, Date.now());
  } catch {
    return null;
  }
}

export function saveChat(store: KeyValueStore | null, key: string, saved: SavedChat): void {
  try {
    store?.setItem(key, JSON.stringify(saved));
  } catch {
    // Full or refused: the conversation still works until the page closes.
  }
}

export function forgetChat(store: KeyValueStore | null, key: string): void {
  try {
    store?.removeItem(key);
  } catch {
    // Nothing was stored.
  }
}
