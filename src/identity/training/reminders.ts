/**
 * Training reminders (decision 0197): an open assignment due within DUE_SOON_DAYS gets one "due soon"
 * reminder, an overdue one gets one "overdue" reminder — each at most once per assignment, however often
 * the job runs and on however many instances (the training_reminders row is claimed first; a second claim
 * finds it taken). A reminder is an in-app notification (kind training_due, no ticket) and an email through
 * the transactional mailer, each as the person's notification preferences say. The email names the module
 * and the date and links to the Training page; it goes to staff only, never to a customer.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/schema.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import { publishNotification } from '../../platform/realtime/events.js';
import { preferencesFor } from '../../helpdesk/notifications/preferences.js';
import './schema.js';

export const DUE_SOON_DAYS = 3;
const DAY_MS = 86_400_000;
/** Per run: a large backlog (a first start after an outage) is worked through over a few runs. */
const BATCH = 500;

export interface ReminderDeps {
  db: Kysely<Database>;
  mailer: Mailer;
  publicUrl: string;
  logger?: Pick<Logger, 'warn'> | undefined;
}

type Kind = 'due_soon' | 'overdue';

/** Sends the reminders that are due now; returns how many of each kind were sent. */
export async function sendTrainingReminders(deps: ReminderDeps, now = new Date()): Promise<Record<Kind, number>> {
  const sent: Record<Kind, number> = { due_soon: 0, overdue: 0 };
  for (const kind of ['overdue', 'due_soon'] as const) {
    let q = deps.db
      .selectFrom('training_assignments as a')
      .innerJoin('users as u', 'u.id', 'a.user_id')
      .innerJoin('training_modules as m', 'm.id', 'a.module_id')
      .where('a.status', '=', 'assigned')
      .where('u.status', '=', 'active')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('training_reminders as r').whereRef('r.assignment_id', '=', 'a.id').where('r.kind', '=', kind).select('r.assignment_id'))))
      .select(['a.id', 'a.org_id', 'a.user_id', 'a.due_at', 'u.email', 'm.title'])
      .orderBy('a.due_at')
      .limit(BATCH);
    q = kind === 'overdue' ? q.where('a.due_at', '<=', now) : q.where('a.due_at', '>', now).where('a.due_at', '<=', new Date(now.getTime() + DUE_SOON_DAYS * DAY_MS));
    for (const a of await q.execute()) {
      // An assignment overdue before any "due soon" reminder went out gets the overdue one only.
      if (await remind(deps, kind, a, now)) sent[kind] += 1;
    }
  }
  return sent;
}

async function remind(deps: ReminderDeps, kind: Kind, a: { id: string; org_id: string; user_id: string; due_at: Date; email: string; title: string }, now: Date): Promise<boolean> {
  const email = await deps.db.transaction().execute(async (trx) => {
    const claimed = await trx.insertInto('training_reminders').values({ assignment_id: a.id, kind, org_id: a.org_id }).onConflict((oc) => oc.columns(['assignment_id', 'kind']).doNothing()).returning('assignment_id').executeTakeFirst();
    if (!claimed) return null;
    if (kind === 'overdue') {
      // The "due soon" reminder is no longer worth sending once it is overdue.
      await trx.insertInto('training_reminders').values({ assignment_id: a.id, kind: 'due_soon', org_id: a.org_id }).onConflict((oc) => oc.columns(['assignment_id', 'kind']).doNothing()).execute();
    }
    const pref = (await preferencesFor(trx, [a.user_id], 'training_due')).get(a.user_id)!;
    if (pref.inApp) {
      await trx.insertInto('notifications').values({ id: randomUUID(), org_id: a.org_id, user_id: a.user_id, kind: 'training_due', ticket_id: null, actor_id: null, in_app: true, email_pending: false, created_at: now, updated_at: now }).execute();
      await publishNotification(trx, { orgId: a.org_id, userId: a.user_id });
    }
    return pref.email;
  });
  if (email === null) return false;
  if (email) {
    const due = new Date(a.due_at).toISOString().slice(0, 10);
    const link = `${deps.publicUrl.replace(/\/$/, '')}/training`;
    const subject = kind === 'overdue' ? `Security training overdue: ${a.title}` : `Security training due by ${due}: ${a.title}`;
    const text = kind === 'overdue'
      ? `Your security training "${a.title}" was due on ${due} and is not completed yet.\n\nIt takes a few minutes: ${link}\n`
      : `Your security training "${a.title}" is due by ${due}.\n\nIt takes a few minutes: ${link}\n`;
    // At most one: a failed send is logged, not retried (the in-app reminder stays).
    await deps.mailer.send({ to: a.email, subject: subject.replace(/[\r\n]+/g, ' ').slice(0, 200), text }).catch((err: unknown) => deps.logger?.warn({ err, assignmentId: a.id }, 'training reminder email failed'));
  }
  return true;
}
