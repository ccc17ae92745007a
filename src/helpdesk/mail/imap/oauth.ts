/**
 * OAuth 2.0 for pulled mailboxes (XOAUTH2): the refresh-token grant (RFC 6749 §6) against the provider's token
 * endpoint, through the one outbound HTTP wrapper. Access tokens are kept in memory only, per account, and refreshed
 * a minute before they expire and once after the server refused one. A refresh token the provider rotates is stored
 * again, under the organisation's key (decision 0226).
 */
import type { OutboundOptions } from '../../../platform/http/outbound.js';
import { sendOutboundRequest } from '../../../platform/http/outbound.js';

/** Token endpoints of the two providers most mailboxes live at (docs/mail-pull.md). */
export const TOKEN_ENDPOINTS = {
  microsoft365: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
  google: 'https://oauth2.googleapis.com/token',
} as const;

/** Scopes each needs for IMAP (and a refresh token). */
export const DEFAULT_SCOPES = {
  microsoft365: 'https://outlook.office365.com/IMAP.AccessAsUser.All offline_access',
  google: 'https://mail.google.com/',
} as const;

export interface RefreshInput {
  tokenUrl: string;
  clientId: string;
  clientSecret: string | null;
  refreshToken: string;
  scope: string | null;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: number;
  /** Set when the provider sent a new refresh token (it replaces the stored one). */
  refreshToken?: string;
}

/** A refusal the administrator must act on (not retried faster than the backoff; shown as the status). */
export class TokenRefreshError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export async function refreshAccessToken(input: RefreshInput, outbound: OutboundOptions, now = Date.now()): Promise<AccessToken> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: input.refreshToken, client_id: input.clientId });
  if (input.clientSecret) form.set('client_secret', input.clientSecret);
  if (input.scope) form.set('scope', input.scope);
  const res = await sendOutboundRequest(
    { url: input.tokenUrl, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() },
    { ...outbound, maxRedirects: 0, timeoutMs: outbound.timeoutMs ?? 15_000 },
  );
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    // Reported below by status.
  }
  if (res.status !== 200) {
    // Only the OAuth error code (a short token from a fixed list) is kept: descriptions may echo input.
    const code = typeof body.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? body.error : null;
    throw new TokenRefreshError(code === 'invalid_grant' ? 'the token endpoint refused the refresh token (invalid_grant): authorise the mailbox again' : `the token endpoint answered ${res.status}${code ? ` (${code})` : ''}`);
  }
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0 || accessToken.length > 8192) throw new TokenRefreshError('the token endpoint sent no access token');
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
  const out: AccessToken = { accessToken, expiresAt: now + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000 };
  if (typeof body.refresh_token === 'string' && body.refresh_token && body.refresh_token !== input.refreshToken && body.refresh_token.length <= 8192) out.refreshToken = body.refresh_token;
  return out;
}
