/**
 * How long a customer has waited, as a compact clock an agent scans down a column: `0:42`, `3:05`, `1:02:05`
 * (tabular figures line up). Pure (waiting.test.ts); the list re-renders it once a second. A chat that is not waiting has no
 * `waitingSince` (null): it reads 0:00 and sorts after those that wait.
 */
export function waitingClock(sinceIso: string | null, now: number): string {
  const since = sinceIso ? Date.parse(sinceIso) : NaN;
  const total = Number.isFinite(since) ? Math.max(0, Math.floor((now - since) / 1000)) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Seconds waited, for sorting and for the "long wait" highlight. */
export function waitedSeconds(sinceIso: string | null, now: number): number {
  const since = sinceIso ? Date.parse(sinceIso) : NaN;
  return Number.isFinite(since) ? Math.max(0, Math.floor((now - since) / 1000)) : 0;
}

/** Inbox order: chats offered to me first, then the longest wait first. */
export function byUrgency(a: { offeredToMe: boolean; waitingSince: string | null }, b: { offeredToMe: boolean; waitingSince: string | null }): number {
  if (a.offeredToMe !== b.offeredToMe) return a.offeredToMe ? -1 : 1;
  return waitedAt(a.waitingSince) - waitedAt(b.waitingSince);
}

function waitedAt(sinceIso: string | null): number {
  const since = sinceIso ? Date.parse(sinceIso) : NaN;
  return Number.isFinite(since) ? since : Number.MAX_SAFE_INTEGER;
}
