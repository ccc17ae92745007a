/**
 * The chat conversation as the console holds it: messages ordered by their per-conversation sequence number,
 * each seq once. Catch-up pages (GET …/messages?after=N), live `chat` frames and our own sends can arrive in any
 * order and overlap after a reconnect; merging by seq makes the result the same whatever the order.
 * Pure: no DOM, no network (unit-tested in seq.test.ts).
 */

export interface Sequenced {
  seq: number;
}

/** `current` with `incoming` merged in: sorted by seq, a seq already held replaced by the newer copy. */
export function mergeBySeq<T extends Sequenced>(current: readonly T[], incoming: readonly T[]): T[] {
  if (incoming.length === 0) return current as T[];
  const bySeq = new Map<number, T>();
  for (const m of current) bySeq.set(m.seq, m);
  for (const m of incoming) if (Number.isInteger(m.seq) && m.seq > 0) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The highest seq held (0 for none): what a catch-up asks `after`. */
export function lastSeq(messages: readonly Sequenced[]): number {
  let last = 0;
  for (const m of messages) if (m.seq > last) last = m.seq;
  return last;
}

/** Whether a live frame announcing `seq` tells us of a message we do not hold yet. */
export function isNewer(seq: number | undefined, held: number): boolean {
  return typeof seq === 'number' && seq > held;
}

/**
 * Which of our own sends (by clientId) are still waiting for the server: a send is settled once a message with its
 * clientId is held (it arrived by catch-up before the POST answered, or after).
 */
export function pendingSends<P extends { clientId: string }>(pending: readonly P[], held: ReadonlyArray<{ clientId?: string | null }>): P[] {
  const stored = new Set(held.map((m) => m.clientId).filter((id): id is string => typeof id === 'string'));
  return pending.filter((p) => !stored.has(p.clientId));
}
