/**
 * Hand-off to IT: the organisation's IT address (incident settings) gets a
 * transactional mail with the incident's number, type, severity, status, the
 * breach deadline and a link — never notes or customer data — and an
 * incident.updated webhook event (signed by the webhook queue) says the same
 * to IT's tools. The hand-off is on the timeline and in the audit trail.
 */
import type { Mailer } from '../../platform/notify/mailer.js';
import { AppError } from '../../platform/errors.js';
import { emitIncidentEvent, lockIncident, recordIncidentEvent, type IncidentActor, type IncidentDeps } from './incidents.service.js';

export interface IncidentSettingsView {
  itEmail: string | null;
  dpoContact: string | null;
}

export async function readIncidentSettings(deps: Pick<IncidentDeps, 'db'>, orgId: string): Promise<IncidentSettingsView> {
  const row = await deps.db.selectFrom('incident_settings').where('org_id', '=', orgId).select(['it_email', 'dpo_contact']).executeTakeFirst();
  return { itEmail: row?.it_email ?? null, dpoContact: row?.dpo_contact ?? null };
}

export async function saveIncidentSettings(deps: IncidentDeps, a: IncidentActor, input: IncidentSettingsView): Promise<IncidentSettingsView> {
  const orgId = a.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('incident_settings')
      .values({ org_id: orgId, it_email: input.itEmail, dpo_contact: input.dpoContact, updated_at: new Date() })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ it_email: input.itEmail, dpo_contact: input.dpoContact, updated_at: new Date() }))
      .execute();
    await deps.audit.append(trx, { orgId, actor: { type: 'user', id: a.principal.userId }, action: 'incident.settings.change', result: 'success', requestId: a.client.requestId, sourceIp: a.client.ip, details: { itEmail: input.itEmail !== null, dpoContact: input.dpoContact !== null } });
  });
  return input;
}

export async function handOffIncident(deps: IncidentDeps & { mailer: Mailer }, a: IncidentActor, id: string, now = new Date()): Promise<{ emailedTo: string | null; webhookQueued: boolean }> {
  const orgId = a.principal.orgId;
  const settings = await readIncidentSettings(deps, orgId);
  const row = await deps.db.transaction().execute(async (trx) => {
    const r = await lockIncident(trx, orgId, id);
    await trx.updateTable('incidents').set({ handed_off_at: now }).where('id', '=', id).execute();
    await recordIncidentEvent(deps, trx, a, { incidentId: id, kind: 'handoff', action: 'incident.handoff', detail: { email: settings.itEmail !== null, webhook: true } });
    await emitIncidentEvent(deps, trx, id, 'incident.updated', 'handoff');
    return r;
  });
  if (settings.itEmail) {
    const lines = [
      `Security incident ${row.number} has been handed to IT.`,
      '',
      `Type: ${row.type}`,
      `Severity: ${row.severity}`,
      `Status: ${row.status}`,
      ...(row.breach_deadline_at ? [`Personal-data breach: the supervisory authority must be told by ${new Date(row.breach_deadline_at).toISOString()}`] : []),
      '',
      `Open it (sign-in required): ${deps.publicUrl}/incidents/${id}`,
      'The evidence bundle is on that page; check it with `trustdesk audit verify --bundle DIR`.',
    ];
    try {
      await deps.mailer.send({ to: settings.itEmail, subject: `[Security incident ${row.number}] ${row.severity} ${row.type}`, text: lines.join('\n') });
    } catch (err) {
      throw new AppError('unavailable', 'The hand-off is recorded and the webhook queued, but the mail to IT could not be sent.', { cause: err });
    }
  }
  return { emailedTo: settings.itEmail, webhookQueued: true };
}
