import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLuhnValid } from './checksums.js';
import { detectSensitiveData } from './detect.js';
import { normalizeForDetection, originalSpan } from './normalize.js';
import { redactSensitiveData } from './redact.js';

/*
 * Invariant 1 for the ways a card number gets disguised: whatever the form,
 * the full number is found and, after redaction, cannot be read back from the
 * text, even after undoing the same disguise.
 */

function completeLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (isLuhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

export const cardArb = fc
  .tuple(fc.constantFrom('4', '51', '2221', '6011', '3530'), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 20, maxLength: 20 }))
  .map(([prefix, ds]) => completeLuhn(prefix + ds.join('').slice(0, 15 - prefix.length)));

const fours = (card: string) => card.match(/.{1,4}/g) as string[];
const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
const arabicIndic = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const decimalRef = (s: string) => s.replace(/[0-9]/g, (d) => `&#${48 + Number(d)};`);
const hexRef = (s: string) => s.replace(/[0-9]/g, (d) => `&#x${(48 + Number(d)).toString(16)};`);

const DISGUISES: Record<string, { write: (card: string) => string; html?: boolean }> = {
  'dots between fours': { write: (c) => fours(c).join('.') },
  'a space between every digit': { write: (c) => c.split('').join(' ') },
  'two spaces between fours of spaced digits': { write: (c) => fours(c).map((g) => g.split('').join(' ')).join('  ') },
  'a dot between every digit': { write: (c) => c.split('').join('.') },
  'slashes with spaces': { write: (c) => fours(c).join(' / ') },
  'underscores': { write: (c) => fours(c).join('_') },
  'no-break spaces': { write: (c) => fours(c).join('\u00a0') },
  'zero-width spaces': { write: (c) => fours(c).join('\u200b') },
  'en dashes': { write: (c) => fours(c).join('\u2013') },
  'full-width digits': { write: (c) => fullWidth(c) },
  'full-width digits with ideographic spaces': { write: (c) => fours(c).map(fullWidth).join('\u3000') },
  'Arabic-Indic digits': { write: (c) => fours(c).map(arabicIndic).join(' ') },
  'HTML decimal references': { write: (c) => decimalRef(c), html: true },
  'HTML hex references with &nbsp;': { write: (c) => fours(c).map(hexRef).join('&nbsp;'), html: true },
};

const fillerArb = fc.constantFrom('Hello, please charge ', 'My number: ', 'Thanks! ', '', 'Your order is ready. Use ');

describe.each(Object.entries(DISGUISES))('a card written with %s', (_name, { write, html }) => {
  it('is detected, and redaction leaves no full number even after normalising', () => {
    fc.assert(
      fc.property(cardArb, fillerArb, (card, before) => {
        const text = `${before}${write(card)} — thanks`;
        const findings = detectSensitiveData(text, { html });
        expect(findings.some((f) => f.type === 'payment_card')).toBe(true);
        const out = redactSensitiveData(text, undefined, { html }).text;
        const digits = normalizeForDetection(out, { html: true }).text.replace(/\D/g, '');
        expect(digits.includes(card)).toBe(false);
        // The middle six never remain. Redaction keeps the first six and the last four (PCI DSS 3.4), so a card whose
        // middle six appear there too (3530003530000006: BIN 353000, middle 353000) proves nothing either way.
        const kept = card.slice(0, 6) + card.slice(-4);
        if (!kept.includes(card.slice(6, 12))) expect(digits.includes(card.slice(6, 12))).toBe(false);
        expect(digits.includes(card.slice(0, 12))).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

describe('normalised spans map back to the original text', () => {
  it('a span of the normalised view covers exactly the characters that produced it', () => {
    const text = 'x &#52;\u200b\uff12 y';
    const norm = normalizeForDetection(text, { html: true });
    expect(norm.text).toBe('x 42 y');
    expect(originalSpan(norm, 2, 4)).toEqual({ start: 2, end: text.indexOf(' y') });
  });

  it('leaves plain ASCII text alone (no map)', () => {
    expect(normalizeForDetection('card 4111 1111 1111 1111').starts).toBeUndefined();
  });

  it('leaves text alone when its non-ASCII characters change nothing (no map), and not when one does', () => {
    expect(normalizeForDetection('Total €190.57 for the café, naïve 😀 ok').starts).toBeUndefined();
    expect(normalizeForDetection('Total €190.57 for the café, naïve 😀 ok').text).toBe('Total €190.57 for the café, naïve 😀 ok');
    expect(normalizeForDetection('Tom &amp; Jerry', { html: true }).starts).toBeDefined();
    expect(normalizeForDetection('R&D &c', { html: true }).starts).toBeUndefined();
    expect(normalizeForDetection('€ 😀 ４').text).toBe('€ 😀 4');
  });

  it('does not decode references in plain text', () => {
    expect(normalizeForDetection('&#52;').text).toBe('&#52;');
  });
});

describe('what a loose separator must not turn into a card', () => {
  it.each([
    ['a phone number with dots', 'Call me on 020.7946.0958 or +44.20.7946.0958'],
    ['an IP address list', 'Hosts 192.168.101.201 and 10.20.30.40'],
    ['a date and a time', 'On 2024/03/14 at 10.30.45 the order 4521 shipped'],
    ['a table of small numbers', 'Scores: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15'],
    ['spaced digits that fail Luhn', '4 2 9 7 2 5 5 9 4 6 2 8 5 2 9 8'],
  ])('%s', (_name, text) => {
    expect(detectSensitiveData(text).filter((f) => f.type === 'payment_card')).toEqual([]);
  });
});
