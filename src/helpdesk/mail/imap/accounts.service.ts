/**
 * Pulled IMAP mailboxes of an organisation (docs/mail-pull.md): create, change, remove (each audited in its
 * transaction), list and read with the poller's status, and a connection test (audited). Secrets (password, OAuth
 * client secret, refresh token) are stored under the organisation's key and never shown again: a view says only
 * whether one is set. Every setting is checked before it is saved; plaintext (`none`) needs `allowPlaintext` and is
 * recorded as such in the audit trail.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { Static } from 'typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.js';
import { AppError } from '../../../platform/errors.js';
import { checkOutboundUrl, type OutboundOptions } from '../../../platform/http/outbound.js';
import type { ImapAccount, ImapAccountCreateBody, ImapAccountUpdateBody, ImapTestResult } from '../../../platform/http/schemas/imap.js';
import type { AuditLog } from '../../../protection/audit/audit-log.js';
import type { ActorType } from '../../../protection/audit/entry.js';
import type { Executor, Keyring } from '../../../protection/crypto/keyring.js';
import { ACCOUNT_COLUMNS, describeImapError, fieldOf, openClient, TokenCache } from './client.js';
import type { ImapAfterStore, ImapAuth, ImapSecurity } from './schema.js';
import './schema.js';

export interface ImapDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
  outbound: OutboundOptions;
  connectTimeoutMs?: number;
}

export interface ImapActor {
  orgId: string;
  userId: string | null;
  actor: { type: ActorType; id: string | null };
  requestId: string | null;
  sourceIp: string | null;
}

type View = Static<typeof ImapAccount>;
type CreateInput = Static<typeof ImapAccountCreateBody>;
type UpdateInput = Static<typeof ImapAccountUpdateBody>;

const invalid = (message: string) => new AppError('validation_failed', message);
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
// IMAP mailbox names: printable, no control characters; the hierarchy separator is the server's business.
const FOLDER = /^[^\u0000-\u001f\u007f*%]{1,200}$/;

interface Resolved {
  name: string;
  mailboxId: string;
  host: string;
  port: number;
  security: ImapSecurity;
  caPem: string | null;
  username: string;
  auth: ImapAuth;
  oauthTokenUrl: string | null;
  oauthClientId: string | null;
  oauthScope: string | null;
  folder: string;
  afterStore: ImapAfterStore;
  moveTo: string | null;
  keyword: string;
  maxBytes: number;
  pollSeconds: number;
  enabled: boolean;
}

interface Secrets {
  /** undefined keeps the stored value, null removes it. */
  password?: string | null | undefined;
  oauthClientSecret?: string | null | undefined;
  oauthRefreshToken?: string | null | undefined;
}

function checkCertificates(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length === 0) throw invalid('The CA must be one or more PEM certificates (-----BEGIN CERTIFICATE-----).');
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      throw invalid('The CA holds a certificate that cannot be read.');
    }
  }
  return blocks.join('\n') + '\n';
}

/** Checks a whole account (the stored row merged with the change) and the secrets it needs. */
async function check(r: Resolved, has: { password: boolean; refreshToken: boolean }, secrets: Secrets, allowPlaintext: boolean, outbound: OutboundOptions): Promise<Resolved> {
  const host = r.host.trim();
  if (!isIP(host) && !HOST_NAME.test(host)) throw invalid('The host must be a host name or an IP address (no scheme, port or path).');
  if (r.security === 'none' && !allowPlaintext) throw invalid('Plaintext IMAP sends the password and every message unprotected: choose TLS or STARTTLS, or confirm plaintext with allowPlaintext.');
  if (!FOLDER.test(r.folder)) throw invalid('The folder name holds characters IMAP does not allow.');
  if (r.afterStore === 'move') {
    if (!r.moveTo) throw invalid('Moving after storing needs a folder to move to.');
    if (!FOLDER.test(r.moveTo)) throw invalid('The folder to move to holds characters IMAP does not allow.');
    if (r.moveTo === r.folder) throw invalid('The folder to move to must differ from the folder read.');
  }
  const caPem = r.caPem ? checkCertificates(r.caPem) : null;
  const hasPassword = secrets.password !== undefined ? secrets.password !== null : has.password;
  const hasRefresh = secrets.oauthRefreshToken !== undefined ? secrets.oauthRefreshToken !== null : has.refreshToken;
  if (r.auth === 'password' && !hasPassword) throw invalid('Password sign-in needs a password.');
  if (r.auth === 'xoauth2') {
    if (!r.oauthTokenUrl || !r.oauthClientId) throw invalid('OAuth2 sign-in needs the token endpoint URL and the client ID.');
    if (!hasRefresh) throw invalid('OAuth2 sign-in needs a refresh token.');
    let url: URL;
    try {
      url = new URL(r.oauthTokenUrl);
    } catch {
      throw invalid('The token endpoint must be a URL.');
    }
    if (url.protocol !== 'https:' && !(outbound.allowPrivate && url.protocol === 'http:')) throw invalid('The token endpoint must use https.');
    await checkOutboundUrl(r.oauthTokenUrl, outbound).catch(() => {
      throw invalid('The token endpoint cannot be reached from this server (a private or unknown address).');
    });
  }
  return { ...r, host: isIP(host) ? host : host.toLowerCase(), caPem, moveTo: r.afterStore === 'move' ? r.moveTo : null };
}

function storedColumns(r: Resolved) {
  return {
    name: r.name,
    mailbox_id: r.mailboxId,
    host: r.host,
    port: r.port,
    security: r.security,
    ca_pem: r.caPem,
    username: r.username,
    auth: r.auth,
    oauth_token_url: r.auth === 'xoauth2' ? r.oauthTokenUrl : null,
    oauth_client_id: r.auth === 'xoauth2' ? r.oauthClientId : null,
    oauth_scope: r.auth === 'xoauth2' ? r.oauthScope : null,
    folder: r.folder,
    after_store: r.afterStore,
    move_to: r.moveTo,
    keyword: r.keyword,
    max_bytes: r.maxBytes,
    poll_seconds: r.pollSeconds,
    enabled: r.enabled,
  };
}

async function writeSecrets(deps: ImapDeps, trx: Executor, orgId: string, id: string, s: Secrets) {
  const owner = { type: 'organization' as const, id: orgId };
  const out: { password_enc?: Uint8Array | null; oauth_client_secret_enc?: Uint8Array | null; oauth_refresh_token_enc?: Uint8Array | null } = {};
  if (s.password !== undefined) out.password_enc = s.password === null ? null : await deps.keyring.encrypt(owner, fieldOf(id, 'password_enc'), s.password, trx);
  if (s.oauthClientSecret !== undefined) out.oauth_client_secret_enc = s.oauthClientSecret === null ? null : await deps.keyring.encrypt(owner, fieldOf(id, 'oauth_client_secret_enc'), s.oauthClientSecret, trx);
  if (s.oauthRefreshToken !== undefined) out.oauth_refresh_token_enc = s.oauthRefreshToken === null ? null : await deps.keyring.encrypt(owner, fieldOf(id, 'oauth_refresh_token_enc'), s.oauthRefreshToken, trx);
  return out;
}

async function ownMailbox(trx: Executor, orgId: string, mailboxId: string): Promise<string> {
  const m = await trx.selectFrom('mailboxes').where('id', '=', mailboxId).where('org_id', '=', orgId).select('address').executeTakeFirst();
  if (!m) throw invalid('Unknown inbound address (add it under Email channels first).');
  return m.address;
}

const auditOf = (a: ImapActor) => ({ orgId: a.orgId, actor: a.actor, requestId: a.requestId, sourceIp: a.sourceIp });
const defaultPort = (security: ImapSecurity) => (security === 'tls' ? 993 : 143);

export async function createAccount(deps: ImapDeps, actor: ImapActor, input: CreateInput): Promise<View> {
  const security = input.security ?? 'tls';
  const secrets: Secrets = { password: input.password ?? null, oauthClientSecret: input.oauthClientSecret ?? null, oauthRefreshToken: input.oauthRefreshToken ?? null };
  const r = await check(
    {
      name: input.name,
      mailboxId: input.mailboxId,
      host: input.host,
      port: input.port ?? defaultPort(security),
      security,
      caPem: input.caPem ?? null,
      username: input.username,
      auth: input.auth,
      oauthTokenUrl: input.oauthTokenUrl ?? null,
      oauthClientId: input.oauthClientId ?? null,
      oauthScope: input.oauthScope ?? null,
      folder: input.folder ?? 'INBOX',
      afterStore: input.afterStore ?? 'flag',
      moveTo: input.moveTo ?? null,
      keyword: input.keyword ?? '$Trustdesk',
      maxBytes: input.maxBytes ?? 25 * 1024 * 1024,
      pollSeconds: input.pollSeconds ?? 60,
      enabled: input.enabled ?? true,
    },
    { password: false, refreshToken: false },
    secrets,
    input.allowPlaintext === true,
    deps.outbound,
  );
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    await ownMailbox(trx, actor.orgId, r.mailboxId);
    const enc = await writeSecrets(deps, trx, actor.orgId, id, secrets);
    await trx
      .insertInto('imap_accounts')
      .values({ id, org_id: actor.orgId, ...storedColumns(r), ...enc, created_by: actor.userId, updated_at: new Date(), next_attempt_at: new Date() })
      .execute();
    await deps.audit.append(trx, {
      ...auditOf(actor),
      action: 'imap.account.create',
      object: { type: 'imap_account', id },
      result: 'success',
      details: { host: r.host, port: r.port, security: r.security, auth: r.auth, afterStore: r.afterStore, mailboxId: r.mailboxId, plaintext: r.security === 'none' },
    });
  });
  return getAccount(deps, actor.orgId, id);
}

export async function updateAccount(deps: ImapDeps, actor: ImapActor, id: string, patch: UpdateInput): Promise<View> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('imap_accounts').where('id', '=', id).where('org_id', '=', actor.orgId).selectAll().forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such mailbox.');
    const secrets: Secrets = { password: patch.password, oauthClientSecret: patch.oauthClientSecret, oauthRefreshToken: patch.oauthRefreshToken };
    const pick = <T>(v: T | undefined, stored: T): T => (v !== undefined ? v : stored);
    const r = await check(
      {
        name: pick(patch.name, row.name),
        mailboxId: pick(patch.mailboxId, row.mailbox_id),
        host: pick(patch.host, row.host),
        port: pick(patch.port, row.port),
        security: pick(patch.security, row.security),
        caPem: pick(patch.caPem, row.ca_pem),
        username: pick(patch.username, row.username),
        auth: pick(patch.auth, row.auth),
        oauthTokenUrl: pick(patch.oauthTokenUrl, row.oauth_token_url),
        oauthClientId: pick(patch.oauthClientId, row.oauth_client_id),
        oauthScope: pick(patch.oauthScope, row.oauth_scope),
        folder: pick(patch.folder, row.folder),
        afterStore: pick(patch.afterStore, row.after_store),
        moveTo: pick(patch.moveTo, row.move_to),
        keyword: pick(patch.keyword, row.keyword),
        maxBytes: pick(patch.maxBytes, row.max_bytes),
        pollSeconds: pick(patch.pollSeconds, row.poll_seconds),
        enabled: pick(patch.enabled, row.enabled),
      },
      { password: row.password_enc !== null, refreshToken: row.oauth_refresh_token_enc !== null },
      secrets,
      // Staying on plaintext needs no new confirmation; moving to it does.
      patch.allowPlaintext === true || (row.security === 'none' && patch.security === undefined),
      deps.outbound,
    );
    if (patch.mailboxId !== undefined) await ownMailbox(trx, actor.orgId, r.mailboxId);
    const enc = await writeSecrets(deps, trx, actor.orgId, id, secrets);
    // A changed account is tried at once, whatever the backoff was (the running session sees updated_at and ends).
    await trx
      .updateTable('imap_accounts')
      .set({ ...storedColumns(r), ...enc, updated_at: new Date(), next_attempt_at: new Date(), failures: 0 })
      .where('id', '=', id)
      .execute();
    await deps.audit.append(trx, {
      ...auditOf(actor),
      action: 'imap.account.update',
      object: { type: 'imap_account', id },
      result: 'success',
      details: { changed: Object.keys(patch).filter((k) => k !== 'allowPlaintext').sort(), host: r.host, port: r.port, security: r.security, auth: r.auth, enabled: r.enabled, plaintext: r.security === 'none' },
    });
  });
  return getAccount(deps, actor.orgId, id);
}

export async function deleteAccount(deps: ImapDeps, actor: ImapActor, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('imap_accounts').where('id', '=', id).where('org_id', '=', actor.orgId).returning(['id', 'host']).executeTakeFirst();
    if (!gone) throw new AppError('not_found', 'No such mailbox.');
    await deps.audit.append(trx, { ...auditOf(actor), action: 'imap.account.delete', object: { type: 'imap_account', id }, result: 'success', details: { host: gone.host } });
  });
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export async function listAccounts(deps: ImapDeps, orgId: string, onlyId?: string): Promise<View[]> {
  const rows = await deps.db
    .selectFrom('imap_accounts as a')
    .innerJoin('mailboxes as m', 'm.id', 'a.mailbox_id')
    .where('a.org_id', '=', orgId)
    .$if(onlyId !== undefined, (q) => q.where('a.id', '=', onlyId!))
    .select([
      'a.id', 'a.name', 'a.mailbox_id', 'm.address', 'a.host', 'a.port', 'a.security', 'a.ca_pem', 'a.username', 'a.auth', 'a.password_enc', 'a.oauth_token_url',
      'a.oauth_client_id', 'a.oauth_scope', 'a.oauth_client_secret_enc', 'a.oauth_refresh_token_enc', 'a.folder', 'a.after_store', 'a.move_to', 'a.keyword',
      'a.max_bytes', 'a.poll_seconds', 'a.enabled', 'a.created_at', 'a.updated_at', 'a.state', 'a.last_error', 'a.last_error_at', 'a.last_success_at',
      'a.failures', 'a.next_attempt_at', 'a.fetched', 'a.too_large', 'a.lease_owner', 'a.lease_until',
    ])
    .orderBy('a.created_at')
    .execute();
  const now = Date.now();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    mailboxId: r.mailbox_id,
    mailboxAddress: r.address,
    host: r.host,
    port: r.port,
    security: r.security,
    caPem: r.ca_pem,
    username: r.username,
    auth: r.auth,
    hasPassword: r.password_enc !== null,
    oauthTokenUrl: r.oauth_token_url,
    oauthClientId: r.oauth_client_id,
    oauthScope: r.oauth_scope,
    hasClientSecret: r.oauth_client_secret_enc !== null,
    hasRefreshToken: r.oauth_refresh_token_enc !== null,
    folder: r.folder,
    afterStore: r.after_store,
    moveTo: r.move_to,
    keyword: r.keyword,
    maxBytes: r.max_bytes,
    pollSeconds: r.poll_seconds,
    enabled: r.enabled,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    status: {
      state: r.state,
      lastError: r.last_error,
      lastErrorAt: iso(r.last_error_at),
      lastSuccessAt: iso(r.last_success_at),
      failures: r.failures,
      nextAttemptAt: iso(r.next_attempt_at)!,
      fetched: Number(r.fetched),
      tooLarge: Number(r.too_large),
      polling: r.lease_owner !== null && r.lease_until !== null && new Date(r.lease_until).getTime() > now,
    },
  }));
}

export async function getAccount(deps: ImapDeps, orgId: string, id: string): Promise<View> {
  const [view] = await listAccounts(deps, orgId, id);
  if (!view) throw new AppError('not_found', 'No such mailbox.');
  return view;
}

/** Connects, signs in, opens the folder and reports what it found; nothing is fetched or marked (audited). */
export async function testAccount(deps: ImapDeps, actor: ImapActor, id: string): Promise<Static<typeof ImapTestResult>> {
  const row = await deps.db.selectFrom('imap_accounts').where('id', '=', id).where('org_id', '=', actor.orgId).select([...ACCOUNT_COLUMNS]).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such mailbox.');
  const account = { ...row, updated_at: new Date(row.updated_at) };
  let result: Static<typeof ImapTestResult>;
  try {
    const { client } = await openClient(
      {
        keyring: deps.keyring,
        outbound: deps.outbound,
        tokens: new TokenCache(),
        saveRefreshToken: async (a, token) => {
          await deps.db.transaction().execute(async (trx) => {
            const enc = await deps.keyring.encrypt({ type: 'organization', id: a.org_id }, fieldOf(a.id, 'oauth_refresh_token_enc'), token, trx);
            await trx.updateTable('imap_accounts').set({ oauth_refresh_token_enc: enc }).where('id', '=', a.id).execute();
          });
        },
        connectTimeoutMs: deps.connectTimeoutMs ?? 10_000,
      },
      account,
    );
    try {
      const status = await client.status(account.folder, { messages: true });
      result = { ok: true, error: null, messages: status ? (status.messages ?? 0) : 0, idle: client.capabilities.has('IDLE'), move: client.capabilities.has('MOVE') };
      await client.logout().catch(() => undefined);
    } finally {
      client.close();
    }
  } catch (err) {
    result = { ok: false, error: describeImapError(err), messages: null, idle: null, move: null };
  }
  await deps.audit.record({ ...auditOf(actor), action: 'imap.account.test', object: { type: 'imap_account', id }, result: result.ok ? 'success' : 'failure', details: result.ok ? {} : { error: result.error } });
  return result;
}
