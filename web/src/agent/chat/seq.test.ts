import { describe, expect, it } from 'vitest';
import { isNewer, lastSeq, mergeBySeq, pendingSends } from './seq.js';

const m = (seq: number, body = `m${seq}`, clientId: string | null = null) => ({ seq, body, clientId });

describe('mergeBySeq', () => {
  it('orders by seq whatever the arrival order', () => {
    const merged = mergeBySeq([m(3)], [m(1), m(5), m(2)]);
    expect(merged.map((x) => x.seq)).toEqual([1, 2, 3, 5]);
  });

  it('keeps each seq once: a catch-up overlapping live frames adds nothing twice', () => {
    const live = mergeBySeq([], [m(1), m(2), m(3)]);
    const afterReconnect = mergeBySeq(live, [m(2), m(3), m(4)]);
    expect(afterReconnect.map((x) => x.seq)).toEqual([1, 2, 3, 4]);
  });

  it('takes the newer copy of a seq it already holds', () => {
    const merged = mergeBySeq([m(1, 'old')], [m(1, 'new')]);
    expect(merged).toEqual([m(1, 'new')]);
  });

  it('ignores entries without a usable seq', () => {
    expect(mergeBySeq([m(1)], [m(0), m(-2), m(1.5)]).map((x) => x.seq)).toEqual([1]);
  });

  it('returns the same array when nothing arrives', () => {
    const current = [m(1)];
    expect(mergeBySeq(current, [])).toBe(current);
  });
});

describe('lastSeq and isNewer', () => {
  it('is the highest seq held, 0 for none', () => {
    expect(lastSeq([])).toBe(0);
    expect(lastSeq([m(4), m(2), m(9)])).toBe(9);
  });

  it('asks for a fetch only for a seq beyond what is held', () => {
    expect(isNewer(5, 4)).toBe(true);
    expect(isNewer(4, 4)).toBe(false);
    expect(isNewer(3, 4)).toBe(false);
    expect(isNewer(undefined, 0)).toBe(false);
  });
});

describe('pendingSends', () => {
  it('drops a send once a message with its clientId is held', () => {
    const pending = [{ clientId: 'a', body: 'x' }, { clientId: 'b', body: 'y' }];
    expect(pendingSends(pending, [m(1, 'x', 'a'), m(2, 'z', null)])).toEqual([{ clientId: 'b', body: 'y' }]);
  });
});
