import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { buildOrg, buildUser, type TestOrg } from '../auth/testing.js';
import { assignModule } from './assignments.service.js';
import { syncShippedModules } from './modules.service.js';
import { DUE_SOON_DAYS, sendTrainingReminders } from './reminders.js';

const DAY = 86_400_000;

describe.each(testDatabaseKinds)('training reminders on %s', (kind) => {
  let services: Services;
  let org: TestOrg;
  const now = new Date('2026-06-01T09:00:00Z');
  const mailer = () => services.mailer as MemoryMailer;
  const deps = () => ({ db: services.database.db, mailer: services.mailer, publicUrl: 'https://desk.example' });

  beforeAll(async () => {
    services = await createTestServices(kind);
    await syncShippedModules(services.database.db);
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await services?.close();
  });

  async function assign(dueInDays: number, options: { status?: 'deactivated' } = {}) {
    const user = await buildUser(services, org, { roles: ['agent'] });
    const id = await services.database.db.transaction().execute((trx) =>
      assignModule({ db: services.database.db, audit: services.audit }, trx, { orgId: org.orgId, userId: user.userId, moduleKey: 'phishing-in-the-queue', dueAt: new Date(now.getTime() + dueInDays * DAY), source: 'manual' }));
    if (options.status) await services.database.db.updateTable('users').set({ status: options.status }).where('id', '=', user.userId).execute();
    return { userId: user.userId, email: (await services.database.db.selectFrom('users').where('id', '=', user.userId).select('email').executeTakeFirstOrThrow()).email, assignmentId: id! };
  }
  const notes = (userId: string) => services.database.db.selectFrom('notifications').where('user_id', '=', userId).select(['kind', 'ticket_id', 'in_app']).execute();
  const mailsTo = (email: string) => mailer().sent.filter((m) => m.to === email);

  it('sends one "due soon" reminder, in the app and by email, however often the job runs; one "overdue" later', async () => {
    const soon = await assign(DUE_SOON_DAYS - 1);
    const later = await assign(DUE_SOON_DAYS + 2);
    const late = await assign(-2);
    const gone = await assign(1, { status: 'deactivated' });
    const first = await sendTrainingReminders(deps(), now);
    expect(first).toEqual({ due_soon: 1, overdue: 1 });
    // Run twice (and at once, as two instances would): still one of each.
    const again = await Promise.all([sendTrainingReminders(deps(), now), sendTrainingReminders(deps(), now)]);
    expect(again).toEqual([{ due_soon: 0, overdue: 0 }, { due_soon: 0, overdue: 0 }]);
    expect(await notes(soon.userId)).toEqual([{ kind: 'training_due', ticket_id: null, in_app: true }]);
    expect(mailsTo(soon.email)).toHaveLength(1);
    expect(mailsTo(soon.email)[0]!.subject).toMatch(/^Security training due by \d{4}-\d{2}-\d{2}: Recognising phishing/);
    expect(mailsTo(soon.email)[0]!.text).toContain('https://desk.example/training');
    expect(await notes(late.userId)).toHaveLength(1);
    expect(mailsTo(late.email)).toHaveLength(1);
    expect(mailsTo(late.email)[0]!.subject).toMatch(/^Security training overdue/);
    // Not yet due soon, or no longer active: nothing.
    expect(await notes(later.userId)).toEqual([]);
    expect(await notes(gone.userId)).toEqual([]);
    expect(mailsTo(gone.email)).toEqual([]);

    // Time passes: the "due soon" one becomes overdue and gets its one overdue reminder; the later one is now due soon.
    const afterDue = new Date(now.getTime() + DUE_SOON_DAYS * DAY);
    expect(await sendTrainingReminders(deps(), afterDue)).toEqual({ due_soon: 1, overdue: 1 });
    expect(await sendTrainingReminders(deps(), afterDue)).toEqual({ due_soon: 0, overdue: 0 });
    expect(mailsTo(soon.email).map((m) => m.subject.split(':')[0])).toEqual(['Security training due by ' + new Date(now.getTime() + (DUE_SOON_DAYS - 1) * DAY).toISOString().slice(0, 10), 'Security training overdue']);
    expect(mailsTo(late.email)).toHaveLength(1);
  });

  it('stops once the assignment is passed, and follows the person’s preferences', async () => {
    const passed = await assign(1);
    await services.database.db.updateTable('training_assignments').set({ status: 'passed' }).where('id', '=', passed.assignmentId).execute();
    const quiet = await assign(1);
    await services.database.db.insertInto('notification_preferences').values({ user_id: quiet.userId, kind: 'training_due', in_app: true, email: false }).execute();
    await sendTrainingReminders(deps(), now);
    expect(await notes(passed.userId)).toEqual([]);
    expect(await notes(quiet.userId)).toHaveLength(1);
    expect(mailsTo(quiet.email)).toEqual([]);
  });
});
