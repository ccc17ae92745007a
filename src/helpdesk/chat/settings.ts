/**
 * An organisation's chat settings (docs/chat.md): whether chat is on, which
 * team takes chats, the web origins allowed to embed the widget, the
 * per-agent concurrent-chat limit, the offer timeout, and the secret its
 * website signs identity tokens with (encrypted under the organisation's key,
 * shown once when made). Site identity tokens are JWTs (HS256) checked here
 * with `jose`; each `jti` is accepted once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { AppError } from '../../platform/errors.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Db } from '../../platform/db/database.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import type { PortalDeps } from '../portal/deps.js';
import './schema.js';

export interface ChatSettings {
  enabled: boolean;
  teamId: string | null;
  allowedOrigins: string[];
  maxChatsPerAgent: number;
  offerTimeoutSeconds: number;
  /** When the identity secret was made (null: none, site tokens are refused). */
  identitySecretAt: string | null;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = { enabled: false, teamId: null, allowedOrigins: [], maxChatsPerAgent: 3, offerTimeoutSeconds: 60, identitySecretAt: null };

/** Identity tokens live at most this long (exp − iat), and clocks may differ by this much. */
export const IDENTITY_MAX_LIFETIME_S = 600;
export const IDENTITY_CLOCK_TOLERANCE_S = 60;

export async function loadChatSettings(db: Executor, orgId: string): Promise<ChatSettings> {
  const row = await db.selectFrom('chat_settings').where('org_id', '=', orgId).selectAll().executeTakeFirst();
  if (!row) return { ...DEFAULT_CHAT_SETTINGS };
  return {
    enabled: row.enabled,
    teamId: row.team_id,
    allowedOrigins: row.allowed_origins,
    maxChatsPerAgent: row.max_chats_per_agent,
    offerTimeoutSeconds: row.offer_timeout_s,
    identitySecretAt: row.identity_secret_at ? row.identity_secret_at.toISOString() : null,
  };
}

/**
 * An origin as the browser sends it: scheme://host[:port], nothing else. https, or http for a machine's
 * own pages (localhost) during development. Returns the canonical form or null.
 */
export function canonicalOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return null;
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return null;
  // A name or an address, never a pattern: a browser sends one exact origin.
  if (!/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname)) return null;
  if (value.replace(/\/$/, '') !== url.origin) return null;
  return url.origin;
}

export interface ChatSettingsInput {
  enabled: boolean;
  teamId: string | null;
  allowedOrigins: string[];
  maxChatsPerAgent: number;
  offerTimeoutSeconds: number;
}

export async function updateChatSettings(deps: PortalDeps, ctx: AgentContext, input: ChatSettingsInput): Promise<ChatSettings> {
  const orgId = ctx.principal.orgId;
  const origins: string[] = [];
  for (const o of input.allowedOrigins) {
    const c = canonicalOrigin(o.trim());
    if (!c) throw new AppError('validation_failed', `“${o.slice(0, 100)}” is not a web origin: write it as https://www.example.com (scheme and host, a port if not the default, nothing after).`);
    if (!origins.includes(c)) origins.push(c);
  }
  if (input.enabled && !input.teamId) throw new AppError('validation_failed', 'Choose the team that takes chats before turning chat on.');
  await deps.db.transaction().execute(async (trx) => {
    if (input.teamId) {
      const team = await trx.selectFrom('teams').where('id', '=', input.teamId).where('org_id', '=', orgId).select('id').executeTakeFirst();
      if (!team) throw new AppError('validation_failed', 'Unknown team.');
    }
    const values = { enabled: input.enabled, team_id: input.teamId, allowed_origins: origins, max_chats_per_agent: input.maxChatsPerAgent, offer_timeout_s: input.offerTimeoutSeconds, updated_at: new Date() };
    await trx.insertInto('chat_settings').values({ org_id: orgId, ...values }).onConflict((oc) => oc.column('org_id').doUpdateSet(values)).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'chat.settings.update', object: { type: 'organization', id: orgId }, result: 'success', details: { enabled: input.enabled, origins: origins.length, teamId: input.teamId } });
  });
  return loadChatSettings(deps.db, orgId);
}

const secretField = (orgId: string) => ({ table: 'chat_settings', column: 'identity_secret_enc', rowId: orgId });

/** A new identity secret (the old one stops working at once); returned once, stored encrypted. */
export async function rotateIdentitySecret(deps: PortalDeps, ctx: AgentContext): Promise<{ secret: string; createdAt: string }> {
  const orgId = ctx.principal.orgId;
  const secret = randomBytes(32).toString('base64url');
  const now = new Date();
  await deps.db.transaction().execute(async (trx) => {
    const enc = await deps.keyring.encrypt({ type: 'organization', id: orgId }, secretField(orgId), secret, trx);
    await trx
      .insertInto('chat_settings')
      .values({ org_id: orgId, identity_secret_enc: enc, identity_secret_at: now, updated_at: now })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ identity_secret_enc: enc, identity_secret_at: now, updated_at: now }))
      .execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'chat.identity_secret.rotate', object: { type: 'organization', id: orgId }, result: 'success' });
  });
  return { secret, createdAt: now.toISOString() };
}

export interface SiteIdentity {
  subject: string;
  email: string;
  name: string | null;
}

const refused = (internal: string) => new AppError('unauthenticated', 'The sign-in from the website could not be checked. You can still chat without it.', { internal: `chat identity: ${internal}` });

/**
 * Checks a site identity token: HS256 under the organisation's secret, audience = the organisation,
 * exp/iat/jti/sub/email present, lifetime ≤ 10 minutes, clocks within 60 s, and the jti not seen before.
 */
export async function verifySiteIdentity(deps: Pick<PortalDeps, 'db' | 'keyring'>, orgId: string, token: string, now = new Date()): Promise<SiteIdentity> {
  if (token.length > 4096) throw refused('token too long');
  const row = await deps.db.selectFrom('chat_settings').where('org_id', '=', orgId).select('identity_secret_enc').executeTakeFirst();
  if (!row?.identity_secret_enc) throw refused('no identity secret');
  const secret = new TextEncoder().encode(await deps.keyring.decrypt(secretField(orgId), row.identity_secret_enc));
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      audience: orgId,
      clockTolerance: IDENTITY_CLOCK_TOLERANCE_S,
      currentDate: now,
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
    }));
  } catch (err) {
    throw refused(err instanceof joseErrors.JOSEError ? err.code : 'malformed');
  }
  const { exp, iat, jti, sub, email, name } = payload as { exp: number; iat: number; jti: unknown; sub: unknown; email: unknown; name: unknown };
  if (exp - iat > IDENTITY_MAX_LIFETIME_S) throw refused('lifetime over 10 minutes');
  if (iat * 1000 > now.getTime() + IDENTITY_CLOCK_TOLERANCE_S * 1000) throw refused('issued in the future');
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 200) throw refused('bad jti');
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) throw refused('bad sub');
  if (typeof email !== 'string' || email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw refused('bad email');
  if (name !== undefined && (typeof name !== 'string' || name.length > 200)) throw refused('bad name');
  await markJtiUsed(deps.db, orgId, jti, new Date((exp + IDENTITY_CLOCK_TOLERANCE_S) * 1000));
  return { subject: sub, email, name: typeof name === 'string' && name.trim() ? name.trim() : null };
}

/** Records a jti; a second use of it (on any instance) is refused. Expired records are swept on the way. */
async function markJtiUsed(db: Db, orgId: string, jti: string, expiresAt: Date): Promise<void> {
  const jtiHash = createHash('sha256').update(jti).digest();
  await db.deleteFrom('chat_identity_jtis').where('org_id', '=', orgId).where('expires_at', '<', new Date()).execute();
  const inserted = await db.insertInto('chat_identity_jtis').values({ org_id: orgId, jti_hash: jtiHash, expires_at: expiresAt }).onConflict((oc) => oc.doNothing()).returning('org_id').executeTakeFirst();
  if (!inserted) throw refused('jti replayed');
}
