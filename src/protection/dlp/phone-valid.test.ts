import fc from 'fast-check';
import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PHONE_REGIONS } from './phone.js';
import { internationalNumberValidity, nationalNumberValidity } from './phone-valid.js';

/*
 * phone-valid.ts must give libphonenumber's own answer wherever it gives one. Digits are drawn near real
 * numbers (the library's example numbers with a few digits changed, a digit more or less, a national prefix or
 * a calling code in front) so that about one in ten is valid, and also at random; regions are the default
 * ones and any country the library knows.
 */
const EXAMPLES = examples as Record<string, string>;
const COUNTRIES = getCountries();
const WITH_EXAMPLE = COUNTRIES.filter((c) => EXAMPLES[c] !== undefined);

const mutated = (seed: string) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 9 })), { maxLength: 3 }),
      fc.constantFrom('keep', 'drop', 'add'),
      fc.integer({ min: 0, max: 9 }),
    )
    .map(([changes, length, extra]) => {
      const d = seed.split('');
      for (const [at, digit] of changes) d[at % d.length] = String(digit);
      const s = d.join('');
      return length === 'drop' ? s.slice(0, -1) : length === 'add' ? s + String(extra) : s;
    });

const regionArb = fc.oneof(fc.constantFrom(...DEFAULT_PHONE_REGIONS), fc.constantFrom(...COUNTRIES));

const nationalArb = fc.oneof(
  fc
    .tuple(fc.constantFrom(...WITH_EXAMPLE), regionArb, fc.constantFrom('', '', '0', '1', '8', 'cc', '00'))
    .chain(([from, region, lead]) =>
      mutated(EXAMPLES[from] as string).map((d) => ({ digits: (lead === 'cc' ? getCountryCallingCode(region) : lead) + d, region })),
    ),
  fc
    .tuple(fc.constantFrom('', '0', '00', '1', '44', '49', '011', '8', '9', '5'), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 13 }), regionArb)
    .map(([lead, ds, region]) => ({ digits: lead + ds.join(''), region })),
);

const internationalArb = fc.oneof(
  fc.constantFrom(...WITH_EXAMPLE).chain((c) => mutated(getCountryCallingCode(c) + (EXAMPLES[c] as string))),
  fc
    .tuple(fc.constantFrom(...WITH_EXAMPLE), fc.constantFrom(...WITH_EXAMPLE))
    .chain(([c, other]) => mutated(EXAMPLES[other] as string).map((d) => `${getCountryCallingCode(c)}0${d}`)),
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 15 }).map((ds) => ds.join('')),
);

/** The way a customer groups it: runs of three with a space, or as one run. */
const grouped = (digits: string, spaced: boolean) => (spaced ? digits.replace(/(\d{3})(?=\d)/g, '$1 ') : digits);

describe('libphonenumber validity from compiled patterns', () => {
  it('agrees with libphonenumber on national-format numbers in any region', () => {
    let answered = 0;
    let valid = 0;
    fc.assert(
      fc.property(nationalArb, fc.boolean(), ({ digits, region }, spaced) => {
        const fast = nationalNumberValidity(digits, region as CountryCode);
        if (fast === undefined) return;
        answered++;
        if (fast) valid++;
        const lib = parsePhoneNumberFromString(grouped(digits, spaced), { defaultCountry: region as CountryCode, extract: false })?.isValid() ?? false;
        expect(fast, `${digits} in ${region}`).toBe(lib);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(1500);
    expect(valid).toBeGreaterThan(100);
  });

  it('agrees with libphonenumber on international numbers', () => {
    let answered = 0;
    let valid = 0;
    fc.assert(
      fc.property(internationalArb, fc.boolean(), (digits, spaced) => {
        const fast = internationalNumberValidity(digits);
        if (fast === undefined) return;
        answered++;
        if (fast) valid++;
        const lib = parsePhoneNumberFromString(`+${grouped(digits, spaced)}`, { extract: false })?.isValid() ?? false;
        expect(fast, `+${digits}`).toBe(lib);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(2000);
    expect(valid).toBeGreaterThan(300);
  });

  it('answers for the numbers support mail is full of, and leaves the rest to libphonenumber', () => {
    expect(nationalNumberValidity('5125550123', 'US')).toBe(true);
    expect(nationalNumberValidity('02079460123', 'GB')).toBe(true);
    expect(nationalNumberValidity('02079460123', 'US')).toBe(false);
    expect(nationalNumberValidity('030123456', 'DE')).toBe(parsePhoneNumberFromString('030123456', { defaultCountry: 'DE', extract: false })?.isValid() ?? false);
    expect(internationalNumberValidity('442079460123')).toBe(true);
    expect(internationalNumberValidity('15125550123')).toBe(true);
    // The region's international call prefix or its own calling code in front, a prefix transform rule
    // (Brazil), a non-geographic code: libphonenumber decides.
    expect(nationalNumberValidity('011442079460123', 'US')).toBeUndefined();
    expect(nationalNumberValidity('442079460123', 'GB')).toBeUndefined();
    expect(nationalNumberValidity('011987654321', 'BR')).toBeUndefined();
    expect(internationalNumberValidity('80012345678')).toBeUndefined();
  });
});
