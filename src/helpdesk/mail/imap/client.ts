/**
 * One connection to a pulled mailbox: the account's settings (secrets decrypted) → an authenticated ImapFlow
 * client. The host is resolved and checked like every outbound connection (private and loopback addresses need
 * TRUSTDESK_ALLOW_PRIVATE_OUTBOUND) and the connection goes to the checked address. TLS is verified against the
 * system's CAs or the account's own; `none` (plaintext) is only what the account explicitly says.
 * XOAUTH2 gets an access token from the cache, refreshed before it expires, and once more if the server refuses it.
 */
import { isIP } from 'node:net';
import type { Selectable } from 'kysely';
import type { ImapFlow } from 'imapflow';
import { resolveOutboundHost, OutboundRefusedError, type OutboundOptions } from '../../../platform/http/outbound.js';
import type { Keyring } from '../../../protection/crypto/keyring.js';
import { refreshAccessToken, TokenRefreshError, type AccessToken } from './oauth.js';
import type { ImapAccountsTable } from './schema.js';

export type AccountRow = Pick<
  Selectable<ImapAccountsTable>,
  | 'id'
  | 'org_id'
  | 'mailbox_id'
  | 'host'
  | 'port'
  | 'security'
  | 'ca_pem'
  | 'username'
  | 'auth'
  | 'password_enc'
  | 'oauth_token_url'
  | 'oauth_client_id'
  | 'oauth_scope'
  | 'oauth_client_secret_enc'
  | 'oauth_refresh_token_enc'
  | 'after_store'
  | 'move_to'
> & { folder: string; keyword: string; max_bytes: number; poll_seconds: number; updated_at: Date };

export const ACCOUNT_COLUMNS = [
  'id',
  'org_id',
  'mailbox_id',
  'host',
  'port',
  'security',
  'ca_pem',
  'username',
  'auth',
  'password_enc',
  'oauth_token_url',
  'oauth_client_id',
  'oauth_scope',
  'oauth_client_secret_enc',
  'oauth_refresh_token_enc',
  'after_store',
  'move_to',
  'folder',
  'keyword',
  'max_bytes',
  'poll_seconds',
  'updated_at',
] as const;

export const fieldOf = (id: string, column: 'password_enc' | 'oauth_client_secret_enc' | 'oauth_refresh_token_enc') => ({ table: 'imap_accounts', column, rowId: id });

export interface ClientContext {
  keyring: Keyring;
  outbound: OutboundOptions;
  tokens: TokenCache;
  /** Stores a refresh token the provider rotated (under the organisation's key). */
  saveRefreshToken: (account: AccountRow, token: string) => Promise<void>;
  connectTimeoutMs?: number;
}

/** Access tokens by account, in memory only; a changed account (updated_at) drops its token. */
export class TokenCache {
  private readonly tokens = new Map<string, AccessToken & { version: number }>();
  get(account: AccountRow, now = Date.now()): AccessToken | undefined {
    const t = this.tokens.get(account.id);
    // Refreshed a minute before it expires.
    return t && t.version === account.updated_at.getTime() && t.expiresAt - 60_000 > now ? t : undefined;
  }
  set(account: AccountRow, token: AccessToken): void {
    this.tokens.set(account.id, { ...token, version: account.updated_at.getTime() });
  }
  drop(id: string): void {
    this.tokens.delete(id);
  }
}

async function accessToken(ctx: ClientContext, account: AccountRow, force: boolean): Promise<AccessToken> {
  const cached = force ? undefined : ctx.tokens.get(account);
  if (cached) return cached;
  if (!account.oauth_token_url || !account.oauth_client_id || !account.oauth_refresh_token_enc) throw new TokenRefreshError('no refresh token is set for this mailbox');
  const refreshToken = await ctx.keyring.decrypt(fieldOf(account.id, 'oauth_refresh_token_enc'), account.oauth_refresh_token_enc);
  const clientSecret = account.oauth_client_secret_enc ? await ctx.keyring.decrypt(fieldOf(account.id, 'oauth_client_secret_enc'), account.oauth_client_secret_enc) : null;
  const token = await refreshAccessToken({ tokenUrl: account.oauth_token_url, clientId: account.oauth_client_id, clientSecret, refreshToken, scope: account.oauth_scope }, ctx.outbound);
  if (token.refreshToken) await ctx.saveRefreshToken(account, token.refreshToken);
  ctx.tokens.set(account, token);
  return token;
}

export interface OpenClient {
  client: ImapFlow;
  /** When the access token runs out (XOAUTH2): the session reconnects before it. */
  tokenExpiresAt: number | null;
}

/** Connects and authenticates. XOAUTH2: a refused token is refreshed once and tried again. */
export async function openClient(ctx: ClientContext, account: AccountRow, options: { maxBytes?: number } = {}): Promise<OpenClient> {
  const pinned = await resolveOutboundHost(account.host, ctx.outbound);
  const attempt = async (force: boolean): Promise<OpenClient> => {
    let auth: { user: string; pass?: string; accessToken?: string };
    let expiresAt: number | null = null;
    if (account.auth === 'xoauth2') {
      const token = await accessToken(ctx, account, force);
      auth = { user: account.username, accessToken: token.accessToken };
      expiresAt = token.expiresAt;
    } else {
      if (!account.password_enc) throw new ImapSetupError('no password is set for this mailbox');
      auth = { user: account.username, pass: await ctx.keyring.decrypt(fieldOf(account.id, 'password_enc'), account.password_enc) };
    }
    // Loaded when a mailbox is first pulled, not at every start (decision 0233).
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({
      host: pinned.address,
      port: account.port,
      secure: account.security === 'tls',
      // STARTTLS required (the connection fails when the server cannot), or explicitly never (plaintext).
      doSTARTTLS: account.security === 'starttls' ? true : account.security === 'none' ? false : undefined,
      ...(isIP(account.host) ? {} : { servername: account.host }),
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(account.ca_pem ? { ca: account.ca_pem } : {}) },
      auth,
      logger: false,
      disableCompression: true,
      // IDLE starts a second after the last command, so new mail is announced between the puller's passes.
      autoIdleDelay: 1000,
      connectionTimeout: ctx.connectTimeoutMs ?? 15_000,
      greetingTimeout: ctx.connectTimeoutMs ?? 15_000,
      socketTimeout: 5 * 60_000,
      // A server cannot make us hold more than the limit (plus headroom for the response around it) in memory.
      ...(options.maxBytes ? { maxLiteralSize: options.maxBytes + 64 * 1024 } : {}),
    });
    // Errors after connect are reported by the command that meets them (or the 'close' event).
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw err;
    }
    return { client, tokenExpiresAt: expiresAt };
  };
  try {
    return await attempt(false);
  } catch (err) {
    if (account.auth !== 'xoauth2' || !isAuthFailure(err)) throw err;
    // The token may have been revoked or expired early: one fresh token, one more try.
    ctx.tokens.drop(account.id);
    return attempt(true);
  }
}

export class ImapSetupError extends Error {}

export function isAuthFailure(err: unknown): boolean {
  return Boolean((err as { authenticationFailed?: unknown } | null)?.authenticationFailed);
}

/** A short, fixed description of a failure, for the status (never a server's text, which could hold anything). */
export function describeImapError(err: unknown): string {
  if (err instanceof TokenRefreshError || err instanceof ImapSetupError) return err.message;
  if (err instanceof OutboundRefusedError) return err.reason === 'dns' ? 'the host name does not resolve' : 'the host is a private or loopback address, which this server may not reach';
  if (isAuthFailure(err)) return 'the server refused the sign-in (check the user name and password or token)';
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code === 'ECONNREFUSED') return 'the connection was refused (is the host and port right?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'CONNECT_TIMEOUT' || code === 'GREETING_TIMEOUT' || code === 'UPGRADE_TIMEOUT' || code === 'ETIMEDOUT' || code === 'ETIMEOUT') return 'the server did not answer in time';
  if (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return `the server's TLS certificate or handshake was refused (${code})`;
  if (code === 'MissingServerExtension' || /STARTTLS/i.test(message)) return 'the server does not offer STARTTLS';
  if (code === 'NotFound' || code === 'NONEXISTENT' || /Mailbox doesn't exist|NONEXISTENT/i.test(message)) return 'the folder does not exist';
  if (code.startsWith('ParserError') || code === 'InvalidResponse' || code === 'UnexpectedTag' || code === 'MissingTag' || code === 'ResponseProcessingFailed' || code === 'LiteralTooLarge' || code === 'LineTooLarge' || code === 'ResponseTooLarge' || code === 'TooManyTokens')
    return 'the server sent a response that could not be understood';
  if (code === 'NoConnection' || code === 'EConnectionClosed' || code === 'ECONNRESET' || code === 'EPIPE' || code.startsWith('ClosedAfterConnect') || /closed/i.test(message)) return 'the server closed the connection';
  if (code === 'ETHROTTLE') return 'the server asks to slow down (throttled)';
  return 'the mailbox could not be read (see the server log)';
}
