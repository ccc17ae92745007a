/**
 * Work that runs after the answer has gone: mail that must not make a reply's
 * timing depend on what it found (a password reset, a portal sign-in code).
 * A task starts on the next turn of the event loop, never inside the caller's
 * await; its failure is logged, never thrown at the caller. `drain` waits for
 * every task started so far (and any they start), and runs on shutdown so no
 * task is cut off.
 */
import type { Logger } from 'pino';

export interface DeferredTasks {
  /** Runs `task` after the current request has answered; `name` appears in the log if it fails. */
  run(name: string, task: () => Promise<void>): void;
  /** Resolves when every task run so far has settled. */
  drain(): Promise<void>;
}

export function createDeferredTasks(logger: Pick<Logger, 'error'>): DeferredTasks {
  const pending = new Set<Promise<void>>();
  return {
    run(name, task) {
      const p = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .catch((err: unknown) => logger.error({ err, task: name }, 'deferred task failed'))
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async drain() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
