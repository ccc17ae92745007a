/**
 * The frame's HTTP calls (docs/chat.md): start a conversation, leave an
 * offline message, upload a file, confirm an email address with a code, and,
 * inside the portal, read the portal session's CSRF token. A failure becomes a ChatProblem carrying the
 * problem+json `code` and `detail`, which the frame shows in plain words.
 * Same-origin only: the frame is served by Trustdesk and calls nothing else.
 */

/** The identity the server settled on for this conversation. */
export interface ChatIdentity {
  kind: 'anonymous' | 'site' | 'portal' | 'email';
  name: string | null;
}

export interface StartedConversation {
  conversationId: string;
  token: string;
  expiresAt: string;
  available: boolean;
  identity: ChatIdentity;
}

export interface StartInput {
  orgId: string;
  host: string;
  name?: string;
  identityToken?: string;
  portal: boolean;
}

export class ChatProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail || code);
    this.name = 'ChatProblem';
  }
}

/** The portal's CSRF header (src/helpdesk/portal/sessions.ts PORTAL_CSRF_HEADER). */
const PORTAL_CSRF_HEADER = 'x-portal-csrf';

async function problemOf(response: Response): Promise<ChatProblem> {
  let code = response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'internal' : 'bad_request';
  let detail = '';
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    const body = (await response.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.detail === 'string') detail = body.detail;
  }
  return new ChatProblem(response.status, code, detail);
}

async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...(init.headers as Record<string, string>) } });
  } catch {
    throw new ChatProblem(0, 'network', '');
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

function json(body: unknown, extra: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) };
}

function isStarted(v: unknown): v is StartedConversation {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.conversationId === 'string' && typeof s.token === 'string' && typeof s.available === 'boolean';
}

/** The portal session's CSRF token, or null without a portal session. */
export async function portalCsrfToken(): Promise<string | null> {
  try {
    const response = await send('/api/portal/me', { method: 'GET' });
    const me = (await response.json()) as { csrfToken?: unknown };
    return typeof me.csrfToken === 'string' ? me.csrfToken : null;
  } catch (error) {
    if (error instanceof ChatProblem && error.status === 401) return null;
    throw error;
  }
}

/** POST /api/chat/conversations; inside the portal the portal session (cookie + CSRF header) is the identity. */
export async function startConversation(input: StartInput, portalCsrf: string | null): Promise<StartedConversation> {
  const headers: Record<string, string> = input.portal && portalCsrf ? { [PORTAL_CSRF_HEADER]: portalCsrf } : {};
  const response = await send('/api/chat/conversations', json(input, headers));
  const body: unknown = await response.json();
  if (!isStarted(body)) throw new ChatProblem(response.status, 'internal', '');
  const identity = (body as { identity?: Partial<ChatIdentity> }).identity;
  return { ...body, identity: { kind: identity?.kind ?? 'anonymous', name: identity?.name ?? null } };
}

/** POST /api/chat/offline: the message becomes a ticket answered by email. */
export async function sendOfflineMessage(input: { orgId: string; host: string; name: string; email: string; message: string }): Promise<void> {
  await send('/api/chat/offline', json(input));
}

/** POST /api/chat/files: the file arrives in the conversation as a message on the socket. */
export async function uploadFile(token: string, file: File): Promise<void> {
  await send(`/api/chat/files?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { 'x-chat-token': token, 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
}

/** POST /api/chat/identify: a code to this address (the same answer whatever the address). */
export async function requestEmailCode(token: string, email: string): Promise<{ challengeId: string }> {
  const response = await send('/api/chat/identify', json({ email }, { 'x-chat-token': token }));
  const body = (await response.json()) as { challengeId?: unknown };
  if (typeof body.challengeId !== 'string') throw new ChatProblem(response.status, 'internal', '');
  return { challengeId: body.challengeId };
}

/** POST /api/chat/identify/confirm: the emailed code; the chat is then that address's customer's. */
export async function confirmEmailCode(token: string, challengeId: string, code: string): Promise<ChatIdentity> {
  const response = await send('/api/chat/identify/confirm', json({ challengeId, code }, { 'x-chat-token': token }));
  const identity = ((await response.json()) as { identity?: Partial<ChatIdentity> }).identity;
  return { kind: identity?.kind ?? 'email', name: identity?.name ?? null };
}
