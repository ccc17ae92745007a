/**
 * Per-organisation allow and block lists (registrable domains or full
 * addresses). Administrators (policies.manage) add, approve and remove
 * entries; security officers (quarantine.read) read them. Every change and
 * its audit event commit together. Only 'active' entries reach the analyzer:
 * a phishing report only suggests a block ('pending'), see decision 0036.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/access.js';
import type { ClientInfo } from '../auth/auth.service.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../crypto/keyring.js';
import type { AuditLog } from '../audit/audit-log.js';
import { AppError } from '../errors.js';
import type { SenderListKind, SenderListStatus } from './schema.js';
import './schema.js';

export interface SenderListDeps {
  db: Db;
  audit: AuditLog;
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

type Row = { id: string; kind: SenderListKind; value: string; status: SenderListStatus; source: 'admin' | 'report'; reason: string; added_by: string | null; approved_by: string | null; created_at: Date | string };
const present = (r: Row): SenderListEntry => ({
  id: r.id, kind: r.kind, value: r.value, status: r.status, source: r.source, reason: r.reason, addedBy: r.added_by, approvedBy: r.approved_by, createdAt: new Date(r.created_at).toISOString(),
});

export async function listSenderEntries(db: Db, input: { orgId: string; kind?: SenderListKind; status?: SenderListStatus }): Promise<SenderListEntry[]> {
  let q = db.selectFrom('sender_lists').where('org_id', '=', input.orgId);
  if (input.kind) q = q.where('kind', '=', input.kind);
  if (input.status) q = q.where('status', '=', input.status);
  const rows = await q.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(1000).execute();
  return rows.map(present);
}

/** Adds an active entry (an administrator's decision). Adding an entry that is pending approves it. */
export async function addSenderEntry(deps: SenderListDeps, p: Principal, client: ClientInfo, input: { kind: SenderListKind; value: string; reason: string }): Promise<SenderListEntry> {
  const value = normalizeListValue(input.value);
  if (!value) throw new AppError('validation_failed', 'Enter a domain (example.com) or an address (name@example.com).');
  return deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('sender_lists').where('org_id', '=', p.orgId).where('kind', '=', input.kind).where('value', '=', value).selectAll().forUpdate().executeTakeFirst();
    if (existing?.status === 'active') throw new AppError('conflict', 'This entry is already on the list.');
    const opposite = await trx.selectFrom('sender_lists').where('org_id', '=', p.orgId).where('kind', '!=', input.kind).where('value', '=', value).where('status', '=', 'active').select('id').executeTakeFirst();
    if (opposite) throw new AppError('conflict', `This entry is already on the ${input.kind === 'allow' ? 'block' : 'allow'} list; remove it there first.`);
    let row: Row;
    if (existing) {
      await trx.updateTable('sender_lists').set({ status: 'active', approved_by: p.userId, reason: input.reason }).where('id', '=', existing.id).execute();
      row = { ...existing, status: 'active', approved_by: p.userId, reason: input.reason };
    } else {
      row = { id: randomUUID(), kind: input.kind, value, status: 'active', source: 'admin', reason: input.reason, added_by: p.userId, approved_by: p.userId, created_at: new Date() };
      await trx.insertInto('sender_lists').values({ id: row.id, org_id: p.orgId, kind: row.kind, value, status: 'active', source: 'admin', reason: input.reason, added_by: p.userId, approved_by: p.userId }).execute();
    }
    await deps.audit.append(trx, { ...auditBase(p, client), action: existing ? 'sender_list.approve' : 'sender_list.add', object: { type: 'sender_list', id: row.id }, purpose: input.reason, result: 'success', details: { kind: input.kind, entryType: value.includes('@') ? 'address' : 'domain' } });
    return present(row);
  });
}

/** Approves a pending suggestion (from a report) so the analyzer uses it. */
export async function approveSenderEntry(deps: SenderListDeps, p: Principal, client: ClientInfo, input: { id: string; reason: string }): Promise<SenderListEntry> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('sender_lists').where('id', '=', input.id).where('org_id', '=', p.orgId).selectAll().forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such list entry.');
    if (row.status === 'active') throw new AppError('conflict', 'This entry is already active.');
    await trx.updateTable('sender_lists').set({ status: 'active', approved_by: p.userId }).where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'sender_list.approve', object: { type: 'sender_list', id: row.id }, purpose: input.reason, result: 'success', details: { kind: row.kind, source: row.source } });
    return present({ ...row, status: 'active', approved_by: p.userId });
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
export async function suggestBlock(trx: Executor, input: { orgId: string; value: string; reporterId: string; reason: string }): Promise<string | null> {
  const value = normalizeListValue(input.value);
  if (!value) return null;
  const id = randomUUID();
  const inserted = await trx
    .insertInto('sender_lists')
    .values({ id, org_id: input.orgId, kind: 'block', value, status: 'pending', source: 'report', reason: input.reason, added_by: input.reporterId })
    .onConflict((oc) => oc.columns(['org_id', 'kind', 'value']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id ?? null;
}
