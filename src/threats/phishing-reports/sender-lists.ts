/**
 * Per-organisation allow and block lists (registrable domains or full
 * addresses). Administrators (policies.manage) add, approve and remove
 * entries; security officers (quarantine.read) read them. Every change and
 * its audit event commit together. Only 'active' entries reach the analyzer:
 * a phishing report only suggests a block ('pending'), see decision 0036.
 *
 * A value may be a customer's address, so none is stored in clear: the row
 * holds the value encrypted under the organisation's key and an exact keyed
 * hash for matching and uniqueness (decision 0111). Listing decrypts for the
 * security officer or administrator who asked.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../identity/auth/access.js';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import type { Db } from '../../platform/db/database.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import { AppError } from '../../platform/errors.js';
import type { SenderListKind, SenderListStatus } from './schema.js';
import './schema.js';

export interface SenderListDeps {
  db: Db;
  audit: AuditLog;
  keyring: Keyring;
}

export interface SenderListEntry {
  id: string;
  kind: SenderListKind;
  value: string;
  status: SenderListStatus;
  source: 'admin' | 'report';
  reason: string;
  addedBy: string | null;
  approvedBy: string | null;
  createdAt: string;
}

const DOMAIN = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const ADDRESS_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

/** Lower-cases and checks a list value: a domain ("example.com") or an address ("a@example.com"); null when neither. */
export function normalizeListValue(input: string): string | null {
  const v = input.trim().toLowerCase().replace(/\.$/, '');
  const at = v.lastIndexOf('@');
  if (at < 0) return DOMAIN.test(v) ? v : null;
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  return ADDRESS_LOCAL.test(local) && DOMAIN.test(domain) && v.length <= 254 ? v : null;
}

function auditBase(p: Principal, client: ClientInfo) {
  return { orgId: p.orgId, actor: { type: p.kind === 'token' ? ('token' as const) : ('user' as const), id: p.kind === 'token' ? (p.tokenId ?? p.userId) : p.userId }, requestId: client.requestId, sourceIp: client.ip };
}

type Row = { id: string; org_id: string; kind: SenderListKind; value: string | null; value_enc: Uint8Array | null; status: SenderListStatus; source: 'admin' | 'report'; reason: string; added_by: string | null; approved_by: string | null; created_at: Date | string };
const COLUMNS = ['id', 'org_id', 'kind', 'value', 'value_enc', 'status', 'source', 'reason', 'added_by', 'approved_by', 'created_at'] as const;
const present = (r: Row, value: string): SenderListEntry => ({
  id: r.id, kind: r.kind, value, status: r.status, source: r.source, reason: r.reason, addedBy: r.added_by, approvedBy: r.approved_by, createdAt: new Date(r.created_at).toISOString(),
});

/** The keyed hash a list value is found by (exact, per organisation). */
export function hashListValue(keyring: Keyring, orgId: string, normalized: string, exec?: Executor): Promise<Buffer> {
  return keyring.exactKeyedHash(orgId, { table: 'sender_lists', column: 'value' }, normalized, exec);
}

/** The stored columns of a list value: keyed hash, ciphertext bound to the row, and whether it is an address. */
export async function sealListValue(keyring: Keyring, exec: Executor, input: { orgId: string; id: string; value: string }) {
  return {
    value: null,
    value_hash: await hashListValue(keyring, input.orgId, input.value, exec),
    value_enc: await keyring.encrypt({ type: 'organization', id: input.orgId }, { table: 'sender_lists', column: 'value_enc', rowId: input.id }, input.value, exec),
    entry_type: input.value.includes('@') ? ('address' as const) : ('domain' as const),
  };
}

/** The clear value of a row (decrypted; rows from before migration 0012 until sealed at start-up). */
export async function openListValue(keyring: Keyring, row: { id: string; value: string | null; value_enc: Uint8Array | null }, exec?: Executor): Promise<string> {
  if (row.value_enc) return keyring.decrypt({ table: 'sender_lists', column: 'value_enc', rowId: row.id }, row.value_enc, exec);
  if (row.value !== null) return row.value;
  throw new AppError('internal', 'A list entry has no stored value.', { internal: `sender_lists ${row.id} has neither value nor value_enc` });
}

async function findByValue(trx: Executor, keyring: Keyring, input: { orgId: string; value: string; kind?: SenderListKind }) {
  const hash = await hashListValue(keyring, input.orgId, input.value, trx);
  let q = trx.selectFrom('sender_lists').where('org_id', '=', input.orgId).where((eb) => eb.or([eb('value_hash', '=', hash), eb('value', '=', input.value)]));
  if (input.kind) q = q.where('kind', '=', input.kind);
  return { hash, rows: await q.select(COLUMNS).forUpdate().execute() };
}

/** The list, decrypted for the caller; the read is audited (the values may be customers' addresses). */
export async function listSenderEntries(deps: SenderListDeps, p: Principal, client: ClientInfo, input: { kind?: SenderListKind; status?: SenderListStatus }): Promise<SenderListEntry[]> {
  let q = deps.db.selectFrom('sender_lists').where('org_id', '=', p.orgId);
  if (input.kind) q = q.where('kind', '=', input.kind);
  if (input.status) q = q.where('status', '=', input.status);
  const rows = await q.select(COLUMNS).orderBy('created_at', 'desc').orderBy('id').limit(1000).execute();
  const out: SenderListEntry[] = [];
  for (const r of rows) out.push(present(r, await openListValue(deps.keyring, r)));
  await deps.audit.record({
    ...auditBase(p, client),
    action: 'sender_list.list',
    result: 'success',
    details: { count: out.length, addresses: out.filter((e) => e.value.includes('@')).length, ...(input.kind ? { kind: input.kind } : {}), ...(input.status ? { status: input.status } : {}) },
  });
  return out;
}

/** Adds an active entry (an administrator's decision). Adding an entry that is pending approves it. */
export async function addSenderEntry(deps: SenderListDeps, p: Principal, client: ClientInfo, input: { kind: SenderListKind; value: string; reason: string }): Promise<SenderListEntry> {
  const value = normalizeListValue(input.value);
  if (!value) throw new AppError('validation_failed', 'Enter a domain (example.com) or an address (name@example.com).');
  return deps.db.transaction().execute(async (trx) => {
    const { rows } = await findByValue(trx, deps.keyring, { orgId: p.orgId, value });
    const existing = rows.find((r) => r.kind === input.kind);
    if (existing?.status === 'active') throw new AppError('conflict', 'This entry is already on the list.');
    const opposite = rows.find((r) => r.kind !== input.kind && r.status === 'active');
    if (opposite) throw new AppError('conflict', `This entry is already on the ${input.kind === 'allow' ? 'block' : 'allow'} list; remove it there first.`);
    let row: Row;
    if (existing) {
      await trx.updateTable('sender_lists').set({ status: 'active', approved_by: p.userId, reason: input.reason }).where('id', '=', existing.id).execute();
      row = { ...existing, status: 'active', approved_by: p.userId, reason: input.reason };
    } else {
      const id = randomUUID();
      const sealed = await sealListValue(deps.keyring, trx, { orgId: p.orgId, id, value });
      row = { id, org_id: p.orgId, kind: input.kind, value: null, value_enc: sealed.value_enc, status: 'active', source: 'admin', reason: input.reason, added_by: p.userId, approved_by: p.userId, created_at: new Date() };
      await trx.insertInto('sender_lists').values({ id, org_id: p.orgId, kind: row.kind, ...sealed, status: 'active', source: 'admin', reason: input.reason, added_by: p.userId, approved_by: p.userId }).execute();
    }
    await deps.audit.append(trx, { ...auditBase(p, client), action: existing ? 'sender_list.approve' : 'sender_list.add', object: { type: 'sender_list', id: row.id }, purpose: input.reason, result: 'success', details: { kind: input.kind, entryType: value.includes('@') ? 'address' : 'domain' } });
    return present(row, value);
  });
}

/** Approves a pending suggestion (from a report) so the analyzer uses it. */
export async function approveSenderEntry(deps: SenderListDeps, p: Principal, client: ClientInfo, input: { id: string; reason: string }): Promise<SenderListEntry> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('sender_lists').where('id', '=', input.id).where('org_id', '=', p.orgId).select(COLUMNS).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such list entry.');
    if (row.status === 'active') throw new AppError('conflict', 'This entry is already active.');
    const value = await openListValue(deps.keyring, row, trx);
    await trx.updateTable('sender_lists').set({ status: 'active', approved_by: p.userId }).where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'sender_list.approve', object: { type: 'sender_list', id: row.id }, purpose: input.reason, result: 'success', details: { kind: row.kind, source: row.source } });
    return present({ ...row, status: 'active', approved_by: p.userId }, value);
  });
}

/** Removes an entry (active or a rejected suggestion). */
export async function removeSenderEntry(deps: SenderListDeps, p: Principal, client: ClientInfo, input: { id: string; reason: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('sender_lists').where('id', '=', input.id).where('org_id', '=', p.orgId).select(['id', 'kind', 'status']).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such list entry.');
    await trx.deleteFrom('sender_lists').where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'sender_list.remove', object: { type: 'sender_list', id: row.id }, purpose: input.reason, result: 'success', details: { kind: row.kind, wasStatus: row.status } });
  });
}

/**
 * Suggests blocking a reported sender, inside the report's transaction.
 * Returns the entry id, or null when the value is already listed (active or pending) or unusable.
 */
export async function suggestBlock(trx: Executor, keyring: Keyring, input: { orgId: string; value: string; reporterId: string; reason: string }): Promise<string | null> {
  const value = normalizeListValue(input.value);
  if (!value) return null;
  const id = randomUUID();
  const sealed = await sealListValue(keyring, trx, { orgId: input.orgId, id, value });
  const listed = await trx.selectFrom('sender_lists').where('org_id', '=', input.orgId).where('kind', '=', 'block').where((eb) => eb.or([eb('value_hash', '=', sealed.value_hash), eb('value', '=', value)])).select('id').executeTakeFirst();
  if (listed) return null;
  const inserted = await trx
    .insertInto('sender_lists')
    .values({ id, org_id: input.orgId, kind: 'block', ...sealed, status: 'pending', source: 'report', reason: input.reason, added_by: input.reporterId })
    .onConflict((oc) => oc.columns(['org_id', 'kind', 'value_hash']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id ?? null;
}
