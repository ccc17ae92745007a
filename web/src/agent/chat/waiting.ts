/**
 * How long a customer has waited, as a compact clock an agent scans down a column: `0:42`, `3:05`, `1:02:05`
 * (tabular figures line up). Pure (waiting.test.ts); the list re-renders it once a second.
 */
export function waitingClock(sinceIso: string, now: number): string {
  const since = Date.parse(sinceIso);
  const total = Number.isFinite(since) ? Math.max(0, Math.floor((now - since) / 1000)) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Seconds waited, for sorting and for the "long wait" highlight. */
export function waitedSeconds(sinceIso: string, now: number): number {
  const since = Date.parse(sinceIso);
  return Number.isFinite(since) ? Math.max(0, Math.floor((now - since) / 1000)) : 0;
}

/** Inbox order: chats offered to me first, then the longest wait first. */
export function byUrgency(a: { offeredToMe: boolean; waitingSince: string }, b: { offeredToMe: boolean; waitingSince: string }): number {
  if (a.offeredToMe !== b.offeredToMe) return a.offeredToMe ? -1 : 1;
  return (Date.parse(a.waitingSince) || 0) - (Date.parse(b.waitingSince) || 0);
}
