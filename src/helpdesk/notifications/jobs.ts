/**
 * The notification worker: SLA warnings, then due digest emails. Every step
 * claims its rows first, so it is safe on several instances at once.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { outageLog, type Logger } from '../../platform/logging.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import { processNotificationEmails, requeueWaitingDigests } from './digest.js';
import { warnBreachingTickets } from './sla-warnings.js';

export interface NotificationJobDeps {
  db: Kysely<Database>;
  mailer: Mailer;
  publicUrl: string;
  logger: Logger;
  intervalMinutes?: number;
}

export async function runNotificationJobs(deps: NotificationJobDeps, now = new Date()): Promise<void> {
  await warnBreachingTickets(deps.db, { now });
  await processNotificationEmails({ ...deps, now });
  await requeueWaitingDigests(deps.db);
}

/** Runs the jobs every `everyMs` until stopped; a pass never overlaps the previous one. */
export function startNotificationWorker(deps: NotificationJobDeps, everyMs = 30_000): { stop(): Promise<void> } {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  const log = outageLog(deps.logger, 'notification jobs');
  const tick = () => {
    if (!running) return;
    current = runNotificationJobs(deps)
      .then(() => log.succeeded(), (err: unknown) => log.failed(err))
      .finally(() => {
        if (running) timer = setTimeout(tick, everyMs);
      });
  };
  timer = setTimeout(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
