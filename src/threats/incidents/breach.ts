/**
 * The personal-data breach record (GDPR art. 33/34): marking an incident a
 * breach sets the awareness time and the 72-hour deadline for telling the
 * supervisory authority; the record holds what that notification needs, the
 * decision whether to tell the data subjects, and when each was told. The
 * awareness time never moves once set: the clock cannot be restarted.
 */
import { AppError } from '../../platform/errors.js';
import { BREACH_DEADLINE_HOURS, type SubjectDecision } from '../../platform/http/schemas/incidents.js';
import { emitIncidentEvent, lockIncident, openBreachRecord, recordIncidentEvent, sealBreachRecord, type BreachRecord, type IncidentActor, type IncidentDeps, type IncidentView } from './incidents.service.js';

export interface BreachInput {
  awareAt?: string | undefined;
  record?: Partial<BreachRecord> | undefined;
  notifySubjects?: SubjectDecision | undefined;
  authorityNotifiedAt?: string | null | undefined;
  subjectsNotifiedAt?: string | null | undefined;
}

export function breachDeadline(awareAt: Date): Date {
  return new Date(awareAt.getTime() + BREACH_DEADLINE_HOURS * 3600_000);
}

const when = (value: string, what: string, now: Date) => {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new AppError('validation_failed', `${what} is not a date.`);
  if (d.getTime() > now.getTime() + 5 * 60_000) throw new AppError('validation_failed', `${what} cannot be in the future.`);
  return d;
};

/** Marks the incident a personal-data breach (first call) and updates its record. */
export async function saveBreachRecord(deps: IncidentDeps, a: IncidentActor, id: string, input: BreachInput, now = new Date()): Promise<void> {
  const orgId = a.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockIncident(trx, orgId, id);
    const marking = !row.breach_aware_at;
    if (!marking && input.awareAt && new Date(input.awareAt).getTime() !== new Date(row.breach_aware_at as Date).getTime()) {
      throw new AppError('conflict', 'The awareness time is set once; the 72-hour clock cannot be restarted.');
    }
    const awareAt = marking ? (input.awareAt ? when(input.awareAt, 'The awareness time', now) : now) : new Date(row.breach_aware_at as Date);
    const record: BreachRecord = { ...(await openBreachRecord(deps, trx, row)), ...(input.record ?? {}) };
    if (marking && !record.dpoContact) {
      const settings = await trx.selectFrom('incident_settings').where('org_id', '=', orgId).select('dpo_contact').executeTakeFirst();
      if (settings?.dpo_contact) record.dpoContact = settings.dpo_contact;
    }
    const authority = input.authorityNotifiedAt === undefined ? undefined : !input.authorityNotifiedAt ? null : when(input.authorityNotifiedAt, 'The authority notification time', now);
    const subjects = input.subjectsNotifiedAt === undefined ? undefined : !input.subjectsNotifiedAt ? null : when(input.subjectsNotifiedAt, 'The data subjects notification time', now);
    const decision = input.notifySubjects === undefined ? undefined : input.notifySubjects === 'undecided' ? null : input.notifySubjects === 'notify';
    if (decision !== undefined && decision !== null && !record.notifySubjectsReason.trim()) {
      throw new AppError('validation_failed', 'Give the reason for the decision about telling the data subjects.');
    }
    await trx
      .updateTable('incidents')
      .set({
        breach_aware_at: awareAt,
        breach_deadline_at: breachDeadline(awareAt),
        breach_record_enc: await sealBreachRecord(deps, trx, orgId, id, record),
        ...(decision !== undefined ? { notify_subjects: decision } : {}),
        ...(authority !== undefined ? { authority_notified_at: authority } : {}),
        ...(subjects !== undefined ? { subjects_notified_at: subjects } : {}),
      })
      .where('id', '=', id)
      .execute();
    const changed = [...Object.keys(input.record ?? {}), ...(input.notifySubjects !== undefined ? ['notifySubjects'] : []), ...(authority !== undefined ? ['authorityNotifiedAt'] : []), ...(subjects !== undefined ? ['subjectsNotifiedAt'] : [])];
    await recordIncidentEvent(deps, trx, a, {
      incidentId: id,
      kind: 'breach',
      action: marking ? 'incident.breach.mark' : 'incident.breach.update',
      detail: { ...(marking ? { awareAt: awareAt.toISOString(), deadlineAt: breachDeadline(awareAt).toISOString() } : {}), changed },
    });
    await emitIncidentEvent(deps, trx, id, 'incident.updated', marking ? 'breach' : 'breach_record');
  });
}

const LABELS: Array<[keyof BreachRecord, string]> = [
  ['nature', 'Nature of the breach'],
  ['subjectCategories', 'Categories of data subjects'],
  ['approxSubjects', 'Approximate number of data subjects'],
  ['recordCategories', 'Categories of personal data records'],
  ['approxRecords', 'Approximate number of records'],
  ['consequences', 'Likely consequences'],
  ['measures', 'Measures taken or proposed'],
  ['dpoContact', 'Data protection officer or other contact point'],
];

/** The record as a supervisory authority's form asks for it, from an incident view with a breach. */
export function breachRecordDocument(view: IncidentView) {
  if (!view.breach) throw new AppError('conflict', 'This incident is not marked as a personal-data breach.');
  const b = view.breach;
  return {
    format: 'trustdesk-breach-record/1',
    incident: { id: view.id, number: view.number, title: view.title, type: view.type, severity: view.severity, status: view.status },
    awareAt: b.awareAt,
    deadlineAt: b.deadlineAt,
    overdue: b.overdue,
    ...b.record,
    computedFromEvidence: b.computed,
    notifySubjects: b.notifySubjects,
    authorityNotifiedAt: b.authorityNotifiedAt,
    subjectsNotifiedAt: b.subjectsNotifiedAt,
  };
}

const show = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));

export function breachRecordMarkdown(view: IncidentView): string {
  const d = breachRecordDocument(view);
  const rec = d as unknown as Record<string, unknown>;
  const lines = [
    `# Personal-data breach record — incident ${d.incident.number}`,
    '',
    `**${d.incident.title}** (${d.incident.type}, ${d.incident.severity}, ${d.incident.status})`,
    '',
    `- Aware since: ${d.awareAt}`,
    `- Authority deadline (72 h): ${d.deadlineAt}${d.overdue ? ' — OVERDUE' : ''}`,
    `- Authority notified: ${show(d.authorityNotifiedAt)}`,
    '',
    ...LABELS.flatMap(([k, label]) => [`## ${label}`, '', show(rec[k]), '']),
    `Counted from the linked evidence: ${d.computedFromEvidence.subjects} data subjects, ${d.computedFromEvidence.records} records.`,
    '',
    '## Data subjects',
    '',
    `- Decision: ${d.notifySubjects === 'undecided' ? 'not decided' : d.notifySubjects === 'notify' ? 'notify' : 'do not notify'}`,
    `- Reason: ${show(d.notifySubjectsReason)}`,
    `- Notified: ${show(d.subjectsNotifiedAt)}`,
    '',
  ];
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A printable page (no script, no external resource; served under a sandboxing CSP). */
export function breachRecordHtml(view: IncidentView): string {
  const d = breachRecordDocument(view);
  const rec = d as unknown as Record<string, unknown>;
  const row = (k: string, v: unknown) => `<tr><th scope="row">${esc(k)}</th><td>${esc(show(v)).replace(/\n/g, '<br>')}</td></tr>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Breach record — incident ${d.incident.number}</title></head><body>
<h1>Personal-data breach record — incident ${d.incident.number}</h1>
<p><strong>${esc(d.incident.title)}</strong> (${esc(d.incident.type)}, ${esc(d.incident.severity)}, ${esc(d.incident.status)})</p>
<table>
${row('Aware since', d.awareAt)}
${row('Authority deadline (72 h)', `${d.deadlineAt}${d.overdue ? ' — OVERDUE' : ''}`)}
${row('Authority notified', d.authorityNotifiedAt)}
${LABELS.map(([k, label]) => row(label, rec[k])).join('\n')}
${row('Counted from the linked evidence', `${d.computedFromEvidence.subjects} data subjects, ${d.computedFromEvidence.records} records`)}
${row('Notify data subjects', d.notifySubjects === 'undecided' ? 'not decided' : d.notifySubjects === 'notify' ? 'yes' : 'no')}
${row('Reason', d.notifySubjectsReason)}
${row('Data subjects notified', d.subjectsNotifiedAt)}
</table></body></html>
`;
}
