/**
 * Data-subject requests (decision 0198): recorded by staff for a customer (an agent only after verifying them,
 * a privacy manager with or without), verified, then approved or rejected by a privacy manager. Approving an
 * erasure carries it out in the same transaction (erasure.ts), so a request is never "approved" with the
 * customer half-erased. Every step is audited in the transaction of its change. Due one month after receipt.
 */
import { randomUUID } from 'node:crypto';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import { scopeOf, type Principal } from '../../identity/auth/access.js';
import { readOrgSetting, writeOrgSetting } from '../../identity/organization/settings.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { ticketScope, type HelpdeskDeps } from '../tickets/context.js';
import { verificationPolicyOf } from '../verification/verification.service.js';
import { renderCertificateText, type ErasureCertificate } from './certificate.js';
import { eraseForRequest, type ErasureOptions } from './erasure.js';
import { buildAccessExport, DEFAULT_EXPORT_DAYS, type BuiltExport } from './export.js';
import type { PrivacyRequestKind, PrivacyRequestsTable, PrivacyRequestStatus, PrivacyRequestVia } from './schema.js';
import '../portal/schema.js';
import './schema.js';

export interface PrivacyRequestView {
  id: string;
  customerId: string;
  kind: PrivacyRequestKind;
  via: PrivacyRequestVia;
  status: PrivacyRequestStatus;
  verification: 'code' | 'staff' | 'policy' | null;
  verificationId: string | null;
  requestedBy: string | null;
  verifiedBy: string | null;
  verifiedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  rejectedReason: string | null;
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
  completedAt: string | null;
  hasCertificate: boolean;
}

export interface PrivacySettings {
  secondApprover: boolean;
  /** Name staff members in an access export's list of staff accesses (otherwise their roles only). */
  exportStaffNames: boolean;
  /** Days an access export stays downloadable. */
  exportDays: number;
}

const SETTINGS_KEY = 'privacy';
const OPEN: PrivacyRequestStatus[] = ['new', 'verified', 'approved'];

/** One calendar month after `from` (31 January → the last day of February), as GDPR art. 12(3) counts. */
export function dueDate(from: Date): Date {
  const d = new Date(from);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + 1);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

type Row = Pick<PrivacyRequestsTable, 'id' | 'customer_id' | 'kind' | 'via' | 'verification' | 'verification_id' | 'requested_by' | 'verified_by' | 'verified_at' | 'decided_by' | 'decided_at' | 'rejected_reason' | 'completed_at'> & {
  status: PrivacyRequestStatus;
  received_at: Date;
  due_at: Date;
  certificate: ErasureCertificate | null;
};

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function view(r: Row, now: Date): PrivacyRequestView {
  return {
    id: r.id,
    customerId: r.customer_id,
    kind: r.kind,
    via: r.via,
    status: r.status,
    verification: r.verification,
    verificationId: r.verification_id,
    requestedBy: r.requested_by,
    verifiedBy: r.verified_by,
    verifiedAt: iso(r.verified_at),
    decidedBy: r.decided_by,
    decidedAt: iso(r.decided_at),
    rejectedReason: r.rejected_reason,
    receivedAt: new Date(r.received_at).toISOString(),
    dueAt: new Date(r.due_at).toISOString(),
    overdue: OPEN.includes(r.status) && new Date(r.due_at).getTime() < now.getTime(),
    completedAt: iso(r.completed_at),
    hasCertificate: r.certificate !== null,
  };
}

const COLUMNS = ['id', 'customer_id', 'kind', 'via', 'status', 'verification', 'verification_id', 'requested_by', 'verified_by', 'verified_at', 'decided_by', 'decided_at', 'rejected_reason', 'received_at', 'due_at', 'completed_at', 'certificate'] as const;

function auditBase(p: Principal, client: ClientInfo) {
  return { orgId: p.orgId, actor: { type: 'user' as const, id: p.userId }, requestId: client.requestId, sourceIp: client.ip };
}

async function loadForUpdate(trx: Executor, orgId: string, id: string): Promise<Row> {
  const row = await trx.selectFrom('privacy_requests').where('id', '=', id).where('org_id', '=', orgId).select(COLUMNS).forUpdate().executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such privacy request.');
  return row as Row;
}

/** A verification of this customer that succeeded, within the organisation's validity window. */
async function checkVerification(trx: Executor, orgId: string, customerId: string, verificationId: string, now: Date): Promise<void> {
  const org = await trx.selectFrom('organizations').where('id', '=', orgId).select('settings').executeTakeFirst();
  const since = new Date(now.getTime() - verificationPolicyOf(org?.settings).validMinutes * 60_000);
  const hit = await trx
    .selectFrom('customer_verifications')
    .where('id', '=', verificationId)
    .where('org_id', '=', orgId)
    .where('customer_id', '=', customerId)
    .where('status', '=', 'verified')
    .where('decided_at', '>', since)
    .select('id')
    .executeTakeFirst();
  if (!hit) throw new AppError('validation_failed', 'That verification did not succeed for this customer, or it is too old: verify the customer again.');
}

/** The customer, if the caller may record a request for them: org-wide privacy managers, else through a ticket they may see. */
async function assertCustomerReachable(trx: Executor, p: Principal, customerId: string): Promise<void> {
  const found = scopeOf(p, 'privacy.manage') === 'org'
    ? await trx.selectFrom('customers').where('id', '=', customerId).where('org_id', '=', p.orgId).select('id').executeTakeFirst()
    : scopeOf(p, 'customers.verify')
      ? await trx.selectFrom('tickets').where('requester_id', '=', customerId).where(ticketScope(p, 'customers.verify')).select('id').limit(1).executeTakeFirst()
      : undefined;
  if (!found) throw new AppError('not_found', 'No such customer.');
}

export async function createPrivacyRequest(
  deps: HelpdeskDeps,
  p: Principal,
  client: ClientInfo,
  input: { customerId: string; kind: PrivacyRequestKind; verificationId?: string | undefined; now?: Date },
): Promise<PrivacyRequestView> {
  const now = input.now ?? new Date();
  const manager = scopeOf(p, 'privacy.manage') === 'org';
  if (!manager && !input.verificationId) throw new AppError('validation_failed', 'Verify the customer first, then record the request with that verification.');
  return deps.db.transaction().execute(async (trx) => {
    await assertCustomerReachable(trx, p, input.customerId);
    const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).select(['merged_into']).forNoKeyUpdate().executeTakeFirstOrThrow();
    if (customer.merged_into) throw new AppError('conflict', 'This record was merged into another customer: record the request for that customer.', { extra: { customerId: customer.merged_into } });
    if (input.kind === 'erasure') {
      const erased = await trx.selectFrom('privacy_requests').where('org_id', '=', p.orgId).where('customer_id', '=', input.customerId).where('kind', '=', 'erasure').where('status', '=', 'done').select('id').executeTakeFirst();
      if (erased) throw new AppError('conflict', 'This customer has already been erased.', { extra: { requestId: erased.id } });
    }
    const open = await trx.selectFrom('privacy_requests').where('org_id', '=', p.orgId).where('customer_id', '=', input.customerId).where('kind', '=', input.kind).where('status', 'in', OPEN).select('id').executeTakeFirst();
    if (open) throw new AppError('conflict', 'An open request of this kind already exists for this customer.', { extra: { requestId: open.id } });
    if (input.verificationId) await checkVerification(trx, p.orgId, input.customerId, input.verificationId, now);
    const id = randomUUID();
    const verified = input.verificationId !== undefined;
    await trx
      .insertInto('privacy_requests')
      .values({
        id,
        org_id: p.orgId,
        customer_id: input.customerId,
        kind: input.kind,
        via: p.kind === 'session' ? 'agent' : 'api',
        status: verified ? 'verified' : 'new',
        verification: verified ? 'code' : null,
        verification_id: input.verificationId ?? null,
        requested_by: p.userId,
        verified_by: verified ? p.userId : null,
        verified_at: verified ? now : null,
        decided_by: null,
        decided_at: null,
        rejected_reason: null,
        received_at: now,
        due_at: dueDate(now),
        completed_at: null,
      })
      .execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.request.create', object: { type: 'privacy_request', id }, subjectCustomerId: input.customerId, result: 'success', details: { kind: input.kind, verified, ...(verified ? { verificationId: input.verificationId } : {}) } });
    return view(await loadForUpdate(trx, p.orgId, id), now);
  });
}

export async function listPrivacyRequests(deps: HelpdeskDeps, p: Principal, input: { status?: PrivacyRequestStatus | 'open'; limit?: number; now?: Date }): Promise<PrivacyRequestView[]> {
  let q = deps.db.selectFrom('privacy_requests').where('org_id', '=', p.orgId);
  if (input.status === 'open') q = q.where('status', 'in', OPEN);
  else if (input.status) q = q.where('status', '=', input.status);
  const rows = await q.select(COLUMNS).orderBy('due_at').orderBy('id').limit(Math.min(input.limit ?? 100, 200)).execute();
  return rows.map((r) => view(r as Row, input.now ?? new Date()));
}

export async function readPrivacyRequest(deps: HelpdeskDeps, p: Principal, id: string, now = new Date()): Promise<PrivacyRequestView> {
  const row = await deps.db.selectFrom('privacy_requests').where('id', '=', id).where('org_id', '=', p.orgId).select(COLUMNS).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such privacy request.');
  return view(row as Row, now);
}

/** new → verified: with a verification of this customer that succeeded, or a staff check described by a reason. */
export async function verifyPrivacyRequest(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { id: string; verificationId?: string | undefined; reason?: string | undefined; now?: Date }): Promise<PrivacyRequestView> {
  const now = input.now ?? new Date();
  if (!input.verificationId && !input.reason) throw new AppError('validation_failed', 'Give the verification that succeeded, or describe how the customer’s identity was checked.');
  return deps.db.transaction().execute(async (trx) => {
    const row = await loadForUpdate(trx, p.orgId, input.id);
    if (row.status !== 'new') throw new AppError('conflict', `This request is already ${row.status}.`);
    if (input.verificationId) await checkVerification(trx, p.orgId, row.customer_id, input.verificationId, now);
    await trx
      .updateTable('privacy_requests')
      .set({ status: 'verified', verification: input.verificationId ? 'code' : 'staff', verification_id: input.verificationId ?? null, verified_by: p.userId, verified_at: now })
      .where('id', '=', row.id)
      .execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.request.verify', object: { type: 'privacy_request', id: row.id }, subjectCustomerId: row.customer_id, purpose: input.reason ?? null, result: 'success', details: { method: input.verificationId ? 'code' : 'staff' } });
    return view(await loadForUpdate(trx, p.orgId, row.id), now);
  });
}

export async function readPrivacySettings(db: Executor, orgId: string): Promise<PrivacySettings> {
  const v = (await readOrgSetting(db, orgId, SETTINGS_KEY)) as Partial<PrivacySettings> | undefined;
  const days = Number(v?.exportDays);
  return { secondApprover: v?.secondApprover === true, exportStaffNames: v?.exportStaffNames === true, exportDays: Number.isInteger(days) && days >= 1 && days <= 90 ? days : DEFAULT_EXPORT_DAYS };
}

export async function savePrivacySettings(deps: HelpdeskDeps, p: Principal, client: ClientInfo, change: Partial<PrivacySettings>): Promise<PrivacySettings> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await readPrivacySettings(trx, p.orgId);
    const settings: PrivacySettings = { ...before, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) };
    await writeOrgSetting(trx, p.orgId, SETTINGS_KEY, settings);
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'policy.privacy.change', object: { type: 'organization', id: p.orgId }, result: 'success', details: { before, after: settings } });
    return settings;
  });
}

/** Approval's options: the erasure's, and how an access export's link reaches the customer (after the commit). */
export interface ApprovalOptions extends ErasureOptions {
  deliverExport?: (link: { orgId: string; customerId: string; token: string; expiresAt: Date }) => Promise<unknown>;
}

/**
 * verified → approved. An erasure is carried out at once in the same transaction and ends `done` with its
 * certificate; an access request's export is built in the same transaction (export.ts) and the request ends `done`,
 * the link to the bundle going to the customer after the commit. With the organisation's second-approver setting
 * on, whoever recorded or verified the request cannot approve it.
 */
export async function approvePrivacyRequest(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { id: string; now?: Date }, options: ApprovalOptions = {}): Promise<PrivacyRequestView> {
  const now = input.now ?? new Date();
  let afterCommit: (() => Promise<unknown>) | undefined;
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForUpdate(trx, p.orgId, input.id);
    if (row.status === 'done' || row.status === 'rejected' || row.status === 'approved') throw new AppError('conflict', `This request is already ${row.status}.`);
    if (row.status !== 'verified') throw new AppError('conflict', 'Verify the customer’s identity before approving.');
    if (row.kind === 'erasure' && scopeOf(p, 'customers.erase') !== 'org') throw new AppError('forbidden', 'Approving an erasure needs the customers.erase permission.');
    const settings = await readPrivacySettings(trx, p.orgId);
    if (settings.secondApprover && (row.requested_by === p.userId || row.verified_by === p.userId)) {
      throw new AppError('forbidden', 'A second person must approve: you recorded or verified this request.', { extra: { secondApprover: true } });
    }
    await trx.updateTable('privacy_requests').set({ status: 'approved', decided_by: p.userId, decided_at: now }).where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.request.approve', object: { type: 'privacy_request', id: row.id }, subjectCustomerId: row.customer_id, result: 'success', details: { kind: row.kind, secondApprover: settings.secondApprover } });
    if (row.kind === 'access') {
      const built = await completeAccess(deps, trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, requestId: client.requestId, sourceIp: client.ip }, row, { now, settings, store: true, via: row.via }, options);
      const deliver = options.deliverExport;
      if (deliver && built.token && built.expiresAt) {
        const link = { orgId: p.orgId, customerId: row.customer_id, token: built.token, expiresAt: built.expiresAt };
        afterCommit = () => deliver(link);
      }
    }
    if (row.kind === 'erasure') {
      const out = await eraseForRequest(
        deps,
        trx,
        { orgId: p.orgId, actor: { type: 'user', id: p.userId }, requestId: client.requestId, sourceIp: client.ip, userId: p.userId },
        {
          id: row.id,
          orgId: p.orgId,
          customerId: row.customer_id,
          receivedAt: new Date(row.received_at),
          verification: row.verification as 'code' | 'staff' | 'policy',
          verificationId: row.verification_id,
          requestedBy: row.requested_by,
          verifiedBy: row.verified_by,
          verifiedAt: row.verified_at,
        },
        options,
      );
      afterCommit = out.afterCommit;
    }
    return view(await loadForUpdate(trx, p.orgId, row.id), now);
  });
  if (afterCommit) await afterCommit();
  return result;
}

/** Builds the access export of an approved request and marks it done, inside the approving transaction. */
async function completeAccess(
  deps: HelpdeskDeps,
  trx: Executor,
  acting: { orgId: string; actor: { type: 'user'; id: string } | { type: 'system'; id: string }; requestId?: string | null; sourceIp?: string | null },
  row: Pick<Row, 'id' | 'customer_id' | 'received_at'>,
  how: { now: Date; settings: PrivacySettings; store: boolean; via: string },
  options: ErasureOptions,
): Promise<BuiltExport> {
  const built = await buildAccessExport(deps, trx, acting, {
    requestId: row.id,
    customerId: row.customer_id,
    receivedAt: new Date(row.received_at),
    approvedAt: how.now,
    staffNames: how.settings.exportStaffNames,
    expiresAt: how.store ? new Date(how.now.getTime() + how.settings.exportDays * 86_400_000) : null,
    store: how.store,
    via: how.via,
  }, options.blobs);
  await trx.updateTable('privacy_requests').set({ status: 'done', completed_at: new Date() }).where('id', '=', row.id).execute();
  await deps.audit.append(trx, { orgId: acting.orgId, actor: acting.actor, requestId: acting.requestId ?? null, sourceIp: acting.sourceIp ?? null, action: 'privacy.request.complete', object: { type: 'privacy_request', id: row.id }, subjectCustomerId: row.customer_id, result: 'success', details: { kind: 'access', ...built.counts } });
  return built;
}

export async function rejectPrivacyRequest(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { id: string; reason: string; now?: Date }): Promise<PrivacyRequestView> {
  const now = input.now ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const row = await loadForUpdate(trx, p.orgId, input.id);
    if (!OPEN.includes(row.status) || row.status === 'approved') throw new AppError('conflict', `This request is already ${row.status}.`);
    await trx.updateTable('privacy_requests').set({ status: 'rejected', rejected_reason: input.reason, decided_by: p.userId, decided_at: now }).where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.request.reject', object: { type: 'privacy_request', id: row.id }, subjectCustomerId: row.customer_id, purpose: input.reason, result: 'success', details: { kind: row.kind } });
    return view(await loadForUpdate(trx, p.orgId, row.id), now);
  });
}

/** The certificate of a done erasure, as JSON or text; the download is audited. */
export async function readCertificate(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { id: string; format: 'json' | 'text' }): Promise<{ filename: string; bytes: Buffer; contentType: string }> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('privacy_requests').where('id', '=', input.id).where('org_id', '=', p.orgId).select(['id', 'customer_id', 'certificate']).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such privacy request.');
    if (!row.certificate) throw new AppError('conflict', 'This request has no certificate: only a completed erasure has one.');
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.certificate.read', object: { type: 'privacy_request', id: row.id }, subjectCustomerId: row.customer_id, result: 'success', details: { format: input.format } });
    const cert = row.certificate;
    return input.format === 'text'
      ? { filename: `erasure-certificate-${row.id}.txt`, bytes: Buffer.from(renderCertificateText(cert), 'utf8'), contentType: 'text/plain; charset=utf-8' }
      : { filename: `erasure-certificate-${row.id}.json`, bytes: Buffer.from(`${JSON.stringify(cert, null, 2)}\n`, 'utf8'), contentType: 'application/json' };
  });
}

/**
 * `trustdesk customers erase`: the operator, who holds the installation's keys anyway, records, verifies and
 * approves an erasure in one transaction (actor `system/cli`; the second-approver setting governs staff only).
 * An open request for the customer is closed by it.
 */
export async function eraseByOperator(deps: HelpdeskDeps, input: { orgId: string; customerId: string; now?: Date }, options: ErasureOptions = {}): Promise<ErasureCertificate> {
  const now = input.now ?? new Date();
  const actor = { type: 'system' as const, id: 'cli' };
  let afterCommit: (() => Promise<ErasureCertificate>) | undefined;
  let certificate: ErasureCertificate | undefined;
  await deps.db.transaction().execute(async (trx) => {
    const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', input.orgId).select(['id', 'merged_into']).forNoKeyUpdate().executeTakeFirst();
    if (!customer) throw new AppError('not_found', 'No such customer in this organisation.');
    if (customer.merged_into) throw new AppError('conflict', `This record was merged into customer ${customer.merged_into}: erase that one.`);
    const done = await trx.selectFrom('privacy_requests').where('org_id', '=', input.orgId).where('customer_id', '=', customer.id).where('kind', '=', 'erasure').where('status', '=', 'done').select('id').executeTakeFirst();
    if (done) throw new AppError('conflict', `This customer was already erased (request ${done.id}).`);
    // An open erasure request is the one carried out; otherwise one is recorded now.
    const open = await trx.selectFrom('privacy_requests').where('org_id', '=', input.orgId).where('customer_id', '=', customer.id).where('kind', '=', 'erasure').where('status', 'in', OPEN).select(COLUMNS).forUpdate().executeTakeFirst();
    const id = open?.id ?? randomUUID();
    if (!open) {
      await trx.insertInto('privacy_requests').values({ id, org_id: input.orgId, customer_id: customer.id, kind: 'erasure', via: 'cli', status: 'verified', verification: 'staff', verification_id: null, requested_by: null, verified_by: null, verified_at: now, decided_by: null, decided_at: null, rejected_reason: null, received_at: now, due_at: dueDate(now), completed_at: null }).execute();
      await deps.audit.append(trx, { orgId: input.orgId, actor, action: 'privacy.request.create', object: { type: 'privacy_request', id }, subjectCustomerId: customer.id, result: 'success', details: { kind: 'erasure', via: 'cli' } });
    }
    await trx.updateTable('privacy_requests').set({ status: 'approved', decided_by: null, decided_at: now, verification: open?.verification ?? 'staff', verified_at: open?.verified_at ?? now }).where('id', '=', id).execute();
    await deps.audit.append(trx, { orgId: input.orgId, actor, action: 'privacy.request.approve', object: { type: 'privacy_request', id }, subjectCustomerId: customer.id, result: 'success', details: { kind: 'erasure', via: 'cli' } });
    const out = await eraseForRequest(deps, trx, { orgId: input.orgId, actor, userId: null }, {
      id,
      orgId: input.orgId,
      customerId: customer.id,
      receivedAt: open ? new Date(open.received_at) : now,
      verification: open?.verification ?? 'staff',
      verificationId: open?.verification_id ?? null,
      requestedBy: open?.requested_by ?? null,
      verifiedBy: open?.verified_by ?? null,
      verifiedAt: open?.verified_at ?? now,
    }, options);
    certificate = out.certificate;
    afterCommit = out.afterCommit;
  });
  return afterCommit ? afterCommit() : (certificate as ErasureCertificate);
}

/** What the portal shows the customer of their own requests (no staff names or reasons). */
export interface PortalPrivacyRequestView {
  id: string;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  receivedAt: string;
  dueAt: string;
  completedAt: string | null;
}

const portalView = (r: Pick<Row, 'id' | 'kind' | 'status' | 'received_at' | 'due_at' | 'completed_at'>): PortalPrivacyRequestView => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  receivedAt: new Date(r.received_at).toISOString(),
  dueAt: new Date(r.due_at).toISOString(),
  completedAt: iso(r.completed_at),
});

/**
 * The signed-in customer asks for their data or for its erasure ("Download my data", "Delete my data"). Asking
 * again while a request of that kind is open answers the open request (`created: false`), not a duplicate: the
 * customer pressing the button twice is not a mistake to report. The customer row is locked so two presses at once
 * make one request. Staff still check the identity and approve.
 */
export async function createPortalPrivacyRequest(
  deps: HelpdeskDeps,
  customer: { orgId: string; customerId: string; ip: string; requestId: string },
  input: { kind: PrivacyRequestKind; now?: Date },
): Promise<{ request: PortalPrivacyRequestView; created: boolean }> {
  const now = input.now ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('customers').where('id', '=', customer.customerId).where('org_id', '=', customer.orgId).select(['id', 'merged_into']).forNoKeyUpdate().executeTakeFirst();
    if (!c || c.merged_into) throw new AppError('not_found', 'No such customer.');
    const open = await trx.selectFrom('privacy_requests').where('org_id', '=', customer.orgId).where('customer_id', '=', c.id).where('kind', '=', input.kind).where('status', 'in', OPEN).select(COLUMNS).executeTakeFirst();
    if (open) return { request: portalView(open as Row), created: false };
    const id = randomUUID();
    await trx
      .insertInto('privacy_requests')
      .values({ id, org_id: customer.orgId, customer_id: c.id, kind: input.kind, via: 'portal', status: 'new', verification: null, verification_id: null, requested_by: null, verified_by: null, verified_at: null, decided_by: null, decided_at: null, rejected_reason: null, received_at: now, due_at: dueDate(now), completed_at: null })
      .execute();
    await deps.audit.append(trx, { orgId: customer.orgId, actor: { type: 'customer', id: c.id }, requestId: customer.requestId, sourceIp: customer.ip, action: 'privacy.request.create', object: { type: 'privacy_request', id }, subjectCustomerId: c.id, result: 'success', details: { kind: input.kind, via: 'portal', verified: false } });
    return { request: portalView(await loadForUpdate(trx, customer.orgId, id)), created: true };
  });
}

/** The signed-in customer's own requests, newest first. */
export async function listPortalPrivacyRequests(deps: HelpdeskDeps, customer: { orgId: string; customerId: string }): Promise<PortalPrivacyRequestView[]> {
  const rows = await deps.db.selectFrom('privacy_requests').where('org_id', '=', customer.orgId).where('customer_id', '=', customer.customerId).select(COLUMNS).orderBy('received_at', 'desc').limit(20).execute();
  return rows.map((r) => portalView(r as Row));
}

/**
 * `trustdesk customers export`: the operator records and approves an access request in one transaction (actor
 * `system/cli`) and gets the bundle's bytes to write to a file; nothing is stored or mailed. An open access request
 * for the customer is the one completed.
 */
export async function exportByOperator(deps: HelpdeskDeps, input: { orgId: string; customerId: string; now?: Date }, options: ErasureOptions = {}): Promise<BuiltExport & { requestId: string }> {
  const now = input.now ?? new Date();
  const actor = { type: 'system' as const, id: 'cli' };
  return deps.db.transaction().execute(async (trx) => {
    const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', input.orgId).select(['id', 'merged_into']).executeTakeFirst();
    if (!customer) throw new AppError('not_found', 'No such customer in this organisation.');
    if (customer.merged_into) throw new AppError('conflict', `This record was merged into customer ${customer.merged_into}: export that one.`);
    const open = await trx.selectFrom('privacy_requests').where('org_id', '=', input.orgId).where('customer_id', '=', customer.id).where('kind', '=', 'access').where('status', 'in', OPEN).select(COLUMNS).forUpdate().executeTakeFirst();
    const id = open?.id ?? randomUUID();
    if (!open) {
      await trx.insertInto('privacy_requests').values({ id, org_id: input.orgId, customer_id: customer.id, kind: 'access', via: 'cli', status: 'verified', verification: 'staff', verification_id: null, requested_by: null, verified_by: null, verified_at: now, decided_by: null, decided_at: null, rejected_reason: null, received_at: now, due_at: dueDate(now), completed_at: null }).execute();
      await deps.audit.append(trx, { orgId: input.orgId, actor, action: 'privacy.request.create', object: { type: 'privacy_request', id }, subjectCustomerId: customer.id, result: 'success', details: { kind: 'access', via: 'cli' } });
    }
    await trx.updateTable('privacy_requests').set({ status: 'approved', decided_by: null, decided_at: now, verification: open?.verification ?? 'staff', verified_at: open?.verified_at ?? now }).where('id', '=', id).execute();
    await deps.audit.append(trx, { orgId: input.orgId, actor, action: 'privacy.request.approve', object: { type: 'privacy_request', id }, subjectCustomerId: customer.id, result: 'success', details: { kind: 'access', via: 'cli' } });
    const settings = await readPrivacySettings(trx, input.orgId);
    const built = await completeAccess(deps, trx, { orgId: input.orgId, actor }, { id, customer_id: customer.id, received_at: open ? new Date(open.received_at) : now }, { now, settings, store: false, via: 'cli' }, options);
    return { ...built, requestId: id };
  });
}
