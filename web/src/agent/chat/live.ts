/**
 * React glue for the chat's live signals over web/src/realtime.ts, around the pure cores in typing.ts:
 * a ticking clock, who else is typing on a ticket, reporting our own typing (at most every 3 s per ticket) and
 * activity (at most once a minute, so the server can mark an idle agent away).
 */
import { useCallback, useEffect, useState } from 'react';
import { sendRealtime, useRealtime } from '../../realtime.js';
import { ACTIVE_SEND_MS, nextExpiry, NO_TYPING, recordTyping, Throttle, TYPING_SEND_MS, typingNow, type TypingState } from './typing.js';

/** The current time, re-read every `ms` (one interval per caller; the inbox has one for all its clocks). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return now;
}

/**
 * Who is typing on `ticketId` now: other staff (`who: 'agent'`, names; never me) or the chat's customer
 * (`who: 'customer'`, a one-element list when they are). Re-renders once when the last one expires.
 */
export function useTypingOn(ticketId: string, who: 'agent' | 'customer'): string[] {
  const [state, setState] = useState<TypingState>(NO_TYPING);
  const [, setTick] = useState(0);
  useEffect(() => setState(NO_TYPING), [ticketId]);
  useRealtime((m) => {
    if (m.type !== 'typing' || m.ticketId !== ticketId || (m.who ?? 'agent') !== who) return;
    // The server never sends my own typing back (nor from my other tabs); a colleague without a name is not shown.
    const name = who === 'customer' ? 'customer' : (m.name ?? '');
    if (who === 'agent' && !name) return;
    setState((s) => recordTyping(s, name, Date.now()));
  });
  const now = Date.now();
  const wait = nextExpiry(state, now);
  useEffect(() => {
    if (wait === null) return;
    const timer = window.setTimeout(() => setTick((n) => n + 1), wait + 50);
    return () => window.clearTimeout(timer);
  }, [state, wait]);
  return typingNow(state, now);
}

const typingThrottle = new Throttle(TYPING_SEND_MS);

/** A callback for every keystroke in a reply: tells the server (and so colleagues and a chat customer) at most every 3 s. */
export function useReportTyping(ticketId: string): () => void {
  return useCallback(() => {
    if (typingThrottle.take(ticketId, Date.now())) {
      // A frame the socket refused (down) is not remembered as sent: the next keystroke tries again.
      if (!sendRealtime({ t: 'typing', id: ticketId })) typingThrottle.forget(ticketId);
    }
  }, [ticketId]);
}

const activityThrottle = new Throttle(ACTIVE_SEND_MS);

/** While mounted, a key press, click or touch anywhere reports activity, at most once a minute. */
export function useActivityReport(enabled: boolean): void {
  // Keeps the live socket open on every staff page, so an agent reading the admin pages still counts as online.
  useRealtime(() => undefined);
  useEffect(() => {
    if (!enabled) return;
    const onActivity = () => {
      if (activityThrottle.take('active', Date.now()) && !sendRealtime({ t: 'active' })) activityThrottle.forget('active');
    };
    document.addEventListener('keydown', onActivity, { passive: true });
    document.addEventListener('pointerdown', onActivity, { passive: true });
    return () => {
      document.removeEventListener('keydown', onActivity);
      document.removeEventListener('pointerdown', onActivity);
    };
  }, [enabled]);
}
