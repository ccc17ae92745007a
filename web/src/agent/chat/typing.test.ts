import { describe, expect, it } from 'vitest';
import { NO_TYPING, Throttle, nextExpiry, recordTyping, typingNow, TYPING_SEND_MS, TYPING_SHOW_MS } from './typing.js';

describe('Throttle', () => {
  it('lets one frame per key through per interval', () => {
    const th = new Throttle(TYPING_SEND_MS);
    expect(th.take('t1', 0)).toBe(true);
    expect(th.take('t1', 1_000)).toBe(false);
    expect(th.take('t1', 2_999)).toBe(false);
    expect(th.take('t1', 3_000)).toBe(true);
    expect(th.take('t1', 3_001)).toBe(false);
  });

  it('lets a send that did not go out be retried at once', () => {
    const th = new Throttle(TYPING_SEND_MS);
    expect(th.take('t1', 0)).toBe(true);
    th.forget('t1');
    expect(th.take('t1', 10)).toBe(true);
  });

  it('throttles each key on its own', () => {
    const th = new Throttle(TYPING_SEND_MS);
    expect(th.take('t1', 0)).toBe(true);
    expect(th.take('t2', 10)).toBe(true);
    expect(th.take('t1', 20)).toBe(false);
  });
});

describe('typing peers', () => {
  it('shows someone for six seconds after their last frame', () => {
    let s = recordTyping(NO_TYPING, 'Sam', 1_000);
    expect(typingNow(s, 1_000)).toEqual(['Sam']);
    expect(typingNow(s, 1_000 + TYPING_SHOW_MS - 1)).toEqual(['Sam']);
    expect(typingNow(s, 1_000 + TYPING_SHOW_MS)).toEqual([]);
    s = recordTyping(s, 'Sam', 4_000);
    expect(typingNow(s, 1_000 + TYPING_SHOW_MS)).toEqual(['Sam']);
  });

  it('lists several people in the order they started and forgets the expired', () => {
    let s = recordTyping(NO_TYPING, 'Sam', 0);
    s = recordTyping(s, 'Ana', 2_000);
    expect(typingNow(s, 3_000)).toEqual(['Sam', 'Ana']);
    s = recordTyping(s, 'Ana', 7_000);
    expect([...s.seen.keys()]).toEqual(['Ana']);
  });

  it('says when to look again: the soonest expiry, or null', () => {
    let s = recordTyping(NO_TYPING, 'Sam', 0);
    s = recordTyping(s, 'Ana', 2_000);
    expect(nextExpiry(s, 1_000)).toBe(TYPING_SHOW_MS - 1_000);
    expect(nextExpiry(s, 20_000)).toBeNull();
    expect(nextExpiry(NO_TYPING, 0)).toBeNull();
  });
});
