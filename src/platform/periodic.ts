/**
 * A background task run every `everyMs` until stopped, never overlapping itself: a pass still running when the
 * next is due makes that one skip. A failed pass goes to `onError` and the task runs again next time. The timer
 * does not keep the process alive.
 */
export function startPeriodic(task: () => Promise<unknown>, everyMs: number, onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
