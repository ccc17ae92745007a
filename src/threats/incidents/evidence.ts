/**
 * Evidence an incident links to, by id only. Every object must belong to the
 * incident's organisation: another organisation's ticket (or a missing one)
 * is refused with not_found, the same answer either way — insider alerts too.
 */
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { EvidenceKind } from '../../platform/http/schemas/incidents.js';
import '../phishing-reports/schema.js';
import '../simulations/schema.js';
import './schema.js';
import '../insider/schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws not_found unless `ref` names an object of `kind` in `orgId`. Returns the normalised ref. */
export async function assertEvidenceInOrg(trx: Executor, orgId: string, kind: EvidenceKind, ref: string): Promise<string> {
  const missing = () => new AppError('not_found', 'No such object in this organisation.', { internal: `${kind} ${ref}` });
  if (kind === 'audit_entry') {
    if (!/^\d{1,15}$/.test(ref)) throw missing();
    const row = await trx.selectFrom('audit_log').where('idx', '=', Number(ref)).where('org_id', '=', orgId).select('idx').executeTakeFirst();
    if (!row) throw missing();
    return String(Number(ref));
  }
  if (!UUID.test(ref)) throw missing();
  const id = ref.toLowerCase();
  const table = ({ insider_alert: 'insider_alerts',  ticket: 'tickets', quarantine: 'quarantine', phishing_report: 'phishing_reports', user: 'users', customer: 'customers', simulation_recipient: 'simulation_recipients' } as const)[kind];
  const row = await trx.selectFrom(table).where('id', '=', id).where('org_id', '=', orgId).select('id').executeTakeFirst();
  if (!row) throw missing();
  return id;
}

export interface EvidenceLabel {
  label: string | null;
  href: string | null;
}

/** Labels with no customer data: ticket numbers, quarantine reasons, staff names, audit actions. */
export async function labelEvidence(db: Executor, orgId: string, items: Array<{ kind: string; ref: string }>): Promise<Map<string, EvidenceLabel>> {
  const out = new Map<string, EvidenceLabel>();
  const ids = (k: string) => items.filter((i) => i.kind === k).map((i) => i.ref);
  const key = (k: string, r: string) => `${k}:${r}`;
  const tickets = ids('ticket');
  if (tickets.length) {
    for (const t of await db.selectFrom('tickets').where('org_id', '=', orgId).where('id', 'in', tickets).select(['id', 'number', 'status']).execute()) {
      out.set(key('ticket', t.id), { label: `Ticket #${t.number} (${t.status})`, href: `/tickets/${t.id}` });
    }
  }
  const quarantined = ids('quarantine');
  if (quarantined.length) {
    for (const q of await db.selectFrom('quarantine').where('org_id', '=', orgId).where('id', 'in', quarantined).select(['id', 'reason', 'status']).execute()) {
      out.set(key('quarantine', q.id), { label: `Quarantined message (${q.reason}, ${q.status})`, href: `/quarantine/${q.id}` });
    }
  }
  const reports = ids('phishing_report');
  if (reports.length) {
    for (const r of await db.selectFrom('phishing_reports').innerJoin('tickets', 'tickets.id', 'phishing_reports.ticket_id').where('phishing_reports.org_id', '=', orgId).where('phishing_reports.id', 'in', reports).select(['phishing_reports.id', 'phishing_reports.outcome', 'tickets.number']).execute()) {
      out.set(key('phishing_report', r.id), { label: `Phishing report on ticket #${r.number} (${r.outcome})`, href: '/security/phishing-reports' });
    }
  }
  const users = ids('user');
  if (users.length) {
    for (const u of await db.selectFrom('users').where('org_id', '=', orgId).where('id', 'in', users).select(['id', 'name', 'status']).execute()) {
      out.set(key('user', u.id), { label: `Staff: ${u.name} (${u.status})`, href: null });
    }
  }
  const customers = ids('customer');
  if (customers.length) {
    for (const c of await db.selectFrom('customers').where('org_id', '=', orgId).where('id', 'in', customers).select('id').execute()) {
      out.set(key('customer', c.id), { label: 'Customer record', href: null });
    }
  }
  const recipients = ids('simulation_recipient');
  if (recipients.length) {
    for (const r of await db.selectFrom('simulation_recipients').where('org_id', '=', orgId).where('id', 'in', recipients).select(['id', 'campaign_id']).execute()) {
      out.set(key('simulation_recipient', r.id), { label: 'Simulation recipient', href: `/security/simulations/${r.campaign_id}` });
    }
  }
  const entries = ids('audit_entry').map(Number);
  if (entries.length) {
    for (const e of await db.selectFrom('audit_log').where('org_id', '=', orgId).where('idx', 'in', entries).select(['idx', 'action', 'result']).execute()) {
      out.set(key('audit_entry', String(e.idx)), { label: `Audit entry ${e.idx}: ${e.action} (${e.result})`, href: '/security/audit' });
    }
  }
  for (const i of items) if (i.kind === 'insider_alert') out.set(key('insider_alert', i.ref), { label: 'Insider alert', href: null });
  return out;
}

/**
 * The breach record's counts from the linked evidence: distinct data subjects
 * (linked customers, requesters of linked tickets, customers named by linked
 * audit entries — compared as the trail's keyed subject hashes) and records
 * (linked tickets, customer records and audit entries that touched customer data).
 */
export async function countAffected(db: Executor, orgId: string, incidentId: string, subjectOf: (customerId: string) => string): Promise<{ subjects: number; records: number }> {
  const ev = await db.selectFrom('incident_evidence').where('incident_id', '=', incidentId).where('org_id', '=', orgId).select(['kind', 'ref']).execute();
  const subjects = new Set<string>();
  let records = 0;
  const customers = ev.filter((e) => e.kind === 'customer').map((e) => e.ref);
  for (const c of customers) subjects.add(subjectOf(c));
  records += customers.length;
  const tickets = ev.filter((e) => e.kind === 'ticket').map((e) => e.ref);
  if (tickets.length) {
    const rows = await db.selectFrom('tickets').where('org_id', '=', orgId).where('id', 'in', tickets).select('requester_id').execute();
    for (const r of rows) if (r.requester_id) subjects.add(subjectOf(r.requester_id));
    records += rows.length;
  }
  const entries = ev.filter((e) => e.kind === 'audit_entry').map((e) => Number(e.ref));
  if (entries.length) {
    const rows = await db
      .selectFrom('audit_log')
      .where('org_id', '=', orgId)
      .where('idx', 'in', entries)
      .select(['subject', sql<string[] | null>`details->'subjects'`.as('subjects')])
      .execute();
    for (const r of rows) {
      const named = [...(r.subject ? [r.subject] : []), ...(Array.isArray(r.subjects) ? r.subjects.filter((s): s is string => typeof s === 'string') : [])];
      for (const s of named) subjects.add(s);
      if (named.length) records += 1;
    }
  }
  return { subjects: subjects.size, records };
}
