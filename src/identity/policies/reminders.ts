/**
 * Attestation reminders (decision 0213), in the pattern of the training reminders (decision 0197) and through
 * the same notification machinery: for the internal version in force, each person it targets who has not
 * attested gets one "due" reminder, and one "overdue" reminder once ATTESTATION_DUE_DAYS have passed — each
 * at most once per person and version, however often the job runs and on however many instances (the
 * policy_reminders row is claimed first). In-app notification (kind policy_attestation) and email, as the
 * person's notification preferences say. Staff only.
 */
import { randomUUID } from 'node:crypto';
import { preferencesFor } from '../../helpdesk/notifications/preferences.js';
import { publishNotification } from '../../platform/realtime/events.js';
import type { ReminderDeps } from '../training/reminders.js';
import { isTargeted, dueAtOf } from './attestations.service.js';
import { inForce, type VersionRow } from './current.js';
import './schema.js';

const BATCH = 500;

export async function sendAttestationReminders(deps: ReminderDeps, now = new Date()): Promise<{ due: number; overdue: number }> {
  const sent = { due: 0, overdue: 0 };
  const versions = await deps.db.selectFrom('data_policy_versions').where('kind', '=', 'internal').where('status', '=', 'published').where('effective_at', '<=', now).selectAll().execute();
  const byOrg = new Map<string, VersionRow[]>();
  for (const v of versions) byOrg.set(v.org_id, [...(byOrg.get(v.org_id) ?? []), v]);
  for (const rows of byOrg.values()) {
    const current = inForce(rows, now);
    if (!current) continue;
    const kind = dueAtOf(current) <= now ? ('overdue' as const) : ('due' as const);
    let q = deps.db
      .selectFrom('users as u')
      .where('u.org_id', '=', current.org_id)
      .where('u.status', '=', 'active')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('policy_attestations as a').whereRef('a.user_id', '=', 'u.id').where('a.version_id', '=', current.id).select('a.user_id'))))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('policy_reminders as r').whereRef('r.user_id', '=', 'u.id').where('r.version_id', '=', current.id).where('r.kind', '=', kind).select('r.user_id'))))
      .select((eb) => ['u.id', 'u.email', eb.selectFrom('user_roles as ur').innerJoin('roles as ro', 'ro.id', 'ur.role_id').whereRef('ur.user_id', '=', 'u.id').select((e2) => e2.fn.agg<string[]>('array_agg', ['ro.key']).as('k')).as('roles')])
      .limit(BATCH);
    // Only the people the version asks, in the query itself: a batch full of others would starve them.
    if (current.audience.length) {
      q = q.where((eb) => eb.exists(eb.selectFrom('user_roles as ur').innerJoin('roles as ro', 'ro.id', 'ur.role_id').whereRef('ur.user_id', '=', 'u.id').where('ro.key', 'in', current.audience).select('ur.user_id')));
    }
    const people = await q.execute();
    for (const person of people) {
      if (!isTargeted(current.audience, person.roles ?? [])) continue;
      if (await remind(deps, current, kind, person, now)) sent[kind] += 1;
    }
  }
  return sent;
}

async function remind(deps: ReminderDeps, v: VersionRow, kind: 'due' | 'overdue', person: { id: string; email: string }, now: Date): Promise<boolean> {
  const email = await deps.db.transaction().execute(async (trx) => {
    const claimed = await trx.insertInto('policy_reminders').values({ version_id: v.id, user_id: person.id, kind, org_id: v.org_id }).onConflict((oc) => oc.columns(['version_id', 'user_id', 'kind']).doNothing()).returning('user_id').executeTakeFirst();
    if (!claimed) return null;
    if (kind === 'overdue') await trx.insertInto('policy_reminders').values({ version_id: v.id, user_id: person.id, kind: 'due', org_id: v.org_id }).onConflict((oc) => oc.columns(['version_id', 'user_id', 'kind']).doNothing()).execute();
    const pref = (await preferencesFor(trx, [person.id], 'policy_attestation')).get(person.id)!;
    if (pref.inApp) {
      await trx.insertInto('notifications').values({ id: randomUUID(), org_id: v.org_id, user_id: person.id, kind: 'policy_attestation', ticket_id: null, actor_id: null, in_app: true, email_pending: false, created_at: now, updated_at: now }).execute();
      await publishNotification(trx, { orgId: v.org_id, userId: person.id });
    }
    return pref.email;
  });
  if (email === null) return false;
  if (email) {
    const link = `${deps.publicUrl.replace(/\/$/, '')}/training/policy`;
    const subject = (kind === 'overdue' ? `Overdue: please confirm the data-handling policy "${v.title}"` : `Please read and confirm the data-handling policy "${v.title}"`).replace(/[\r\n]+/g, ' ').slice(0, 200);
    const text = `Version ${v.version} of "${v.title}" applies to you${kind === 'overdue' ? ' and your confirmation is overdue' : ''}.\n\nRead it and confirm: ${link}\n`;
    await deps.mailer.send({ to: person.email, subject, text }).catch((err: unknown) => deps.logger?.warn({ err, versionId: v.id }, 'policy reminder email failed'));
  }
  return true;
}
