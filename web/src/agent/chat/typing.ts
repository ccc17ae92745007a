/**
 * Typing indicators and activity reports as plain state over a clock passed in, so they are testable without
 * timers (typing.test.ts):
 * - `Throttle`: at most one frame per key per interval (our `typing` frame every 3 s per ticket, `active` once a
 *   minute) — the socket closes a client that sends more than 5 frames a second (decision 0175).
 * - `TypingPeers`: who else is typing on a ticket, each shown for a while after their last frame (6 s: frames come
 *   at most every 3 s, so one lost frame does not make the notice flicker).
 */

export const TYPING_SEND_MS = 3_000;
export const TYPING_SHOW_MS = 6_000;
export const ACTIVE_SEND_MS = 60_000;

export class Throttle {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}

  /** True (and remembered) when `key` may be sent at `now`; false within the interval of the last send. */
  take(key: string, now: number): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }

  /** Forgets the last send of `key` (it did not go out), so the next `take` passes. */
  forget(key: string): void {
    this.last.delete(key);
  }
}

export interface TypingState {
  /** name → when their last frame arrived (ms). */
  readonly seen: ReadonlyMap<string, number>;
}

export const NO_TYPING: TypingState = { seen: new Map() };

/** The state after a typing frame from `who` at `now` (expired entries dropped). */
export function recordTyping(state: TypingState, who: string, now: number, showMs = TYPING_SHOW_MS): TypingState {
  const seen = new Map<string, number>();
  for (const [name, at] of state.seen) if (now - at < showMs) seen.set(name, at);
  seen.set(who, now);
  return { seen };
}

/** Who is typing at `now`, in the order they started. */
export function typingNow(state: TypingState, now: number, showMs = TYPING_SHOW_MS): string[] {
  return [...state.seen].filter(([, at]) => now - at < showMs).map(([name]) => name);
}

/** When the next entry expires (ms from `now`), so a single timer re-renders exactly then; null when none is shown. */
export function nextExpiry(state: TypingState, now: number, showMs = TYPING_SHOW_MS): number | null {
  let soonest: number | null = null;
  for (const at of state.seen.values()) {
    const left = at + showMs - now;
    if (left > 0 && (soonest === null || left < soonest)) soonest = left;
  }
  return soonest;
}
