/**
 * The organisation's branding: the name customers see (settings.branding.displayName, else the
 * organisation's name), an optional accent colour and the portal logo (organization_logos).
 * Every mail a customer receives takes its sender name and wording from brandName(). Decision 0158.
 */
import { writeOrgSetting } from '../../identity/organization/settings.js';
import { createHash } from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Db } from '../../platform/db/database.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { ACCENT_MIN_CONTRAST, checkLogo, cleanDisplayName, contrastRatio, LOGO_REFUSALS, normalizeHexColor } from './brand.js';
import './schema.js';

export interface BrandingSettings {
  displayName: string | null;
  accentColor: string | null;
}

export interface Branding extends BrandingSettings {
  /** What customers see: the display name, else the organisation's name. */
  name: string;
  organizationName: string;
  logo: { sha256: string; contentType: string; updatedAt: string } | null;
}

function readSettings(settings: unknown): BrandingSettings {
  const b = (settings as { branding?: Partial<BrandingSettings> } | null)?.branding ?? {};
  const displayName = typeof b.displayName === 'string' ? cleanDisplayName(b.displayName) : '';
  const accent = typeof b.accentColor === 'string' ? normalizeHexColor(b.accentColor) : null;
  return { displayName: displayName || null, accentColor: accent };
}

export async function loadBranding(db: Executor, orgId: string): Promise<Branding> {
  const org = await db.selectFrom('organizations').where('id', '=', orgId).select(['name', 'settings']).executeTakeFirst();
  if (!org) throw new AppError('not_found', 'No such organisation.');
  const logo = await db.selectFrom('organization_logos').where('org_id', '=', orgId).select(['sha256', 'content_type', 'updated_at']).executeTakeFirst();
  const s = readSettings(org.settings);
  return {
    ...s,
    name: s.displayName ?? (cleanDisplayName(org.name) || 'Support'),
    organizationName: org.name,
    logo: logo ? { sha256: logo.sha256, contentType: logo.content_type, updatedAt: new Date(logo.updated_at).toISOString() } : null,
  };
}

/** The name every customer-facing mail is sent under and speaks in. */
export async function brandName(db: Executor, orgId: string): Promise<string> {
  const org = await db.selectFrom('organizations').where('id', '=', orgId).select(['name', 'settings']).executeTakeFirst();
  if (!org) return 'Support';
  return readSettings(org.settings).displayName ?? (cleanDisplayName(org.name) || 'Support');
}

export interface BrandingDeps {
  db: Db;
  audit: AuditLog;
}

type Actor = { orgId: string; userId: string; requestId: string; ip: string };

function auditOf(actor: Actor) {
  return { orgId: actor.orgId, actor: { type: 'user' as const, id: actor.userId }, object: { type: 'organization', id: actor.orgId }, result: 'success' as const, requestId: actor.requestId, sourceIp: actor.ip };
}

/** Validates and stores the name and colour under settings.branding only (other features' keys stay). */
export async function saveBranding(deps: BrandingDeps, actor: Actor, input: { displayName: string | null; accentColor: string | null }): Promise<BrandingSettings> {
  const displayName = input.displayName === null ? null : cleanDisplayName(input.displayName) || null;
  let accentColor: string | null = null;
  if (input.accentColor !== null && input.accentColor !== '') {
    accentColor = normalizeHexColor(input.accentColor);
    if (!accentColor) throw new AppError('validation_failed', 'The accent colour must be a hex colour such as #1a5fb4.', { extra: { errors: [{ field: 'accentColor', message: 'must be #rrggbb' }] } });
    const ratio = contrastRatio(accentColor, '#ffffff');
    if (ratio < ACCENT_MIN_CONTRAST) {
      throw new AppError('validation_failed', `White text on this colour has a contrast of ${ratio.toFixed(2)}:1; it needs at least ${ACCENT_MIN_CONTRAST}:1 to be readable. Choose a darker colour.`, { extra: { errors: [{ field: 'accentColor', message: `contrast ${ratio.toFixed(2)}:1 is below ${ACCENT_MIN_CONTRAST}:1` }] } });
    }
  }
  const value = { displayName, accentColor };
  await deps.db.transaction().execute(async (trx) => {
    await writeOrgSetting(trx, actor.orgId, 'branding', value);
    await deps.audit.append(trx, { ...auditOf(actor), action: 'branding.change', details: { displayName, accentColor } });
  });
  return value;
}

export async function saveLogo(deps: BrandingDeps, actor: Actor, bytes: Uint8Array): Promise<{ sha256: string; contentType: string }> {
  const checked = checkLogo(bytes);
  if (!checked.ok) {
    const code = checked.reason === 'too_large' ? 'payload_too_large' : checked.reason === 'svg' || checked.reason === 'unsupported_type' ? 'unsupported_media_type' : 'validation_failed';
    await deps.audit.record({ ...auditOf(actor), action: 'branding.logo_upload', result: 'denied', details: { reason: checked.reason, size: bytes.length } });
    throw new AppError(code, LOGO_REFUSALS[checked.reason], { extra: { reason: checked.reason } });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const content = Buffer.from(bytes);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('organization_logos')
      .values({ org_id: actor.orgId, content, content_type: checked.type, sha256, updated_at: new Date() })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ content, content_type: checked.type, sha256, updated_at: new Date() }))
      .execute();
    await deps.audit.append(trx, { ...auditOf(actor), action: 'branding.logo_upload', details: { sha256, contentType: checked.type, size: bytes.length } });
  });
  return { sha256, contentType: checked.type };
}

export async function removeLogo(deps: BrandingDeps, actor: Actor): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('organization_logos').where('org_id', '=', actor.orgId).execute();
    await deps.audit.append(trx, { ...auditOf(actor), action: 'branding.logo_remove' });
  });
}

export async function readLogo(db: Executor, orgId: string): Promise<{ content: Buffer; contentType: string; sha256: string } | null> {
  const row = await db.selectFrom('organization_logos').where('org_id', '=', orgId).select(['content', 'content_type', 'sha256']).executeTakeFirst();
  return row ? { content: Buffer.from(row.content), contentType: row.content_type, sha256: row.sha256 } : null;
}

/** The public address of the logo, versioned by its hash. */
export function logoPath(orgId: string, sha256: string): string {
  return `/api/portal/branding/${orgId}/logo?v=${sha256.slice(0, 16)}`;
}
