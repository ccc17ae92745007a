/**
 * Security incidents (decision 0195): opened by hand or from a phishing report,
 * a quarantined message, a failed simulation or an insider alert; a status that
 * moves only along INCIDENT_TRANSITIONS with a reason; an owner who may manage
 * incidents; a timeline; evidence linked by id within the organisation. Every
 * change commits with its audit entry and its incident.* webhook event.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Principal } from '../../identity/auth/access.js';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import {
  BREACH_DEADLINE_HOURS,
  INCIDENT_TRANSITIONS,
  type EvidenceKind,
  type IncidentEventKind,
  type IncidentSeverity,
  type IncidentSourceKind,
  type IncidentStatus,
  type IncidentType,
} from '../../platform/http/schemas/incidents.js';
import { assertEvidenceInOrg, countAffected, labelEvidence } from './evidence.js';
import '../phishing-reports/schema.js';
import '../simulations/schema.js';
import './schema.js';
import { linkAlertToIncident } from '../insider/insider.service.js';

export interface IncidentDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
  /** Links in hand-off mail and webhook events point here (no trailing slash). */
  publicUrl: string;
}

/** Who acts: a staff member through the API, or the system (an insider alert opening an incident). */
export interface IncidentActor {
  principal: Principal;
  client: ClientInfo;
}

const owner = (orgId: string) => ({ type: 'organization' as const, id: orgId });
const titleField = (id: string) => ({ table: 'incidents', column: 'title_enc', rowId: id });
const breachField = (id: string) => ({ table: 'incidents', column: 'breach_record_enc', rowId: id });
const textField = (id: string) => ({ table: 'incident_events', column: 'text_enc', rowId: id });
const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function auditActor(a: IncidentActor) {
  const p = a.principal;
  return {
    orgId: p.orgId,
    actor: p.kind === 'token' && p.tokenId ? { type: 'token' as const, id: p.tokenId } : { type: 'user' as const, id: p.userId },
    requestId: a.client.requestId,
    sourceIp: a.client.ip,
  };
}

/** Appends to the timeline (and, for every kind, the audit trail) inside the caller's transaction. */
export async function recordIncidentEvent(
  deps: Pick<IncidentDeps, 'keyring' | 'audit'>,
  trx: Executor,
  a: IncidentActor,
  input: { incidentId: string; kind: IncidentEventKind; action: string; detail?: Record<string, unknown>; text?: string | null; purpose?: string | null; subjectCustomerId?: string | null },
): Promise<void> {
  const id = randomUUID();
  const text_enc = input.text ? await deps.keyring.encrypt(owner(a.principal.orgId), textField(id), input.text, trx) : null;
  await trx
    .insertInto('incident_events')
    .values({ id, org_id: a.principal.orgId, incident_id: input.incidentId, kind: input.kind, actor_id: a.principal.userId, detail: input.detail ? JSON.stringify(input.detail) : null, text_enc })
    .execute();
  await trx.updateTable('incidents').set({ updated_at: new Date() }).where('id', '=', input.incidentId).execute();
  await deps.audit.append(trx, {
    ...auditActor(a),
    action: input.action,
    object: { type: 'incident', id: input.incidentId },
    subjectCustomerId: input.subjectCustomerId ?? null,
    purpose: input.purpose ?? null,
    result: 'success',
    details: input.detail ?? null,
  });
}

/** Queues incident.created / incident.updated for the organisation's webhooks, in the changing transaction. */
export async function emitIncidentEvent(deps: Pick<IncidentDeps, 'publicUrl'>, trx: Executor, incidentId: string, type: 'incident.created' | 'incident.updated', change: string): Promise<void> {
  const row = await trx.selectFrom('incidents').where('id', '=', incidentId).select(['org_id', 'number', 'type', 'severity', 'status', 'breach_deadline_at']).executeTakeFirstOrThrow();
  await enqueueWebhookEvent(trx, {
    orgId: row.org_id,
    type,
    data: { incidentId, number: row.number, type: row.type, severity: row.severity, status: row.status, change, breachDeadlineAt: iso(row.breach_deadline_at), url: `${deps.publicUrl}/incidents/${incidentId}` },
  });
}

/** An incident of the caller's organisation, locked for change; not_found otherwise (another org's looks the same). */
export async function lockIncident(trx: Executor, orgId: string, id: string) {
  const row = await trx.selectFrom('incidents').where('id', '=', id).where('org_id', '=', orgId).selectAll().forUpdate().executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such incident.');
  return row;
}

/** An owner must be an active staff member of the organisation who may manage incidents. */
async function assertOwner(trx: Executor, orgId: string, userId: string): Promise<void> {
  const row = await trx
    .selectFrom('users')
    .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
    .where('users.id', '=', userId)
    .where('users.org_id', '=', orgId)
    .where('users.status', '=', 'active')
    .where('role_permissions.permission', '=', 'incidents.manage')
    .select('users.id')
    .executeTakeFirst();
  if (!row) throw new AppError('validation_failed', 'The owner must be an active staff member who may manage incidents.');
}

/** What a source says about a new incident: its type, a title with no customer data, and the evidence it brings. */
async function fromSource(trx: Executor, orgId: string, source: { kind: IncidentSourceKind; id: string }): Promise<{ type: IncidentType; title: string; evidence: Array<{ kind: EvidenceKind; ref: string }> }> {
  const missing = () => new AppError('not_found', 'No such source in this organisation.');
  switch (source.kind) {
    case 'phishing_report': {
      const r = await trx.selectFrom('phishing_reports').innerJoin('tickets', 'tickets.id', 'phishing_reports.ticket_id').where('phishing_reports.id', '=', source.id).where('phishing_reports.org_id', '=', orgId)
        .select(['phishing_reports.id', 'phishing_reports.ticket_id', 'phishing_reports.quarantine_id', 'phishing_reports.reporter_id', 'tickets.number']).executeTakeFirst();
      if (!r) throw missing();
      return {
        type: 'phishing_reported',
        title: `Phishing reported on ticket #${r.number}`,
        evidence: [{ kind: 'phishing_report', ref: r.id }, { kind: 'ticket', ref: r.ticket_id }, { kind: 'quarantine', ref: r.quarantine_id }, { kind: 'user', ref: r.reporter_id }],
      };
    }
    case 'quarantine': {
      const q = await trx.selectFrom('quarantine').where('id', '=', source.id).where('org_id', '=', orgId).select(['id', 'reason']).executeTakeFirst();
      if (!q) throw missing();
      return { type: q.reason === 'reported' || q.reason === 'phishing' ? 'phishing_reported' : 'other', title: `Quarantined message (${q.reason})`, evidence: [{ kind: 'quarantine', ref: q.id }] };
    }
    case 'simulation': {
      // A recipient who clicked, opened the attachment or entered data in a simulation.
      const r = await trx.selectFrom('simulation_recipients').innerJoin('users', 'users.id', 'simulation_recipients.user_id').where('simulation_recipients.id', '=', source.id).where('simulation_recipients.org_id', '=', orgId)
        .select(['simulation_recipients.id', 'simulation_recipients.user_id', 'simulation_recipients.ticket_id', 'users.name']).executeTakeFirst();
      if (!r) throw missing();
      const failed = await trx.selectFrom('simulation_events').where('recipient_id', '=', r.id).where('type', 'in', ['clicked', 'attachment_opened', 'data_entered']).where('discounted_reason', 'is', null).select('type').execute();
      if (failed.length === 0) throw new AppError('conflict', 'This recipient neither clicked, opened the attachment nor entered data; there is nothing to contain.');
      const entered = failed.some((f) => f.type === 'data_entered');
      const opened = failed.some((f) => f.type === 'attachment_opened');
      return {
        type: 'phishing_clicked',
        title: `Simulation: ${r.name} ${entered ? 'entered data' : opened ? 'opened the attachment' : 'clicked'}`,
        evidence: [{ kind: 'simulation_recipient', ref: r.id }, { kind: 'user', ref: r.user_id }, ...(r.ticket_id ? [{ kind: 'ticket' as const, ref: r.ticket_id }] : [])],
      };
    }
    case 'insider_alert':
      return { type: 'insider_alert', title: 'Insider alert', evidence: [{ kind: 'insider_alert', ref: source.id.toLowerCase() }] };
    case 'manual':
      throw new AppError('validation_failed', 'A manual incident has no source object.');
  }
}

export interface CreateIncidentInput {
  type?: IncidentType | undefined;
  severity?: IncidentSeverity | undefined;
  title?: string | undefined;
  ownerId?: string | undefined;
  source?: { kind: IncidentSourceKind; id: string } | undefined;
  evidence?: Array<{ kind: EvidenceKind; ref: string }> | undefined;
}

/**
 * Opens an incident. With a source, the type, title and evidence are filled
 * from it, and a second request for the same open source returns the incident
 * already open (one click twice opens one incident). Insider alerts call this
 * with `source: { kind: 'insider_alert', id }`.
 */
export async function createIncident(deps: IncidentDeps, a: IncidentActor, input: CreateIncidentInput): Promise<{ id: string; created: boolean }> {
  const orgId = a.principal.orgId;
  return deps.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`incidents:${orgId}`}))`.execute(trx);
    const source = input.source && input.source.kind !== 'manual' ? input.source : undefined;
    if (source) {
      const open = await trx.selectFrom('incidents').where('org_id', '=', orgId).where('source_kind', '=', source.kind).where('source_id', '=', source.id).where('status', '<>', 'resolved').select('id').executeTakeFirst();
      if (open) return { id: open.id, created: false };
    }
    const filled = source ? await fromSource(trx, orgId, source) : undefined;
    const type = input.type ?? filled?.type;
    if (!type) throw new AppError('validation_failed', 'Choose the incident type.');
    const title = input.title ?? filled?.title;
    if (!title) throw new AppError('validation_failed', 'Give the incident a title.');
    const ownerId = input.ownerId ?? (a.principal.kind === 'session' ? a.principal.userId : undefined);
    if (ownerId) await assertOwner(trx, orgId, ownerId);
    const evidence: Array<{ kind: EvidenceKind; ref: string }> = [];
    for (const e of [...(filled?.evidence ?? []), ...(input.evidence ?? [])]) {
      const ref = await assertEvidenceInOrg(trx, orgId, e.kind, e.ref);
      if (!evidence.some((x) => x.kind === e.kind && x.ref === ref)) evidence.push({ kind: e.kind, ref });
    }
    const last = await trx.selectFrom('incidents').where('org_id', '=', orgId).select((eb) => eb.fn.max('number').as('n')).executeTakeFirst();
    const id = randomUUID();
    await trx
      .insertInto('incidents')
      .values({
        id,
        org_id: orgId,
        number: Number(last?.n ?? 0) + 1,
        title_enc: await deps.keyring.encrypt(owner(orgId), titleField(id), title, trx),
        type,
        severity: input.severity ?? 'medium',
        owner_id: ownerId ?? null,
        source_kind: source?.kind ?? 'manual',
        source_id: source?.id.toLowerCase() ?? null,
        created_by: a.principal.userId,
        updated_at: new Date(),
      })
      .execute();
    for (const e of evidence) await trx.insertInto('incident_evidence').values({ id: randomUUID(), org_id: orgId, incident_id: id, kind: e.kind, ref: e.ref, added_by: a.principal.userId }).execute();
    // The alert points back at its incident (the alert page links it instead of offering to open another).
    if (source?.kind === 'insider_alert') await linkAlertToIncident(trx, orgId, source.id.toLowerCase(), id);
    await recordIncidentEvent(deps, trx, a, {
      incidentId: id,
      kind: 'created',
      action: 'incident.create',
      detail: { type, severity: input.severity ?? 'medium', source: source?.kind ?? 'manual', ...(source ? { sourceId: source.id } : {}), evidence: evidence.length },
    });
    await emitIncidentEvent(deps, trx, id, 'incident.created', 'created');
    return { id, created: true };
  });
}

export interface IncidentFilter {
  status?: IncidentStatus | undefined;
  severity?: IncidentSeverity | undefined;
  type?: IncidentType | undefined;
  limit?: number | undefined;
}

async function summaries(deps: IncidentDeps, exec: Executor, orgId: string, rows: Array<Awaited<ReturnType<typeof lockIncident>>>) {
  const owners = [...new Set(rows.map((r) => r.owner_id).filter((x): x is string => Boolean(x)))];
  const names = new Map((owners.length ? await exec.selectFrom('users').where('org_id', '=', orgId).where('id', 'in', owners).select(['id', 'name']).execute() : []).map((u) => [u.id, u.name]));
  const out = [];
  for (const r of rows) {
    out.push({
      id: r.id,
      number: r.number,
      title: await deps.keyring.decrypt(titleField(r.id), r.title_enc, exec),
      type: r.type,
      severity: r.severity,
      status: r.status,
      ownerId: r.owner_id,
      ownerName: r.owner_id ? (names.get(r.owner_id) ?? null) : null,
      sourceKind: r.source_kind,
      sourceId: r.source_id,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      breachDeadlineAt: iso(r.breach_deadline_at),
      authorityNotifiedAt: iso(r.authority_notified_at),
    });
  }
  return out;
}

export async function listIncidents(deps: IncidentDeps, a: IncidentActor, filter: IncidentFilter) {
  const orgId = a.principal.orgId;
  let q = deps.db.selectFrom('incidents').where('org_id', '=', orgId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.severity) q = q.where('severity', '=', filter.severity);
  if (filter.type) q = q.where('type', '=', filter.type);
  const rows = await q.selectAll().orderBy('created_at', 'desc').limit(Math.min(filter.limit ?? 100, 200)).execute();
  await deps.audit.record({ ...auditActor(a), action: 'incident.list', result: 'success', details: { count: rows.length, ...filter } });
  return summaries(deps, deps.db, orgId, rows);
}

export interface BreachRecord {
  nature: string;
  subjectCategories: string;
  approxSubjects: number | null;
  recordCategories: string;
  approxRecords: number | null;
  consequences: string;
  measures: string;
  dpoContact: string;
  notifySubjectsReason: string;
}

export const EMPTY_BREACH_RECORD: BreachRecord = { nature: '', subjectCategories: '', approxSubjects: null, recordCategories: '', approxRecords: null, consequences: '', measures: '', dpoContact: '', notifySubjectsReason: '' };

export async function openBreachRecord(deps: Pick<IncidentDeps, 'keyring'>, exec: Executor, row: { id: string; breach_record_enc: Uint8Array | null }): Promise<BreachRecord> {
  if (!row.breach_record_enc) return { ...EMPTY_BREACH_RECORD };
  return { ...EMPTY_BREACH_RECORD, ...(JSON.parse(await deps.keyring.decrypt(breachField(row.id), row.breach_record_enc, exec)) as Partial<BreachRecord>) };
}

export function sealBreachRecord(deps: Pick<IncidentDeps, 'keyring'>, trx: Executor, orgId: string, id: string, record: BreachRecord): Promise<Uint8Array> {
  return deps.keyring.encrypt(owner(orgId), breachField(id), JSON.stringify(record), trx);
}

/** The whole incident as its reader sees it: evidence with labels, the timeline with notes, the breach record. */
export async function loadIncident(deps: IncidentDeps, exec: Executor, orgId: string, id: string, now = new Date()) {
  const row = await exec.selectFrom('incidents').where('id', '=', id).where('org_id', '=', orgId).selectAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such incident.');
  const [summary] = await summaries(deps, exec, orgId, [row]);
  const evidenceRows = await exec.selectFrom('incident_evidence').where('incident_id', '=', id).where('org_id', '=', orgId).select(['id', 'kind', 'ref', 'added_at']).orderBy('added_at').orderBy('id').execute();
  const labels = await labelEvidence(exec, orgId, evidenceRows);
  const events = await exec.selectFrom('incident_events').leftJoin('users', 'users.id', 'incident_events.actor_id').where('incident_events.incident_id', '=', id).where('incident_events.org_id', '=', orgId)
    .select(['incident_events.id', 'incident_events.kind', 'incident_events.created_at', 'incident_events.actor_id', 'users.name', 'incident_events.detail', 'incident_events.text_enc'])
    .orderBy('incident_events.created_at').orderBy('incident_events.id').execute();
  const timeline = [];
  for (const e of events) {
    timeline.push({
      id: e.id,
      kind: e.kind,
      at: new Date(e.created_at).toISOString(),
      actorId: e.actor_id,
      actorName: e.name ?? null,
      detail: e.detail ?? null,
      text: e.text_enc ? await deps.keyring.decrypt(textField(e.id), e.text_enc, exec) : null,
    });
  }
  let breach = null;
  if (row.breach_aware_at && row.breach_deadline_at) {
    const deadline = new Date(row.breach_deadline_at);
    breach = {
      awareAt: new Date(row.breach_aware_at).toISOString(),
      deadlineAt: deadline.toISOString(),
      overdue: !row.authority_notified_at && now.getTime() > deadline.getTime(),
      record: await openBreachRecord(deps, exec, row),
      notifySubjects: (row.notify_subjects === null ? 'undecided' : row.notify_subjects ? 'notify' : 'do_not_notify') as 'undecided' | 'notify' | 'do_not_notify',
      authorityNotifiedAt: iso(row.authority_notified_at),
      subjectsNotifiedAt: iso(row.subjects_notified_at),
      computed: await countAffected(exec, orgId, id, (c) => deps.audit.subject(c)),
    };
  }
  return {
    ...(summary as NonNullable<typeof summary>),
    resolvedAt: iso(row.resolved_at),
    handedOffAt: iso(row.handed_off_at),
    evidence: evidenceRows.map((e) => ({ id: e.id, kind: e.kind, ref: e.ref, label: labels.get(`${e.kind}:${e.ref}`)?.label ?? null, href: labels.get(`${e.kind}:${e.ref}`)?.href ?? null, addedAt: new Date(e.added_at).toISOString() })),
    timeline,
    breach,
    transitions: [...INCIDENT_TRANSITIONS[row.status]],
  };
}

export type IncidentView = Awaited<ReturnType<typeof loadIncident>>;

/** The audited read of one incident (its notes may name customers). */
export async function readIncident(deps: IncidentDeps, a: IncidentActor, id: string, now = new Date()): Promise<IncidentView> {
  const view = await loadIncident(deps, deps.db, a.principal.orgId, id, now);
  await deps.audit.record({ ...auditActor(a), action: 'incident.read', object: { type: 'incident', id }, result: 'success' });
  return view;
}

export async function updateIncident(deps: IncidentDeps, a: IncidentActor, id: string, input: { title?: string | undefined; type?: IncidentType | undefined; severity?: IncidentSeverity | undefined; ownerId?: string | null | undefined }): Promise<void> {
  const orgId = a.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockIncident(trx, orgId, id);
    const changes: Record<string, unknown> = {};
    if (input.type !== undefined && input.type !== row.type) changes.type = { from: row.type, to: input.type };
    if (input.severity !== undefined && input.severity !== row.severity) changes.severity = { from: row.severity, to: input.severity };
    if (input.ownerId !== undefined && input.ownerId !== row.owner_id) {
      if (input.ownerId) await assertOwner(trx, orgId, input.ownerId);
      changes.owner = { from: row.owner_id, to: input.ownerId };
    }
    if (input.title !== undefined) changes.title = true;
    if (Object.keys(changes).length === 0) return;
    await trx
      .updateTable('incidents')
      .set({
        ...(input.type !== undefined ? { type: input.type } : {}),
        ...(input.severity !== undefined ? { severity: input.severity } : {}),
        ...(input.ownerId !== undefined ? { owner_id: input.ownerId } : {}),
        ...(input.title !== undefined ? { title_enc: await deps.keyring.encrypt(owner(orgId), titleField(id), input.title, trx) } : {}),
      })
      .where('id', '=', id)
      .execute();
    await recordIncidentEvent(deps, trx, a, { incidentId: id, kind: 'changed', action: 'incident.update', detail: changes });
    await emitIncidentEvent(deps, trx, id, 'incident.updated', Object.keys(changes).join(','));
  });
}

export async function addIncidentNote(deps: IncidentDeps, a: IncidentActor, id: string, text: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await lockIncident(trx, a.principal.orgId, id);
    await recordIncidentEvent(deps, trx, a, { incidentId: id, kind: 'note', action: 'incident.note', text, detail: { length: text.length } });
  });
}

/** Moves the status along INCIDENT_TRANSITIONS; anything else is a conflict. Resolved → triage reopens. */
export async function transitionIncident(deps: IncidentDeps, a: IncidentActor, id: string, input: { to: IncidentStatus; reason: string }, now = new Date()): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockIncident(trx, a.principal.orgId, id);
    if (!INCIDENT_TRANSITIONS[row.status].includes(input.to)) throw new AppError('conflict', `An incident cannot go from ${row.status} to ${input.to}.`);
    await trx.updateTable('incidents').set({ status: input.to, resolved_at: input.to === 'resolved' ? now : null }).where('id', '=', id).execute();
    const reopened = row.status === 'resolved';
    await recordIncidentEvent(deps, trx, a, { incidentId: id, kind: 'status', action: reopened ? 'incident.reopen' : 'incident.transition', detail: { from: row.status, to: input.to }, text: input.reason, purpose: input.reason });
    await emitIncidentEvent(deps, trx, id, 'incident.updated', `status:${input.to}`);
  });
}

export async function addIncidentEvidence(deps: IncidentDeps, a: IncidentActor, id: string, input: { kind: EvidenceKind; ref: string }): Promise<void> {
  const orgId = a.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    await lockIncident(trx, orgId, id);
    const ref = await assertEvidenceInOrg(trx, orgId, input.kind, input.ref);
    const inserted = await trx.insertInto('incident_evidence').values({ id: randomUUID(), org_id: orgId, incident_id: id, kind: input.kind, ref, added_by: a.principal.userId }).onConflict((oc) => oc.columns(['incident_id', 'kind', 'ref']).doNothing()).returning('id').executeTakeFirst();
    if (!inserted) throw new AppError('conflict', 'This evidence is already linked.');
    await recordIncidentEvent(deps, trx, a, { incidentId: id, kind: 'evidence', action: 'incident.evidence.add', detail: { kind: input.kind, ref } });
    await emitIncidentEvent(deps, trx, id, 'incident.updated', 'evidence');
  });
}

export { BREACH_DEADLINE_HOURS };
