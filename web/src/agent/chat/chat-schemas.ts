/**
 * The agent side of the chat protocol (docs/chat.md) as endpoint schemas the console calls through `call()`.
 * It imports only typebox and the shared schema helpers, like every module of src/platform/http/schemas/, so it
 * can move there unchanged as the server's own contract (`chats.ts`), and the console then imports it from there:
 * one definition for the routes and the screens (decision 0184 lists the shapes docs/chat.md leaves open).
 */
import { Type, type Static } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from '../../../../src/platform/http/schemas/common.js';

export const CHAT_BOXES = ['waiting', 'mine', 'team'] as const;
export type ChatBox = (typeof CHAT_BOXES)[number];
export const CHAT_STATUSES = ['waiting', 'active', 'ended'] as const;
export const CHAT_AUTHORS = ['customer', 'agent', 'system'] as const;
export const CHAT_MESSAGE_MAX = 4000;

const Ok = Type.Object({ ok: Type.Literal(true) });

/** One row of the chat inbox: no message text (docs/chat.md); the customer as masking shows them to this agent. */
export const ChatSummary = Type.Object({
  ticketId: Type.String(),
  number: Type.Integer(),
  status: Literals(CHAT_STATUSES),
  customer: Nullable(Type.Object({ name: Type.String(), masked: Type.Boolean() })),
  /** When the customer started waiting (the chat's start, or its last transfer). */
  waitingSince: Timestamp,
  teamId: Nullable(Type.String()),
  teamName: Nullable(Type.String()),
  assigneeId: Nullable(Type.String()),
  assigneeName: Nullable(Type.String()),
  /** Routing offered this chat to the caller and the offer has not timed out. */
  offeredToMe: Type.Boolean(),
  lastSeq: Type.Integer({ minimum: 0 }),
});
export type ChatSummaryT = Static<typeof ChatSummary>;
export const ChatList = Type.Object({ items: Type.Array(ChatSummary) });
export const ChatListQuery = Type.Object({ box: Literals(CHAT_BOXES) }, { additionalProperties: false });

export const ChatAttachment = Type.Object({ id: Type.String(), filename: Type.String(), size: Type.Integer(), dangerous: Type.Boolean() });
/** A stored chat message, already redacted: the same fields as the customer socket's `message` frame. */
export const ChatMessage = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  id: Type.String(),
  clientId: Nullable(Type.String()),
  author: Literals(CHAT_AUTHORS),
  name: Type.String(),
  body: Type.String(),
  at: Timestamp,
  redacted: Type.Array(Type.String()),
  attachments: Type.Array(ChatAttachment),
});
export type ChatMessageT = Static<typeof ChatMessage>;
export const ChatMessagesQuery = Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false });
export const ChatMessages = Type.Object({ status: Literals(CHAT_STATUSES), items: Type.Array(ChatMessage) });

export const ChatSendBody = Type.Object({ clientId: Uuid, body: Type.String({ minLength: 1, maxLength: CHAT_MESSAGE_MAX }) }, { additionalProperties: false });
export const ChatSent = Type.Object({ seq: Type.Integer(), redacted: Type.Array(Type.String()) });
export const ChatTransferBody = Type.Union([
  Type.Object({ userId: Uuid }, { additionalProperties: false }),
  Type.Object({ teamId: Uuid }, { additionalProperties: false }),
]);

export const chatEndpoints = {
  list: { method: 'GET', url: '/api/chats', querystring: ChatListQuery, response: ChatList },
  accept: { method: 'POST', url: '/api/chats/:id/accept', params: IdParams, response: Ok },
  transfer: { method: 'POST', url: '/api/chats/:id/transfer', params: IdParams, body: ChatTransferBody, response: Ok },
  end: { method: 'POST', url: '/api/chats/:id/end', params: IdParams, response: Ok },
  /** An audited read of the conversation after `after`. */
  messages: { method: 'GET', url: '/api/chats/:id/messages', params: IdParams, querystring: ChatMessagesQuery, response: ChatMessages },
  send: { method: 'POST', url: '/api/chats/:id/messages', params: IdParams, body: ChatSendBody, response: ChatSent, status: 201 },
} as const satisfies Record<string, Endpoint>;

export const PRESENCE_STATUSES = ['online', 'away'] as const;
export const PresenceBody = Type.Object({ status: Literals(PRESENCE_STATUSES) }, { additionalProperties: false });
export const presenceEndpoints = {
  set: { method: 'PUT', url: '/api/me/presence', body: PresenceBody, response: Ok },
} as const satisfies Record<string, Endpoint>;

export const CHAT_MAX_ORIGINS = 50;
export const ChatSettingsBody = Type.Object({
  enabled: Type.Boolean(),
  teamId: Nullable(Uuid),
  allowedOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: CHAT_MAX_ORIGINS }),
  maxConcurrent: Type.Integer({ minimum: 1, maximum: 20 }),
  offerTimeoutSeconds: Type.Integer({ minimum: 10, maximum: 600 }),
}, { additionalProperties: false });
export const ChatSettings = Type.Object({
  enabled: Type.Boolean(),
  teamId: Nullable(Type.String()),
  allowedOrigins: Type.Array(Type.String()),
  maxConcurrent: Type.Integer(),
  offerTimeoutSeconds: Type.Integer(),
  /** Whether an identity secret exists (never the secret itself), and since when. */
  identitySecretCreatedAt: Nullable(Timestamp),
});
export const IdentitySecret = Type.Object({ secret: Type.String() });
export const chatSettingsEndpoints = {
  read: { method: 'GET', url: '/api/chat-settings', response: ChatSettings },
  update: { method: 'PUT', url: '/api/chat-settings', body: ChatSettingsBody, response: Ok },
  /** Shown once; the previous secret stops working. */
  rotateSecret: { method: 'POST', url: '/api/chat-settings/identity-secret', response: IdentitySecret, status: 201 },
} as const satisfies Record<string, Endpoint>;
