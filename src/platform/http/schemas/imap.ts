/**
 * Contract of the pulled-mailbox routes (src/helpdesk/mail/imap/imap.routes.ts; docs/mail-pull.md): IMAP mailboxes
 * read as inbound channels of one of the organisation's addresses (channels.manage), and a connection test.
 * Secrets (password, OAuth client secret, refresh token) are accepted, never returned: an account says whether one is set.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

export const IMAP_SECURITY = ['tls', 'starttls', 'none'] as const;
export const IMAP_AUTH = ['password', 'xoauth2'] as const;
export const IMAP_AFTER_STORE = ['move', 'flag'] as const;
export const IMAP_STATES = ['pending', 'connected', 'error'] as const;

const Folder = Type.String({ minLength: 1, maxLength: 200 });
const Secret = Type.String({ minLength: 1, maxLength: 8192 });
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  mailboxId: Uuid,
  host: Type.String({ minLength: 1, maxLength: 253 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** tls: implicit TLS (993); starttls: upgraded before signing in (refused when the server cannot); none: plaintext. */
  security: Literals(IMAP_SECURITY),
  caPem: Nullable(Type.String({ minLength: 1, maxLength: 65536 })),
  username: Type.String({ minLength: 1, maxLength: 320 }),
  auth: Literals(IMAP_AUTH),
  password: Nullable(Secret),
  oauthTokenUrl: Nullable(Type.String({ minLength: 8, maxLength: 2000 })),
  oauthClientId: Nullable(Type.String({ minLength: 1, maxLength: 500 })),
  oauthClientSecret: Nullable(Secret),
  oauthRefreshToken: Nullable(Secret),
  oauthScope: Nullable(Type.String({ maxLength: 1000 })),
  folder: Folder,
  afterStore: Literals(IMAP_AFTER_STORE),
  moveTo: Nullable(Folder),
  keyword: Type.String({ pattern: '^[A-Za-z0-9$_.-]{1,64}$' }),
  maxBytes: Type.Integer({ minimum: 1024, maximum: 157_286_400 }),
  pollSeconds: Type.Integer({ minimum: 5, maximum: 3600 }),
  enabled: Type.Boolean(),
  /** Must be true to save security `none`: plaintext sends the password and the mail unprotected (audited). */
  allowPlaintext: Type.Boolean(),
};

export const ImapAccountCreateBody = Type.Object(
  {
    name: Fields.name,
    mailboxId: Fields.mailboxId,
    host: Fields.host,
    port: Type.Optional(Fields.port),
    security: Type.Optional(Fields.security),
    caPem: Type.Optional(Fields.caPem),
    username: Fields.username,
    auth: Fields.auth,
    password: Type.Optional(Fields.password),
    oauthTokenUrl: Type.Optional(Fields.oauthTokenUrl),
    oauthClientId: Type.Optional(Fields.oauthClientId),
    oauthClientSecret: Type.Optional(Fields.oauthClientSecret),
    oauthRefreshToken: Type.Optional(Fields.oauthRefreshToken),
    oauthScope: Type.Optional(Fields.oauthScope),
    folder: Type.Optional(Fields.folder),
    afterStore: Type.Optional(Fields.afterStore),
    moveTo: Type.Optional(Fields.moveTo),
    keyword: Type.Optional(Fields.keyword),
    maxBytes: Type.Optional(Fields.maxBytes),
    pollSeconds: Type.Optional(Fields.pollSeconds),
    enabled: Type.Optional(Fields.enabled),
    allowPlaintext: Type.Optional(Fields.allowPlaintext),
  },
  { additionalProperties: false },
);

/** Any field; a secret left out stays, null removes it. */
export const ImapAccountUpdateBody = Type.Partial(ImapAccountCreateBody, { additionalProperties: false, minProperties: 1 });

export const ImapStatus = Type.Object({
  /** pending: not tried yet; connected: the last session is up or ended well; error: see lastError. */
  state: Literals(IMAP_STATES),
  lastError: Nullable(Type.String()),
  lastErrorAt: Nullable(Timestamp),
  /** The last complete pass over the folder. */
  lastSuccessAt: Nullable(Timestamp),
  /** Failed attempts in a row (0 when the last one succeeded). */
  failures: Type.Integer(),
  nextAttemptAt: Timestamp,
  /** Messages stored from this mailbox. */
  fetched: Type.Integer(),
  /** Messages above the size limit, left on the server flagged $TrustdeskTooLarge. */
  tooLarge: Type.Integer(),
  /** An instance holds the mailbox now. */
  polling: Type.Boolean(),
});

export const ImapAccount = Type.Object({
  id: Uuid,
  name: Type.String(),
  mailboxId: Uuid,
  mailboxAddress: Type.String(),
  host: Type.String(),
  port: Type.Integer(),
  security: Literals(IMAP_SECURITY),
  caPem: Nullable(Type.String()),
  username: Type.String(),
  auth: Literals(IMAP_AUTH),
  hasPassword: Type.Boolean(),
  oauthTokenUrl: Nullable(Type.String()),
  oauthClientId: Nullable(Type.String()),
  oauthScope: Nullable(Type.String()),
  hasClientSecret: Type.Boolean(),
  hasRefreshToken: Type.Boolean(),
  folder: Type.String(),
  afterStore: Literals(IMAP_AFTER_STORE),
  moveTo: Nullable(Type.String()),
  keyword: Type.String(),
  maxBytes: Type.Integer(),
  pollSeconds: Type.Integer(),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  status: ImapStatus,
});
export const ImapAccountList = Type.Object({ items: Type.Array(ImapAccount) });
export const ImapTestResult = Type.Object({
  ok: Type.Boolean(),
  /** What went wrong, in words an administrator can act on (never the server's own text). */
  error: Nullable(Type.String()),
  /** On success: messages in the folder, and whether the server announces new mail (IDLE) and can move (MOVE). */
  messages: Nullable(Type.Integer()),
  idle: Nullable(Type.Boolean()),
  move: Nullable(Type.Boolean()),
});

export const imapEndpoints = {
  list: { method: 'GET', url: '/api/organization/mail/imap', response: ImapAccountList },
  create: { method: 'POST', url: '/api/organization/mail/imap', body: ImapAccountCreateBody, response: ImapAccount, status: 201 },
  read: { method: 'GET', url: '/api/organization/mail/imap/:id', params: IdParams, response: ImapAccount },
  update: { method: 'PUT', url: '/api/organization/mail/imap/:id', params: IdParams, body: ImapAccountUpdateBody, response: ImapAccount },
  remove: { method: 'DELETE', url: '/api/organization/mail/imap/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
  test: { method: 'POST', url: '/api/organization/mail/imap/:id/test', params: IdParams, response: ImapTestResult },
} as const satisfies Record<string, Endpoint>;
