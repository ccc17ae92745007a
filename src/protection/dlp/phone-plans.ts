import { Metadata, type CountryCode } from 'libphonenumber-js/max';

/**
 * A cheap, conservative "could this be valid in that region?" in front of libphonenumber (decision 0167).
 * A parse costs tens of microseconds — more when the calling code is shared (+1 is 25 countries, each of whose
 * number types is tried in turn before a number is called invalid) — and a national-format candidate is tried
 * in up to 30 regions. libphonenumber calls a number valid only if its national significant number matches the
 * region's general pattern at one of its possible lengths, so when no national reading of the digits does that
 * for any country sharing the calling code, the parse would say no, and is skipped.
 *
 * The national readings are the ones libphonenumber tries: the digits as they are, without the national prefix
 * for parsing, and without the region's own calling code typed in front (`4520…` in Denmark), each also
 * without the national prefix. Digits starting with the region's international call prefix are an
 * international number and are always parsed, as are regions whose prefix rule rewrites the number (a
 * transform rule, as Brazil's carrier codes).
 */

/** The parts of libphonenumber's numbering plan read here: present at run time, missing from its typings. */
interface PlanInternals {
  possibleLengths(): number[];
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  callingCode(): string;
  IDDPrefix(): string;
}

interface Plan {
  lengths: ReadonlySet<number>;
  pattern: RegExp;
}

interface RegionFilter {
  /** Removes the national prefix when present. */
  prefix?: RegExp;
  /** The international call prefix: a number after it is read as international. */
  idd?: RegExp;
  callingCode: string;
  /** Plans of every country sharing the calling code. */
  plans: readonly Plan[];
}

const metadata = new Metadata();
const filters = new Map<CountryCode, RegionFilter | null>();

function planOf(country: CountryCode): (PlanInternals & { country: CountryCode }) | undefined {
  try {
    metadata.selectNumberingPlan(country);
  } catch {
    return undefined;
  }
  return Object.assign(Object.create(metadata.numberingPlan as object) as PlanInternals, { country });
}

function siblings(callingCode: string): CountryCode[] {
  const json = (metadata as unknown as { metadata?: { country_calling_codes?: Record<string, CountryCode[]> } }).metadata;
  return json?.country_calling_codes?.[callingCode] ?? [];
}

function buildFilter(region: CountryCode): RegionFilter | null {
  const own = planOf(region);
  if (!own || own.nationalPrefixTransformRule()) return null;
  const prefixRule = own.nationalPrefixForParsing();
  const plans: Plan[] = [];
  for (const country of siblings(own.callingCode())) {
    const plan = planOf(country);
    if (!plan) return null;
    plans.push({ lengths: new Set(plan.possibleLengths()), pattern: new RegExp(`^(?:${plan.nationalNumberPattern()})$`) });
  }
  if (plans.length === 0) return null;
  const idd = own.IDDPrefix();
  return { prefix: prefixRule ? new RegExp(`^(?:${prefixRule})`) : undefined, idd: idd ? new RegExp(`^(?:${idd})`) : undefined, callingCode: own.callingCode(), plans };
}

function filterFor(region: CountryCode): RegionFilter | null {
  let f = filters.get(region);
  if (f === undefined) {
    f = buildFilter(region);
    filters.set(region, f);
  }
  return f;
}

function fits(filter: RegionFilter, national: string): boolean {
  for (const plan of filter.plans) if (plan.lengths.has(national.length) && plan.pattern.test(national)) return true;
  return false;
}

function fitsWithOrWithoutPrefix(filter: RegionFilter, digits: string): boolean {
  if (fits(filter, digits)) return true;
  const m = filter.prefix?.exec(digits);
  return m !== null && m !== undefined && m[0].length > 0 && fits(filter, digits.slice(m[0].length));
}

/** False only when `digits` (a national-format number, digits only) cannot be a valid number of `region`. */
export function mayBeValidIn(digits: string, region: CountryCode): boolean {
  const filter = filterFor(region);
  if (filter === null || filter.idd?.test(digits)) return true;
  if (fitsWithOrWithoutPrefix(filter, digits)) return true;
  return digits.startsWith(filter.callingCode) && fitsWithOrWithoutPrefix(filter, digits.slice(filter.callingCode.length));
}
