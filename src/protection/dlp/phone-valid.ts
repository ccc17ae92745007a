import { Metadata, type CountryCode } from 'libphonenumber-js/max';

/**
 * libphonenumber's answer to "is this national-format number valid in that region?", computed with regular
 * expressions compiled once (issue 14, short messages).
 *
 * `parsePhoneNumberFromString(candidate, { defaultCountry, extract: false })?.isValid()` builds a new RegExp
 * from a pattern string of up to several kilobytes for every check it makes (`matchesEntirely`), and makes most
 * checks twice (once to pick the country among those sharing a calling code, once to validate): a valid British
 * or American number cost 20–40 µs, most of a short chat line's scan. This module follows the same steps on the
 * same metadata — national prefix for parsing and when libphonenumber keeps or drops it, the country among
 * those sharing the calling code (leading digits, then number types), the length limits of a national number,
 * then the country's number types — and answers only where those steps are all it takes. Anything else (an
 * international call prefix, the region's own calling code typed in front, a prefix transform rule such as
 * Brazil's carrier codes, an unknown region) returns undefined and the caller asks libphonenumber itself.
 * A property test (phone-valid.test.ts) compares every answer with libphonenumber's.
 */

/** The parts of libphonenumber's numbering plan read here: present at run time, missing from its typings. */
interface PlanInternals {
  possibleLengths(): number[] | undefined;
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  callingCode(): string;
  IDDPrefix(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(t: string): { pattern(): string | undefined; possibleLengths(): number[] | undefined } | undefined;
}

interface TypeRule {
  pattern: RegExp;
  lengths: readonly number[] | undefined;
}

interface CountryPlan {
  country: CountryCode;
  callingCode: string;
  pattern: RegExp;
  lengths: readonly number[] | undefined;
  hasTypes: boolean;
  /** Number types in libphonenumber's order of checking (fixed line first); only those with a pattern. */
  types: readonly TypeRule[];
  leadingDigits: RegExp | undefined;
  prefixForParsing: RegExp | undefined;
  transformRule: boolean;
  idd: RegExp | undefined;
}

/** getNumberType's order: fixed line, then the others. */
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];
const MIN_LENGTH_FOR_NSN = 2;
const MAX_LENGTH_FOR_NSN = 17;

const metadata = new Metadata();
const plans = new Map<string, CountryPlan | null>();
const entirely = (p: string) => new RegExp(`^(?:${p})$`);

function compile(country: CountryCode): CountryPlan | null {
  try {
    metadata.selectNumberingPlan(country);
  } catch {
    return null;
  }
  const plan = metadata.numberingPlan as unknown as PlanInternals;
  const types: TypeRule[] = [];
  if (plan.hasTypes()) {
    for (const t of TYPES) {
      const def = plan.type(t);
      const pattern = def?.pattern();
      if (def && pattern) types.push({ pattern: entirely(pattern), lengths: def.possibleLengths() });
    }
  }
  const leading = plan.leadingDigits();
  const prefix = plan.nationalPrefixForParsing();
  const idd = plan.IDDPrefix();
  return {
    country,
    callingCode: plan.callingCode(),
    pattern: entirely(plan.nationalNumberPattern()),
    lengths: plan.possibleLengths(),
    hasTypes: plan.hasTypes(),
    types,
    leadingDigits: leading ? new RegExp(`^(?:${leading})`) : undefined,
    prefixForParsing: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
    transformRule: Boolean(plan.nationalPrefixTransformRule()),
    idd: idd ? new RegExp(`^(?:${idd})`) : undefined,
  };
}

function planOf(country: CountryCode): CountryPlan | null {
  let p = plans.get(country);
  if (p === undefined) {
    p = compile(country);
    plans.set(country, p);
  }
  return p;
}

function countriesOf(callingCode: string): readonly CountryCode[] | undefined {
  const json = (metadata as unknown as { metadata?: { country_calling_codes?: Record<string, CountryCode[]> } }).metadata;
  return json?.country_calling_codes?.[callingCode];
}

function nonGeographic(callingCode: string): boolean {
  const json = (metadata as unknown as { metadata?: { nonGeographic?: Record<string, unknown> } }).metadata;
  return json?.nonGeographic?.[callingCode] !== undefined;
}

/** libphonenumber's getNumberType(...) !== undefined. */
function hasNumberType(nn: string, plan: CountryPlan): boolean {
  if (!plan.pattern.test(nn)) return false;
  for (const t of plan.types) {
    const lengths = t.lengths ?? plan.lengths;
    if (lengths && !lengths.includes(nn.length)) continue;
    if (t.pattern.test(nn)) return true;
  }
  return false;
}

/** getCountryByCallingCode: the only country of the code, or the first whose leading digits or number types fit. */
function countryByCallingCode(callingCode: string, nn: string): CountryPlan | null | undefined {
  const countries = countriesOf(callingCode);
  if (!countries) return undefined;
  if (countries.length === 1) return planOf(countries[0] as CountryCode);
  for (const c of countries) {
    const plan = planOf(c);
    if (plan === null) return null;
    if (plan.leadingDigits) {
      if (nn && plan.leadingDigits.test(nn)) return plan;
    } else if (hasNumberType(nn, plan)) {
      return plan;
    }
  }
  return undefined;
}

/** checkNumberLength(nn) is TOO_SHORT or INVALID_LENGTH. */
function impossibleLength(nn: string, plan: CountryPlan): boolean {
  const lengths = plan.lengths;
  if (!lengths) return false;
  if (lengths.length === 0) return true; // libphonenumber's comparisons with no lengths end in INVALID_LENGTH
  const min = lengths[0] as number;
  if (min === nn.length) return false;
  if (min > nn.length) return true;
  if ((lengths[lengths.length - 1] as number) < nn.length) return false; // TOO_LONG counts as possible here
  return lengths.indexOf(nn.length, 1) < 0;
}

/**
 * libphonenumber's extractNationalNumber: strip the national prefix unless the number only matched its
 * region's pattern with it, or the rest has an impossible length. Null when a country could not be compiled.
 */
function nationalNumber(digits: string, own: CountryPlan): string | null {
  const m = own.prefixForParsing?.exec(digits);
  if (!m) return digits;
  const rest = digits.slice(m[0].length);
  if (rest === digits) return digits;
  if (own.pattern.test(digits) && !own.pattern.test(rest)) return digits;
  if (own.lengths) {
    const country = countryByCallingCode(own.callingCode, rest);
    if (country === null) return null;
    if (impossibleLength(rest, country ?? own)) return digits;
  }
  return rest;
}

/** Parse and validation once the numbering plan is known: national number, exact country, its number types. */
function validWithPlan(digits: string, own: CountryPlan): boolean | undefined {
  const nn = nationalNumber(digits, own);
  if (nn === null) return undefined;
  if (nn.length < MIN_LENGTH_FOR_NSN || nn.length > MAX_LENGTH_FOR_NSN) return false;
  const exact = countryByCallingCode(own.callingCode, nn);
  if (exact === null) return undefined;
  const country = exact ?? own;
  return country.hasTypes ? hasNumberType(nn, country) : country.pattern.test(nn);
}

/**
 * Whether libphonenumber calls `digits` (a national-format number, ASCII digits only, typed without `+` and
 * without an extension) valid with `region` as the default country; undefined when only libphonenumber can say.
 */
export function nationalNumberValidity(digits: string, region: CountryCode): boolean | undefined {
  const own = planOf(region);
  if (own === null || own.transformRule || own.idd === undefined) return undefined;
  if (own.idd.test(digits) || digits.startsWith(own.callingCode)) return undefined;
  if (digits.length < MIN_LENGTH_FOR_NSN) return undefined;
  return validWithPlan(digits, own);
}

/**
 * The same for an international number: `digits` are the ASCII digits typed after the `+` (no extension).
 * The calling code is the shortest prefix of one to three digits that is a country's; the plan is the one of
 * the code's main country, as libphonenumber selects it. Non-geographic codes are left to libphonenumber.
 */
export function internationalNumberValidity(digits: string): boolean | undefined {
  if (digits.length < 2 || digits.charCodeAt(0) === 48) return undefined;
  for (let i = 1; i <= 3 && i < digits.length; i++) {
    const code = digits.slice(0, i);
    const countries = countriesOf(code);
    if (countries === undefined) {
      if (nonGeographic(code)) return undefined;
      continue;
    }
    const main = planOf(countries[0] as CountryCode);
    if (main === null || main.transformRule) return undefined;
    return validWithPlan(digits.slice(i), main);
  }
  return undefined;
}
