import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLuhnValid } from './checksums.js';
import { detectSensitiveData } from './detect.js';
import { redactSensitiveData } from './redact.js';

/*
 * Bounded time is shown indirectly: every input below is large and built
 * against one scanner; a super-linear path would blow the test timeout.
 * No assertion measures time. A quarter of a megabyte is enough for that: a
 * quadratic path over 256 KB is tens of billions of steps, while the linear
 * scanners take well under a second (the timings live in `npm run bench:dlp`).
 */
const SIZE = 1 << 18;
const HOSTILE: Record<string, string> = {
  'digits': '4'.repeat(SIZE),
  'digit-space': '4 '.repeat(SIZE / 2),
  'digit-dash': '41-'.repeat(SIZE / 3),
  'four-groups': '4111 '.repeat(SIZE / 5),
  'dotted': '1.'.repeat(SIZE / 2),
  'colons': 'a:'.repeat(SIZE / 2),
  'hex-colons': 'ffff:'.repeat(SIZE / 5),
  'at-signs': 'a@'.repeat(SIZE / 2),
  'email-ish': 'a.'.repeat(SIZE / 4) + '@' + 'b.'.repeat(SIZE / 4),
  'base64': 'QUJD'.repeat(SIZE / 4),
  'jwt-prefix': 'eyJ'.repeat(SIZE / 3),
  'aws-prefix': 'AKIA'.repeat(SIZE / 4),
  'whitespace': ' '.repeat(SIZE) + '4111111111111111',
  'tabs-newlines': '\t\n'.repeat(SIZE / 2),
  'context-words': 'card password code token dob '.repeat(SIZE / 30),
  'context-values': 'password: x '.repeat(SIZE / 12),
  'iban-starts': 'GB82 '.repeat(SIZE / 5),
  'nino-starts': 'AB 12 '.repeat(SIZE / 6),
  'pem-begins': '-----BEGIN PRIVATE KEY-----'.repeat(SIZE / 27),
  'parens': '(1)'.repeat(SIZE / 3),
  'plus': '+1 '.repeat(SIZE / 3),
  'phones': '(415) 555-2671 '.repeat(SIZE / 60),
  'wrapped-fours': '4111 \n'.repeat(SIZE / 6),
  'mixed-fours': '4111-1111.'.repeat(SIZE / 10),
  'digit-lines': '4\n'.repeat(SIZE / 2),
};

describe('hostile inputs', () => {
  for (const [name, text] of Object.entries(HOSTILE)) {
    it(`finishes on ${name} (${(text.length / 1024).toFixed(0)} KB)`, { timeout: 20_000 }, () => {
      const findings = detectSensitiveData(text);
      for (let i = 1; i < findings.length; i++) expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.end);
      const { text: out } = redactSensitiveData(text);
      expect(typeof out).toBe('string');
    });
  }

  it('still finds the card after 256 KB of whitespace', () => {
    expect(detectSensitiveData(HOSTILE['whitespace']!).map((f) => f.type)).toEqual(['payment_card']);
  });
});

/** A Luhn-valid number with the given prefix and length. */
function completeLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (isLuhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

const cardArb = fc
  .tuple(fc.constantFrom('4', '51', '2221', '34', '37', '6011', '3530', '36'), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 20, maxLength: 20 }))
  .map(([prefix, ds]) => {
    const len = prefix === '34' || prefix === '37' ? 15 : prefix === '36' ? 14 : 16;
    return completeLuhn(prefix + ds.join('').slice(0, len - prefix.length - 1));
  });
const sepArb = fc.constantFrom('', ' ', '-');
const fillerArb = fc.string({ maxLength: 40 }).map((s) => ` ${s} `);

/** Printed groupings: 4-6-5 (Amex), 4-6-4 (Diners), otherwise fours. */
function groupCard(card: string, sep: string): string {
  if (sep === '') return card;
  if (card.length === 15 || card.length === 14) return [card.slice(0, 4), card.slice(4, 10), card.slice(10)].join(sep);
  return card.match(/.{1,4}/g)!.join(sep);
}

const allDigitRuns = (s: string) => s.match(/\d+/g) ?? [];

describe('redaction invariants', () => {
  it('a detected card never survives redaction as a full digit run', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fillerArb, cardArb, sepArb), { minLength: 1, maxLength: 5 }), fillerArb, (parts, tail) => {
        const text = parts.map(([f, c, s]) => f + groupCard(c, s)).join('') + tail;
        const cards = detectSensitiveData(text)
          .filter((f) => f.type === 'payment_card')
          .map((f) => text.slice(f.start, f.end).replace(/\D/g, ''));
        const out = redactSensitiveData(text).text;
        const outDigits = allDigitRuns(out.replace(/[ -]/g, ''));
        for (const card of cards) {
          expect(isLuhnValid(card)).toBe(true);
          expect(outDigits.some((run) => run.includes(card))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every generated card in neutral filler is detected', () => {
    fc.assert(
      fc.property(cardArb, sepArb, (card, sep) => {
        const text = `Hello, please use ${groupCard(card, sep)} for the payment.`;
        expect(detectSensitiveData(text).some((f) => f.type === 'payment_card')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('redaction positions describe the output, and the text between them is unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fillerArb, fc.oneof(cardArb, fc.constant('a@b.co'), fc.constant('password: s3cr3t!'), fc.constant('10.1.2.3'))), { maxLength: 6 }), (parts) => {
        const text = parts.map(([f, v]) => f + v).join('');
        const findings = detectSensitiveData(text);
        const { text: out, redactions } = redactSensitiveData(text);
        expect(redactions.length).toBe(findings.length);
        let inPos = 0;
        let outPos = 0;
        redactions.forEach((r, i) => {
          const f = findings[i]!;
          expect(r.type).toBe(f.type);
          expect(out.slice(outPos, r.start)).toBe(text.slice(inPos, f.start));
          if (r.action === 'flag') expect(out.slice(r.start, r.end)).toBe(text.slice(f.start, f.end));
          inPos = f.end;
          outPos = r.end;
        });
        expect(out.slice(outPos)).toBe(text.slice(inPos));
      }),
      { numRuns: 300 },
    );
  });

  it('detection never throws and always returns in-range, ordered spans on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (text) => {
        const fs = detectSensitiveData(text);
        let last = 0;
        for (const f of fs) {
          expect(f.start).toBeGreaterThanOrEqual(last);
          expect(f.end).toBeGreaterThan(f.start);
          expect(f.end).toBeLessThanOrEqual(text.length);
          last = f.end;
        }
      }),
      { numRuns: 500 },
    );
  });
});
