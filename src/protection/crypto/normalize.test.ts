import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizers } from './normalize.js';

describe('normalizers.email', () => {
  it.each([
    ['  Alice@Example.COM ', 'alice@example.com'],
    ['ＡＬＩＣＥ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'alice@example.com'], // fullwidth forms fold under NFKC
    ['first.last+tag@gmail.com', 'first.last+tag@gmail.com'], // no provider-specific folding
  ])('%j → %j', (input, expected) => {
    expect(normalizers.email(input)).toBe(expected);
  });

  it('keeps dotted and plus-tagged addresses distinct', () => {
    expect(normalizers.email('firstlast@gmail.com')).not.toBe(normalizers.email('first.last@gmail.com'));
  });
});

describe('normalizers.phone', () => {
  it.each([
    ['+44 20 7946 0958', undefined, '+442079460958'],
    ['+44 (0)20 7946 0958', undefined, '+442079460958'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['(201) 555-0123', 'US', '+12015550123'],
    ['+1 201-555-0123', 'GB', '+12015550123'], // an explicit country code wins over the default
    ['020 7946 0958', undefined, '02079460958'], // no region: digits only
    ['+999 12', undefined, '+99912'], // unparseable but international: keep the plus
    ['＋４４ ２０ ７９４６ ０９５８', undefined, '+442079460958'], // fullwidth
    ['call me', undefined, ''],
  ] as const)('%j (region %s) → %j', (input, region, expected) => {
    expect(normalizers.phone(input, region === undefined ? {} : { defaultRegion: region })).toBe(expected);
  });

  it('writes the same number the same way however it was typed', () => {
    const forms = ['+44 20 7946 0958', '+442079460958', '+44-20-7946-0958', '(+44) 20 7946 0958'];
    expect(new Set(forms.map((f) => normalizers.phone(f))).size).toBe(1);
  });
});

describe('normalizers.digits', () => {
  it.each([
    ['12-34 56/78', '12345678'],
    ['１２３', '123'],
    ['no digits', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizers.digits(input)).toBe(expected);
  });
});

describe('normalizers.text', () => {
  it.each([
    ['  Hello   World\t\n', 'hello world'],
    ['ＭÜLLER  GmbH', 'müller gmbh'],
    ['ﬁne', 'fine'], // ligature folds under NFKC
  ])('%j → %j', (input, expected) => {
    expect(normalizers.text(input)).toBe(expected);
  });
});

describe('idempotence (property)', () => {
  it.each(['email', 'digits', 'text', 'phone'] as const)('%s(%s(x)) === %s(x)', (name) => {
    const normalize = normalizers[name];
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/)), (value) => {
        const once = normalize(value);
        expect(normalize(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });
});
