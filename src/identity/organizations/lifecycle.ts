/**
 * Organisations as tenants of one installation: create, list, rename, suspend,
 * resume and delete. The operator on the machine (the CLI) is the authority
 * here; no staff member of any organisation can reach these (decision 0202).
 * Each change is audited in the organisation's own trail; creation and
 * deletion also in the installation's trail (entries without an organisation).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import { createBuiltInRoles } from '../auth/principals.js';
import { purgeOrganizationRows, type PurgeResult } from './purge.js';
import type { OrganizationStatus } from './status.js';

export interface OrganizationDeps {
  db: Db;
  audit: AuditLog;
  keyring: Keyring;
  /** Where attachment files live: a deleted organisation's are removed (unreadable already: their keys are gone). */
  blobs?: BlobStore;
}

/** Who acts: the operator's command line, with the request id its audit entries carry. */
export interface Operator {
  id: string;
  requestId: string;
}

export const CLI_OPERATOR: Operator = { id: 'cli', requestId: 'cli' };

export interface OrganizationSummary {
  id: string;
  slug: string;
  name: string;
  status: OrganizationStatus;
  createdAt: Date;
  suspendedAt: Date | null;
  deletedAt: Date | null;
  /** Its own host name (decision 0238), or null: the installation's address. */
  hostName: string | null;
  staff: number;
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Serialises the name and slug checks of concurrent creations and renames. */
const NAMES_LOCK = 7470202;

/** The slug a name gives: lower case, other characters as single hyphens (as the database's default, migration 0038). */
export function slugFromName(name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40).replace(/^-+|-+$/g, '');
  return base || 'org';
}

function cleanName(name: string): string {
  const n = name.trim().replace(/\s+/g, ' ');
  if (n.length < 1 || n.length > 200) throw new AppError('validation_failed', 'An organisation name has 1 to 200 characters.');
  return n;
}

function cleanSlug(slug: string): string {
  const s = slug.trim().toLowerCase();
  if (!SLUG.test(s)) throw new AppError('validation_failed', 'A slug has 1 to 63 lower-case letters, digits and hyphens, and starts with a letter or digit.');
  if (s.startsWith('deleted-')) throw new AppError('validation_failed', 'Slugs starting with "deleted-" are kept for deleted organisations.');
  return s;
}

function summary(r: { id: string; slug: string; name: string; status: OrganizationStatus; created_at: Date; suspended_at: Date | null; deleted_at: Date | null; host_name?: string | null; staff?: number }): OrganizationSummary {
  return { id: r.id, slug: r.slug, name: r.name, status: r.status, createdAt: r.created_at, suspendedAt: r.suspended_at, deletedAt: r.deleted_at, hostName: r.host_name ?? null, staff: Number(r.staff ?? 0) };
}

/** An organisation by id or slug (deleted ones too: their tombstone answers by id). */
export async function findOrganization(db: Executor, ref: string): Promise<OrganizationSummary> {
  const r = ref.trim();
  let q = db.selectFrom('organizations').select(['id', 'slug', 'name', 'status', 'created_at', 'suspended_at', 'deleted_at', 'host_name']);
  q = UUID.test(r) ? q.where('id', '=', r.toLowerCase()) : q.where('slug', '=', r.toLowerCase());
  const row = await q.executeTakeFirst();
  if (!row) throw new AppError('not_found', `No organisation "${r}".`);
  return summary(row);
}

async function assertNamesFree(trx: Executor, name: string, slug: string, except: string | null): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${NAMES_LOCK})`.execute(trx);
  let q = trx
    .selectFrom('organizations')
    .where((eb) => eb.or([eb(eb.fn('lower', ['name']), '=', name.toLowerCase()).and('status', '<>', 'deleted'), eb('slug', '=', slug)]))
    .select(['id', 'name', 'slug']);
  if (except) q = q.where('id', '<>', except);
  const clash = await q.executeTakeFirst();
  if (!clash) return;
  if (clash.name.toLowerCase() === name.toLowerCase()) throw new AppError('conflict', `An organisation named "${clash.name}" exists already (slug ${clash.slug}).`);
  throw new AppError('conflict', `The slug "${slug}" is taken by another organisation; choose another with --slug.`);
}

export async function createOrganization(deps: OrganizationDeps, operator: Operator, input: { name: string; slug?: string | undefined }): Promise<OrganizationSummary> {
  const name = cleanName(input.name);
  const slug = cleanSlug(input.slug ?? slugFromName(name));
  const id = randomUUID();
  return deps.db.transaction().execute(async (trx) => {
    await assertNamesFree(trx, name, slug, null);
    const row = await trx.insertInto('organizations').values({ id, name, slug }).returning(['id', 'slug', 'name', 'status', 'created_at', 'suspended_at', 'deleted_at']).executeTakeFirstOrThrow();
    await createBuiltInRoles(trx, id);
    const actor = { type: 'system' as const, id: operator.id };
    await deps.audit.append(trx, { orgId: id, actor, action: 'organization.create', object: { type: 'organization', id }, result: 'success', details: { slug }, requestId: operator.requestId });
    await deps.audit.append(trx, { orgId: null, actor, action: 'installation.organization.create', object: { type: 'organization', id }, result: 'success', details: { slug }, requestId: operator.requestId });
    return summary(row);
  });
}

export async function listOrganizations(db: Db, options: { includeDeleted?: boolean } = {}): Promise<OrganizationSummary[]> {
  let q = db
    .selectFrom('organizations')
    .select((eb) => [
      'id', 'slug', 'name', 'status', 'created_at', 'suspended_at', 'deleted_at', 'host_name',
      eb.selectFrom('users').whereRef('users.org_id', '=', 'organizations.id').where('users.status', '<>', 'deactivated').select(sql<number>`count(*)::int`.as('n')).as('staff'),
    ])
    .orderBy('created_at')
    .orderBy('id');
  if (!options.includeDeleted) q = q.where('status', '<>', 'deleted');
  return (await q.execute()).map((r) => summary({ ...r, staff: r.staff ?? 0 }));
}

async function lockLive(trx: Executor, ref: string): Promise<OrganizationSummary> {
  const org = await findOrganization(trx, ref);
  if (org.status === 'deleted') throw new AppError('not_found', `No organisation "${ref.trim()}" (it was deleted).`);
  await trx.selectFrom('organizations').where('id', '=', org.id).select('id').forUpdate().execute();
  return findOrganization(trx, org.id);
}

export async function renameOrganization(deps: OrganizationDeps, operator: Operator, ref: string, input: { name?: string | undefined; slug?: string | undefined }): Promise<OrganizationSummary> {
  if (input.name === undefined && input.slug === undefined) throw new AppError('validation_failed', 'Give a new name, a new slug, or both.');
  return deps.db.transaction().execute(async (trx) => {
    const org = await lockLive(trx, ref);
    const name = input.name === undefined ? org.name : cleanName(input.name);
    const slug = input.slug === undefined ? org.slug : cleanSlug(input.slug);
    await assertNamesFree(trx, name, slug, org.id);
    await trx.updateTable('organizations').set({ name, slug }).where('id', '=', org.id).execute();
    await deps.audit.append(trx, {
      orgId: org.id, actor: { type: 'system', id: operator.id }, action: 'organization.rename', object: { type: 'organization', id: org.id }, result: 'success',
      details: { nameChanged: name !== org.name, slugFrom: org.slug, slugTo: slug }, requestId: operator.requestId,
    });
    return { ...org, name, slug };
  });
}

/** Suspends: data kept, every session ended, nothing taken in until resumed (see status.ts). */
export async function suspendOrganization(deps: OrganizationDeps, operator: Operator, ref: string, input: { reason?: string | undefined } = {}): Promise<OrganizationSummary> {
  return deps.db.transaction().execute(async (trx) => {
    const org = await lockLive(trx, ref);
    if (org.status === 'suspended') return org;
    const now = new Date();
    await trx.updateTable('organizations').set({ status: 'suspended', suspended_at: now }).where('id', '=', org.id).execute();
    const ended = await trx.updateTable('sessions').set({ revoked_at: now, revoked_reason: 'organization_suspended' }).where('org_id', '=', org.id).where('revoked_at', 'is', null).executeTakeFirst();
    await deps.audit.append(trx, {
      orgId: org.id, actor: { type: 'system', id: operator.id }, action: 'organization.suspend', object: { type: 'organization', id: org.id }, result: 'success',
      purpose: input.reason?.trim().slice(0, 200) || null, details: { sessionsEnded: Number(ended.numUpdatedRows) }, requestId: operator.requestId,
    });
    return { ...org, status: 'suspended', suspendedAt: now };
  });
}

export async function resumeOrganization(deps: OrganizationDeps, operator: Operator, ref: string): Promise<OrganizationSummary> {
  return deps.db.transaction().execute(async (trx) => {
    const org = await lockLive(trx, ref);
    if (org.status === 'active') return org;
    await trx.updateTable('organizations').set({ status: 'active', suspended_at: null }).where('id', '=', org.id).execute();
    await deps.audit.append(trx, { orgId: org.id, actor: { type: 'system', id: operator.id }, action: 'organization.resume', object: { type: 'organization', id: org.id }, result: 'success', requestId: operator.requestId });
    return { ...org, status: 'active', suspendedAt: null };
  });
}

export interface DeleteResult {
  id: string;
  slug: string;
  keysDestroyed: number;
  purge: PurgeResult;
  /** Attachment files removed, and those that could not be (unreadable all the same). */
  filesRemoved: number;
  filesLeft: number;
}

/**
 * Deletes an organisation for good. First, in one transaction with its audit
 * entries: every data key of the organisation and of each of its customers is
 * destroyed (crypto-shredding: nothing of it can be decrypted again, from the
 * database or any backup), sessions and tokens end, and the row becomes a
 * tombstone. Then its rows are removed (purge.ts). Running it again on the
 * tombstone (by id) finishes a purge that was interrupted.
 *
 * `confirm` must repeat the organisation's slug or id.
 */
export async function deleteOrganization(deps: OrganizationDeps, operator: Operator, ref: string, confirm: string | undefined): Promise<DeleteResult> {
  const target = await findOrganization(deps.db, ref);
  const c = confirm?.trim().toLowerCase();
  if (!c || (c !== target.slug && c !== target.id)) {
    throw new AppError('validation_failed', `Deleting destroys every key and row of the organisation. Repeat its slug or id to confirm: --confirm ${target.slug}`);
  }
  let keysDestroyed = 0;
  if (target.status !== 'deleted') {
    keysDestroyed = await deps.db.transaction().execute(async (trx) => {
      const org = await lockLive(trx, target.id);
      const now = new Date();
      const customers = await trx.selectFrom('customers').where('org_id', '=', org.id).select('id').execute();
      let destroyed = (await deps.keyring.destroyKeys({ type: 'organization', id: org.id }, trx)).length;
      for (const cu of customers) destroyed += (await deps.keyring.destroyKeys({ type: 'customer', id: cu.id }, trx)).length;
      await trx.updateTable('sessions').set({ revoked_at: now, revoked_reason: 'organization_deleted' }).where('org_id', '=', org.id).where('revoked_at', 'is', null).execute();
      await trx.updateTable('api_tokens').set({ revoked_at: now }).where('org_id', '=', org.id).where('revoked_at', 'is', null).execute();
      await trx
        .updateTable('organizations')
        .set({ status: 'deleted', deleted_at: now, name: 'Deleted organisation', slug: `deleted-${org.id.replace(/-/g, '').slice(0, 12)}`, settings: '{}', allowed_cidrs: [], dkim_domain: null, dkim_selector: null, dkim_key_enc: null, dkim_public_key: null, host_name: null })
        .where('id', '=', org.id)
        .execute();
      const actor = { type: 'system' as const, id: operator.id };
      const details = { slug: org.slug, keysDestroyed: destroyed, customers: customers.length };
      await deps.audit.append(trx, { orgId: org.id, actor, action: 'organization.delete', object: { type: 'organization', id: org.id }, result: 'success', details, requestId: operator.requestId });
      await deps.audit.append(trx, { orgId: null, actor, action: 'installation.organization.delete', object: { type: 'organization', id: org.id }, result: 'success', details, requestId: operator.requestId });
      return destroyed;
    });
  }
  const files = await deps.db.selectFrom('attachments').where('org_id', '=', target.id).where('blob_key', 'is not', null).select('blob_key').execute();
  const purge = await purgeOrganizationRows(deps.db, target.id);
  let filesLeft = 0;
  if (deps.blobs) for (const f of files) await deps.blobs.delete(f.blob_key as string).catch(() => void filesLeft++);
  return { id: target.id, slug: target.slug, keysDestroyed, purge, filesRemoved: deps.blobs ? files.length - filesLeft : 0, filesLeft };
}
