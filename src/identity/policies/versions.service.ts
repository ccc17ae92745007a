/**
 * Data-handling policies (decision 0212): an internal one for staff and a public one for customers, each a
 * Markdown draft that publishing turns into the next immutable version with its effective date. The
 * version in force is the highest one whose date has come. Markdown is rendered with the training module
 * renderer (escape everything, then the rich-text allowlist), so hostile Markdown is shown as text. The
 * internal policy's generated part is rendered from the settings in force at every read (generated.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Principal } from '../auth/access.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { renderModuleMarkdown } from '../training/markdown.js';
import { generatedPolicyMarkdown, loadPolicySettings } from './generated.js';
import { inForce, publishedVersions, versionInForce, type VersionRow } from './current.js';
import type { PolicyKind } from './schema.js';
import './schema.js';

export interface PolicyDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  /** TRUSTDESK_STEP_UP_MINUTES, and the secure-message link lifetime: both are settings the generated part states. */
  stepUpMinutes: number;
  secureLinkDays: number;
}

export interface PolicyActor {
  principal: Principal;
  requestId?: string | null;
}

export type { VersionRow };
type State = 'in_force' | 'upcoming' | 'superseded';

const DAY_MS = 86_400_000;
/** A publish may be dated a little in the past (a form filled in before midnight), never backdated further. */
const MAX_BACKDATE_MS = DAY_MS;
const MAX_AHEAD_MS = 366 * DAY_MS;

export const actingOf = (a: PolicyActor) => ({
  orgId: a.principal.orgId,
  actor: { type: a.principal.kind === 'token' ? ('token' as const) : ('user' as const), id: a.principal.kind === 'token' ? (a.principal.tokenId ?? a.principal.userId) : a.principal.userId },
  requestId: a.requestId ?? null,
  sourceIp: a.principal.ip ?? null,
});

const iso = (d: Date | string | null) => (d === null ? '' : new Date(d).toISOString());

function stateOf(row: VersionRow, current: VersionRow | null, now: Date): State {
  if (current?.id === row.id) return 'in_force';
  return new Date(row.effective_at as Date) > now ? 'upcoming' : 'superseded';
}

function summary(row: VersionRow, state: State, names: Map<string, string>) {
  return {
    id: row.id,
    kind: row.kind,
    version: row.version as number,
    title: row.title,
    audience: row.audience,
    effectiveAt: iso(row.effective_at),
    publishedAt: iso(row.published_at),
    publishedBy: row.published_by ? (names.get(row.published_by) ?? null) : null,
    state,
  };
}

/** The generated part as Markdown, from the settings in force now. */
export async function generatedMarkdown(deps: Pick<PolicyDeps, 'stepUpMinutes' | 'secureLinkDays'>, db: Executor, orgId: string): Promise<string> {
  return generatedPolicyMarkdown(await loadPolicySettings(db, orgId, { stepUpMinutes: deps.stepUpMinutes, secureLinkDays: deps.secureLinkDays }));
}

export async function renderVersion(deps: Pick<PolicyDeps, 'stepUpMinutes' | 'secureLinkDays'>, db: Executor, row: VersionRow, state: State, names = new Map<string, string>()) {
  return {
    ...summary(row, state, names),
    bodyMarkdown: row.body_md,
    html: renderModuleMarkdown(row.body_md),
    generatedHtml: row.kind === 'internal' ? renderModuleMarkdown(await generatedMarkdown(deps, db, row.org_id)) : null,
  };
}

async function renderDraft(deps: PolicyDeps, db: Executor, row: VersionRow) {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    bodyMarkdown: row.body_md,
    audience: row.audience,
    updatedAt: iso(row.updated_at),
    html: renderModuleMarkdown(row.body_md),
    generatedHtml: row.kind === 'internal' ? renderModuleMarkdown(await generatedMarkdown(deps, db, row.org_id)) : null,
  };
}

async function publisherNames(db: Executor, rows: VersionRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.published_by).filter((id): id is string => id !== null))];
  if (!ids.length) return new Map();
  return new Map((await db.selectFrom('users').where('id', 'in', ids).select(['id', 'name']).execute()).map((u) => [u.id, u.name]));
}

/** Both policies: the draft (rendered, as a preview) and the version history. */
export async function readOverview(deps: PolicyDeps, orgId: string, now = new Date()) {
  const items = [];
  for (const kind of ['internal', 'public'] as const) {
    const versions = await publishedVersions(deps.db, orgId, kind);
    const current = inForce(versions, now);
    const names = await publisherNames(deps.db, versions);
    const draft = await deps.db.selectFrom('data_policy_versions').where('org_id', '=', orgId).where('kind', '=', kind).where('status', '=', 'draft').selectAll().executeTakeFirst();
    items.push({ kind, draft: draft ? await renderDraft(deps, deps.db, draft) : null, versions: versions.map((v) => summary(v, stateOf(v, current, now), names)) });
  }
  return { items };
}

export async function readVersion(deps: PolicyDeps, orgId: string, id: string, now = new Date()) {
  const row = await deps.db.selectFrom('data_policy_versions').where('id', '=', id).where('org_id', '=', orgId).where('status', '=', 'published').selectAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such policy version.');
  const current = await versionInForce(deps.db, orgId, row.kind, now);
  return renderVersion(deps, deps.db, row, stateOf(row, current, now), await publisherNames(deps.db, [row]));
}

/** Creates or replaces the draft of one policy. */
export async function saveDraft(deps: PolicyDeps, actor: PolicyActor, kind: PolicyKind, input: { title: string; bodyMarkdown: string; audience: string[] }) {
  const p = actor.principal;
  const body = input.bodyMarkdown.replace(/\r\n?/g, '\n');
  if (kind === 'public' && input.audience.length) throw new AppError('validation_failed', 'The public policy is for customers: it has no staff audience.');
  return deps.db.transaction().execute(async (trx) => {
    if (input.audience.length) {
      const known = new Set((await trx.selectFrom('roles').where('org_id', '=', p.orgId).select('key').execute()).map((r) => r.key));
      const unknown = input.audience.filter((k) => !known.has(k));
      if (unknown.length) throw new AppError('validation_failed', `Unknown role: ${unknown.slice(0, 5).join(', ')}.`);
    }
    const now = new Date();
    const row = await trx
      .insertInto('data_policy_versions')
      .values({ id: randomUUID(), org_id: p.orgId, kind, version: null, status: 'draft', title: input.title.trim(), body_md: body, audience: input.audience, created_by: p.userId, updated_at: now })
      .onConflict((oc) => oc.columns(['org_id', 'kind']).where('status', '=', 'draft').doUpdateSet({ title: input.title.trim(), body_md: body, audience: input.audience, updated_at: now }))
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...actingOf(actor), action: 'policy.document.draft_save', object: { type: 'data_policy', id: row.id }, result: 'success', details: { kind, chars: body.length, audience: input.audience } });
    return renderDraft(deps, trx, row);
  });
}

/** The draft becomes the next version, immutable from now on, taking effect at `effectiveAt`. */
export async function publishDraft(deps: PolicyDeps, actor: PolicyActor, kind: PolicyKind, input: { effectiveAt: string }, now = new Date()) {
  const p = actor.principal;
  const effectiveAt = new Date(input.effectiveAt);
  if (Number.isNaN(effectiveAt.getTime())) throw new AppError('validation_failed', 'Give the date the policy takes effect.');
  if (effectiveAt.getTime() < now.getTime() - MAX_BACKDATE_MS) throw new AppError('validation_failed', 'A policy cannot take effect in the past: choose today or a later date.');
  if (effectiveAt.getTime() > now.getTime() + MAX_AHEAD_MS) throw new AppError('validation_failed', 'Choose a date within a year.');
  return deps.db.transaction().execute(async (trx) => {
    // Two publishes at once number their versions one after the other.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`data-policy:${p.orgId}:${kind}`}, 0))`.execute(trx);
    const draft = await trx.selectFrom('data_policy_versions').where('org_id', '=', p.orgId).where('kind', '=', kind).where('status', '=', 'draft').selectAll().forUpdate().executeTakeFirst();
    if (!draft) throw new AppError('conflict', 'There is no draft to publish: write one first.');
    if (!draft.body_md.trim()) throw new AppError('validation_failed', 'The policy is empty: write it before publishing.');
    const last = await trx.selectFrom('data_policy_versions').where('org_id', '=', p.orgId).where('kind', '=', kind).where('status', '=', 'published').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    const version = Number(last?.v ?? 0) + 1;
    const row = await trx
      .updateTable('data_policy_versions')
      .set({ status: 'published', version, effective_at: effectiveAt, published_at: now, published_by: p.userId, updated_at: now })
      .where('id', '=', draft.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.audit.append(trx, {
      ...actingOf(actor),
      action: 'policy.document.publish',
      object: { type: 'data_policy', id: row.id },
      result: 'success',
      details: { kind, version, effectiveAt: effectiveAt.toISOString(), audience: row.audience, sha256: createHash('sha256').update(row.body_md).digest('hex') },
    });
    const current = inForce(await publishedVersions(trx, p.orgId, kind), now);
    return renderVersion(deps, trx, row, stateOf(row, current, now), new Map([[p.userId, p.name]]));
  });
}
