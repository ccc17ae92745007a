import fc from 'fast-check';
import { isLuhnValid } from '../checksums.js';

/*
 * Generators of payment-card numbers as customers type them, and of the
 * numbers that must not be taken for cards (decision 0166). Kept apart from
 * cards.ts on purpose: the issuer table here is written from the networks'
 * published ranges, not copied from the scanner's table, so a gap in the
 * scanner shows up as a failing property instead of being reproduced.
 */

export interface IssuerFamily {
  brand: string;
  /** Inclusive prefix ranges, both ends with the same number of digits. */
  prefixes: ReadonlyArray<readonly [number, number]>;
  lengths: readonly number[];
}

const span = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export const ISSUER_FAMILIES: readonly IssuerFamily[] = [
  { brand: 'visa', prefixes: [[4, 4]], lengths: [13, 16, 19] },
  { brand: 'mastercard', prefixes: [[51, 55], [2221, 2720]], lengths: [16] },
  { brand: 'amex', prefixes: [[34, 34], [37, 37]], lengths: [15] },
  { brand: 'discover', prefixes: [[6011, 6011], [644, 649], [65, 65]], lengths: span(16, 19) },
  { brand: 'diners', prefixes: [[36, 36], [300, 305], [3095, 3095], [38, 39]], lengths: span(14, 16) },
  { brand: 'jcb', prefixes: [[3528, 3589]], lengths: span(16, 19) },
  { brand: 'unionpay', prefixes: [[62, 62]], lengths: span(16, 19) },
  { brand: 'maestro', prefixes: [[50, 50], [56, 69]], lengths: span(12, 19) },
  { brand: 'mir', prefixes: [[2200, 2204]], lengths: [16] },
  { brand: 'rupay', prefixes: [[60, 60], [65, 65], [81, 82], [508, 508]], lengths: [16] },
  { brand: 'verve', prefixes: [[506099, 506198], [650002, 650027]], lengths: [16, 18, 19] },
  { brand: 'troy', prefixes: [[9792, 9792]], lengths: [16] },
  { brand: 'uzcard', prefixes: [[8600, 8600]], lengths: [16] },
  { brand: 'humo', prefixes: [[9860, 9860]], lengths: [16] },
  { brand: 'borica', prefixes: [[2205, 2205]], lengths: [16] },
];

/** The one digit that makes `body` Luhn-valid. */
export function completeLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (isLuhnValid(body + d)) return body + d;
  throw new Error('unreachable: one check digit always fits');
}

export interface GeneratedCard {
  brand: string;
  digits: string;
}

/** A Luhn-valid number inside one issuer range at one of the family's lengths. */
export function cardOf(family: IssuerFamily): fc.Arbitrary<GeneratedCard> {
  return fc
    .tuple(
      fc.constantFrom(...family.prefixes),
      fc.constantFrom(...family.lengths),
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
    )
    .map(([[from, to], length, at, rest]) => {
      const prefix = String(from + Math.floor(at * (to - from + 1)));
      return { brand: family.brand, digits: completeLuhn(prefix + rest.join('').slice(0, length - prefix.length - 1)) };
    });
}

export const anyCardArb: fc.Arbitrary<GeneratedCard> = fc.oneof(...ISSUER_FAMILIES.map(cardOf));

/**
 * Groupings people use, by how many digits there are: one run, the usual fours
 * with whatever is left at the end (4-4-4-4, 4-4-4-2, 4-4-4-1, 4-4-4-4-3), 4-6-5
 * and 4-6-4 as printed on Amex and Diners cards, and 4-3-3-3 for a 13-digit Visa.
 */
export function groupingsFor(length: number): number[][] {
  const fours = Array.from({ length: Math.ceil(length / 4) }, (_, i) => Math.min(4, length - 4 * i));
  const out: number[][] = [[length], fours];
  if (length === 13) out.push([4, 3, 3, 3]);
  if (length === 14) out.push([4, 6, 4]);
  if (length === 15) out.push([4, 6, 5]);
  return out;
}

/** Separators, one per gap: the same one throughout, or a mix (typed by hand, pasted from two places). */
export const SEPARATORS = [' ', '-', '.', '  ', ' - ', '/', '_', '\u00a0'] as const;
/** A line break where a group ends: a card wrapped by a narrow form or a mail program. */
export const LINE_BREAKS = ['\n', '\r\n', ' \n', '\n '] as const;

export interface WrittenCard extends GeneratedCard {
  text: string;
  how: string;
}

/** A card as typed: a grouping, then one separator for every gap, a mix of them, or a line break somewhere. */
export const writtenCardArb: fc.Arbitrary<WrittenCard> = anyCardArb.chain((card) =>
  fc
    .tuple(
      fc.constantFrom(...groupingsFor(card.digits.length)),
      fc.constantFrom('uniform', 'mixed', 'wrapped'),
      fc.constantFrom(...SEPARATORS),
      fc.array(fc.constantFrom(' ', '-', '.'), { minLength: 6, maxLength: 6 }),
      fc.constantFrom(...LINE_BREAKS),
      fc.nat(),
    )
    .map(([sizes, style, sep, mix, lineBreak, at]) => {
      const groups: string[] = [];
      let i = 0;
      for (const size of sizes) {
        groups.push(card.digits.slice(i, i + size));
        i += size;
      }
      const gaps = groups.slice(1).map((_, k) => (style === 'mixed' ? (mix[k] as string) : sep));
      if (style === 'wrapped' && gaps.length > 0) gaps[at % gaps.length] = lineBreak;
      const text = groups.map((g, k) => (k === 0 ? g : (gaps[k - 1] as string) + g)).join('');
      return { ...card, text, how: `${sizes.join('-')} ${style} ${JSON.stringify(style === 'mixed' ? gaps : style === 'wrapped' ? lineBreak : sep)}` };
    }),
);

/** Sentences a card is typed into: a chat line, a form field, a mail paragraph. */
export const cardSentenceArb = fc.tuple(
  fc.constantFrom('', 'Hi, ', 'please charge ', 'Number: ', 'it is ', 'I paid with\n', 'Thanks. The one ending here '),
  fc.constantFrom('', '.', ' thanks', ', exp 09/27', '\nregards'),
);

// ---- near misses: numbers that look like cards and are not ---------------------------------------

/** A generated card with one digit changed: same shape and issuer, Luhn broken. */
export const luhnBrokenArb: fc.Arbitrary<string> = fc.tuple(anyCardArb, fc.nat(), fc.integer({ min: 1, max: 9 })).map(([card, at, add]) => {
  const d = card.digits;
  const i = 1 + (at % (d.length - 1)); // keep the issuer's first digit
  return d.slice(0, i) + String((Number(d[i]) + add) % 10) + d.slice(i + 1);
});

/** A Luhn-valid number whose first digit belongs to no card network (0, 7) at a card length. */
export const noIssuerArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('0', '7'), fc.integer({ min: 12, max: 19 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }))
  .map(([first, length, rest]) => completeLuhn(first + rest.join('').slice(0, length - 2)));

const digitsArb = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

/** Phone numbers in the national and international forms of the regions the scanner knows. */
export const phoneArb: fc.Arbitrary<string> = fc.oneof(
  digitsArb(4).map((d) => `(415) 555-${d}`),
  digitsArb(4).map((d) => `+1 415 555 ${d}`),
  digitsArb(4).map((d) => `020 7946 ${d}`),
  digitsArb(4).map((d) => `+44 20 7946 ${d}`),
  digitsArb(6).map((d) => `07700 9${d.slice(1)}`),
  digitsArb(8).map((d) => `+49 30 ${d}`),
  digitsArb(8).map((d) => `+33 1 ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4, 6)} ${d.slice(6)}`),
  digitsArb(7).map((d) => `+91 98${d.slice(0, 3)} ${d.slice(3)}0`),
  digitsArb(7).map((d) => `+61 4${d.slice(0, 2)} ${d.slice(2, 5)} ${d.slice(5)}0`),
);

/** Order and reference numbers as shops print them. */
export const orderNumberArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(digitsArb(6), digitsArb(2)).map(([a, b]) => `#${a}-${b}`),
  digitsArb(8).map((d) => `order ${d}`),
  fc.tuple(digitsArb(3), digitsArb(7), digitsArb(7)).map(([a, b, c]) => `${a}-${b}-${c}`),
  digitsArb(10).map((d) => `INV-${d}`),
);

/** USPS (IMpb, 22 digits from 9), UPS (1Z…) and DHL/FedEx long numbers, grouped the way carriers print them. */
export const trackingNumberArb: fc.Arbitrary<string> = fc.oneof(
  digitsArb(18).map((d) => `9400 ${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8, 12)} ${d.slice(12, 16)} ${d.slice(16)}`),
  digitsArb(18).map((d) => `9205${d}`),
  fc.tuple(fc.constantFrom('ABC', 'X9Y', '6E0', '0A2'), digitsArb(10)).map(([a, d]) => `1Z${a}${d.slice(0, 3)}${d.slice(3)}`),
  digitsArb(20).map((d) => `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8, 12)} ${d.slice(12, 16)} ${d.slice(16)}`).map((t) => `7${t.slice(1)}`),
);

/** IBANs with a valid check, written in fours and as one token. */
export const ibanArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('DE', 'FR', 'NL', 'GB', 'ES'), digitsArb(18), fc.boolean())
  .map(([country, body, spaced]) => {
    const bban = country === 'NL' ? `ABNA${body.slice(0, 10)}` : country === 'GB' ? `NWBK${body.slice(0, 14)}` : country === 'FR' ? `${body.slice(0, 10)}X${body.slice(11, 12)}${body.slice(12, 14)}${body.slice(0, 9)}` : country === 'ES' ? body.slice(0, 20).padEnd(20, '0') : body.slice(0, 18);
    const iban = withIbanCheck(country, bban);
    return spaced ? (iban.match(/.{1,4}/g) as string[]).join(' ') : iban;
  });

function withIbanCheck(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`;
  let rem = 0;
  for (const ch of rearranged) {
    const c = ch.charCodeAt(0);
    rem = c >= 65 ? (rem * 100 + (c - 55)) % 97 : (rem * 10 + (c - 48)) % 97;
  }
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}
