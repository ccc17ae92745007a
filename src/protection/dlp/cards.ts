import { isLuhnValid } from './checksums.js';

/**
 * Issuer identification number ranges and valid lengths per brand, as published
 * by the networks (checked against ISO/IEC 7812 registrations, 2024). A PAN must
 * match a range AND a length AND Luhn. The JCB 1800/2131 15-digit ranges are
 * legacy but still found on issued cards, so they stay. Ranges are tried in
 * order, so the broad Maestro ranges (50, 56-69: every debit card outside the
 * named networks, including Verve's 506099-506198 and 650002-650027) come last
 * and only name the brand when nothing narrower does (decision 0166).
 */
interface IinRange {
  brand: string;
  /** Inclusive numeric prefix range; both ends have the same digit count. */
  from: number;
  to: number;
  lengths: readonly number[];
}

const r = (brand: string, from: number, to: number, lengths: readonly number[]): IinRange => ({ brand, from, to, lengths });
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const IIN_RANGES: readonly IinRange[] = [
  r('visa', 4, 4, [13, 16, 19]),
  r('mastercard', 51, 55, [16]),
  r('mastercard', 2221, 2720, [16]),
  r('amex', 34, 34, [15]),
  r('amex', 37, 37, [15]),
  r('discover', 6011, 6011, range(16, 19)),
  r('discover', 644, 649, range(16, 19)),
  r('discover', 65, 65, range(16, 19)),
  r('jcb', 3528, 3589, range(16, 19)),
  r('jcb', 1800, 1800, [15]),
  r('jcb', 2131, 2131, [15]),
  r('diners', 300, 305, range(14, 19)),
  r('diners', 3095, 3095, range(14, 19)),
  r('diners', 36, 36, range(14, 19)),
  r('diners', 38, 39, range(14, 19)),
  r('unionpay', 62, 62, range(16, 19)),
  r('mir', 2200, 2204, range(16, 19)),
  r('maestro', 5018, 5018, range(12, 19)),
  r('maestro', 5020, 5020, range(12, 19)),
  r('maestro', 5038, 5038, range(12, 19)),
  r('maestro', 5893, 5893, range(12, 19)),
  r('maestro', 6304, 6304, range(12, 19)),
  r('maestro', 6759, 6759, range(12, 19)),
  r('maestro', 6761, 6763, range(12, 19)),
  r('rupay', 81, 82, [16]),
  r('rupay', 508, 508, [16]),
  r('borica', 2205, 2205, [16]),
  r('uzcard', 8600, 8600, [16]),
  r('humo', 9860, 9860, [16]),
  r('troy', 9792, 9792, [16]),
  r('maestro', 50, 50, range(12, 19)),
  r('maestro', 56, 69, range(12, 19)),
];

/** The brand whose range and length fit these digits, or undefined. */
export function identifyCardBrand(digits: string): string | undefined {
  const len = digits.length;
  for (const iin of IIN_RANGES) {
    const width = String(iin.from).length;
    if (len < width) continue;
    const prefix = Number(digits.slice(0, width));
    if (prefix >= iin.from && prefix <= iin.to && iin.lengths.includes(len)) return iin.brand;
  }
  return undefined;
}

/** Brand if the digits are a plausible PAN: issuer range, length and Luhn. */
export function classifyCardNumber(digits: string): string | undefined {
  if (digits.length < 12 || digits.length > 19) return undefined;
  const brand = identifyCardBrand(digits);
  if (brand === undefined || !isLuhnValid(digits)) return undefined;
  return brand;
}

/**
 * Card numbers are written either as one run or in groups: a first group of 4
 * then groups of 3 to 6 (Amex/Diners 4-6-5, 4-6-4, the usual 4-4-4-4,
 * 4-4-4-4-3), or fours with whatever is left at the end (a 14-digit Diners as
 * 4-4-4-2, a 13-digit Visa as 4-4-4-1, an 18-digit UnionPay as 4-4-4-4-2).
 * Phone numbers (groups of 2-3, parentheses, a plus) and dates fail this shape.
 */
export function isCardGrouping(groupLengths: readonly number[]): boolean {
  if (groupLengths.length === 1) return true;
  if (groupLengths[0] !== 4) return false;
  let fours = true;
  let threeToSix = true;
  const last = groupLengths.length - 1;
  for (let i = 1; i < groupLengths.length; i++) {
    const g = groupLengths[i] as number;
    if (g < 3 || g > 6) threeToSix = false;
    if (i < last ? g !== 4 : g < 1 || g > 4) fours = false;
  }
  return threeToSix || fours;
}
