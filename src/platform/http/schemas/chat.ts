/**
 * Contract of the live-chat routes (src/helpdesk/chat/chat.routes.ts; docs/chat.md): the widget's public
 * endpoints (availability, start, offline form, files, identification by an email code), the console's chat inbox and actions, and the
 * organisation's chat settings.
 */
import { Type, type Static } from 'typebox';
import { Email, IdParams, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

const Ok = Type.Object({ ok: Type.Literal(true) });
const Origin = Type.String({ minLength: 1, maxLength: 300 });

/** The console's inbox tabs, the longest message, and the most origins that may embed the widget. */
export const CHAT_BOXES = ['waiting', 'mine', 'team'] as const;
export type ChatBox = (typeof CHAT_BOXES)[number];
export const CHAT_MESSAGE_MAX = 4000;
export const CHAT_MAX_ORIGINS = 50;
const ChatStatus = Type.Enum<['new', 'waiting', 'active', 'ended']>(['new', 'waiting', 'active', 'ended']);
const Identity = Type.Object({ kind: Type.Enum<['anonymous', 'site', 'portal', 'email']>(['anonymous', 'site', 'portal', 'email']), name: Type.String() });

export const ChatItem = Type.Object({
  seq: Type.Integer(),
  id: Nullable(Uuid),
  clientId: Nullable(Uuid),
  author: Type.Enum<['customer', 'agent', 'system']>(['customer', 'agent', 'system']),
  name: Type.String(),
  body: Type.String(),
  event: Nullable(Type.String()),
  at: Timestamp,
  redacted: Type.Array(Type.String()),
  attachments: Type.Array(Type.Object({ id: Uuid, filename: Type.String(), size: Type.Integer(), dangerous: Type.Boolean() })),
});

export const ChatSettingsView = Type.Object({
  enabled: Type.Boolean(),
  teamId: Nullable(Uuid),
  allowedOrigins: Type.Array(Type.String()),
  maxChatsPerAgent: Type.Integer(),
  offerTimeoutSeconds: Type.Integer(),
  identitySecretAt: Nullable(Timestamp),
  /** The organisation id and the snippet to paste into the website. */
  orgId: Uuid,
  embedSnippet: Type.String(),
});

export const ChatSettingsBody = Type.Object({
  enabled: Type.Boolean(),
  teamId: Nullable(Uuid),
  allowedOrigins: Type.Array(Origin, { maxItems: CHAT_MAX_ORIGINS }),
  maxChatsPerAgent: Type.Integer({ minimum: 1, maximum: 20 }),
  offerTimeoutSeconds: Type.Integer({ minimum: 10, maximum: 600 }),
}, { additionalProperties: false });

const Box = Type.Enum<['waiting', 'mine', 'team']>(['waiting', 'mine', 'team']);

export const chatEndpoints = {
  availability: {
    method: 'GET',
    url: '/api/chat/availability',
    querystring: Type.Object({ orgId: Uuid, host: Origin, portal: Type.Optional(Type.Boolean()) }),
    response: Type.Object({ available: Type.Boolean(), orgName: Type.String() }),
  },
  start: {
    method: 'POST',
    url: '/api/chat/conversations',
    body: Type.Object({
      orgId: Uuid,
      host: Origin,
      name: Type.Optional(Type.String({ maxLength: 200 })),
      identityToken: Type.Optional(Type.String({ maxLength: 4096 })),
      portal: Type.Optional(Type.Boolean()),
    }, { additionalProperties: false }),
    response: Type.Object({ conversationId: Uuid, token: Type.String(), expiresAt: Timestamp, available: Type.Boolean(), identity: Identity }),
    status: 201,
  },
  offline: {
    method: 'POST',
    url: '/api/chat/offline',
    body: Type.Object({ orgId: Uuid, host: Origin, name: Type.String({ minLength: 1, maxLength: 200 }), email: Email, message: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false }),
    response: Type.Object({ received: Type.Literal(true) }),
    status: 202,
  },
  upload: {
    method: 'POST',
    url: '/api/chat/files',
    querystring: Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }),
    response: Type.Object({ seq: Type.Integer(), attachmentId: Uuid, dangerous: Type.Boolean() }),
    status: 201,
  },
  /** An anonymous visitor asks for a code to an address (X-Chat-Token); the same answer whatever the address. */
  identify: {
    method: 'POST',
    url: '/api/chat/identify',
    body: Type.Object({ email: Email }, { additionalProperties: false }),
    response: Type.Object({ challengeId: Uuid, expiresAt: Timestamp }),
    status: 202,
  },
  /** The code from that mail (X-Chat-Token): the conversation becomes the customer who uses the address. */
  confirmIdentity: {
    method: 'POST',
    url: '/api/chat/identify/confirm',
    body: Type.Object({ challengeId: Uuid, code: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false }),
    response: Type.Object({ identity: Identity }),
  },
  inbox: {
    method: 'GET',
    url: '/api/chats',
    querystring: Type.Object({ box: Box }),
    response: Type.Object({
      chats: Type.Array(Type.Object({
        ticketId: Uuid,
        conversationId: Uuid,
        number: Type.Integer(),
        status: ChatStatus,
        customer: Type.String(),
        teamId: Nullable(Uuid),
        agentId: Nullable(Uuid),
        offeredToMe: Type.Boolean(),
        waitingSince: Nullable(Timestamp),
        lastSeq: Type.Integer(),
        lastActivityAt: Timestamp,
      })),
      counts: Type.Object({ waiting: Type.Integer(), mine: Type.Integer(), team: Type.Integer() }),
      /** Whether the organisation has chat turned on (the console says so when it is off). */
      enabled: Type.Boolean(),
    }),
  },
  read: {
    method: 'GET',
    url: '/api/chats/:id/messages',
    params: IdParams,
    querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }),
    response: Type.Object({ ticketId: Uuid, conversationId: Uuid, status: ChatStatus, lastSeq: Type.Integer(), agent: Nullable(Type.Object({ name: Type.String() })), items: Type.Array(ChatItem) }),
  },
  send: {
    method: 'POST',
    url: '/api/chats/:id/messages',
    params: IdParams,
    body: Type.Object({ clientId: Uuid, body: Type.String({ minLength: 1, maxLength: CHAT_MESSAGE_MAX }) }, { additionalProperties: false }),
    response: Type.Object({ seq: Type.Integer(), redacted: Type.Array(Type.String()), duplicate: Type.Boolean() }),
    status: 201,
  },
  accept: { method: 'POST', url: '/api/chats/:id/accept', params: IdParams, response: Type.Object({ seq: Type.Integer() }) },
  transfer: {
    method: 'POST',
    url: '/api/chats/:id/transfer',
    params: IdParams,
    body: Type.Object({ userId: Type.Optional(Uuid), teamId: Type.Optional(Uuid) }, { additionalProperties: false }),
    response: Type.Object({ seq: Type.Integer(), offeredTo: Nullable(Uuid) }),
  },
  /** The teams a chat may be passed to, for whoever may transfer it (an agent need not be able to read the staff list). */
  transferTeams: {
    method: 'GET',
    url: '/api/chats/:id/transfer-teams',
    params: IdParams,
    response: Type.Object({ teams: Type.Array(Type.Object({ id: Uuid, name: Type.String() })) }),
  },
  end: { method: 'POST', url: '/api/chats/:id/end', params: IdParams, response: Type.Object({ seq: Type.Integer() }) },
  presence: {
    method: 'PUT',
    url: '/api/me/presence',
    body: Type.Object({ status: Type.Enum<['online', 'away']>(['online', 'away']) }, { additionalProperties: false }),
    response: Ok,
  },
  settings: { method: 'GET', url: '/api/chat-settings', response: ChatSettingsView },
  updateSettings: { method: 'PUT', url: '/api/chat-settings', body: ChatSettingsBody, response: ChatSettingsView },
  rotateSecret: { method: 'POST', url: '/api/chat-settings/identity-secret', response: Type.Object({ secret: Type.String(), createdAt: Timestamp }), status: 201 },
} as const satisfies Record<string, Endpoint>;

/** One row of the console's chat inbox, and one item of a conversation as the console reads it. */
export type ChatInboxRow = Static<typeof chatEndpoints.inbox.response>['chats'][number];
export type ChatItemView = Static<typeof ChatItem>;
export type ChatStatusT = ChatInboxRow['status'];
