import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PHONE_REGIONS } from './phone.js';
import { mayBeValidIn } from './phone-plans.js';

/* The plan filter may only skip parses that would have said "invalid" (decision 0167). */
describe('the numbering-plan filter in front of libphonenumber', () => {
  it('never rules out a number libphonenumber calls valid in that region', () => {
    const digitsArb = fc
      .tuple(fc.constantFrom('', '0', '00', '1', '44', '45', '49', '91', '358', '011'), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 13 }))
      .map(([lead, ds]) => lead + ds.join(''));
    fc.assert(
      fc.property(digitsArb, fc.constantFrom(...DEFAULT_PHONE_REGIONS), (digits, region) => {
        if (!mayBeValidIn(digits, region)) expect(parsePhoneNumberFromString(digits, { defaultCountry: region, extract: false })?.isValid() ?? false).toBe(false);
      }),
      { numRuns: 4000 },
    );
  });

  it('rules out what cannot be a number of the region', () => {
    expect(mayBeValidIn('02079460123', 'US')).toBe(false);
    expect(mayBeValidIn('02079460123', 'GB')).toBe(true);
    expect(mayBeValidIn('5125550123', 'US')).toBe(true);
    expect(mayBeValidIn('15125550123', 'US')).toBe(true);
    expect(mayBeValidIn('170312202', 'US')).toBe(false);
  });
});
