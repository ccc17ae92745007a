import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalizeError, canonicalize } from './canonical.js';

describe('canonicalize (RFC 8785)', () => {
  it('produces the RFC 8785 section 3.2.2 example exactly', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const keys = Object.keys(JSON.parse(canonicalize(input)) as object);
    const text = canonicalize(input);
    const order = ['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) => text.indexOf(`"${k}":`));
    expect(order.every((pos, i) => pos > 0 && (i === 0 || pos > (order[i - 1] as number)))).toBe(true);
    expect(keys).toHaveLength(7);
  });

  it('formats numbers as RFC 8785 appendix B says', () => {
    const cases: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [ieee, want] of cases) {
      expect(canonicalize(Buffer.from(ieee, 'hex').readDoubleBE(0)), ieee).toBe(want);
    }
  });

  it('refuses what JSON cannot say instead of dropping it', () => {
    class Entry {
      a = 1;
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad: unknown[] = [
      undefined,
      { a: undefined },
      [1, undefined],
      NaN,
      { n: Infinity },
      -Infinity,
      10n,
      Symbol('s'),
      () => 1,
      new Date(0),
      new Map(),
      Buffer.from('x'),
      new Entry(),
      { toJSON: () => 'sneaky' },
      [1, , 3], // eslint-disable-line no-sparse-arrays
      circular,
      { [Symbol('k')]: 1 },
      'lone \ud800 surrogate',
      { '\udc00': 1 },
    ];
    for (const value of bad) expect(() => canonicalize(value), String(typeof value)).toThrow(CanonicalizeError);
  });

  it('accepts shared (non-circular) references and null-prototype objects', () => {
    const shared = { x: 1 };
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2, a: 1 });
    expect(canonicalize({ p: shared, q: shared, r: bare })).toBe('{"p":{"x":1},"q":{"x":1},"r":{"a":1,"b":2}}');
  });

  it('is stable under key order and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});
