import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLuhnValid } from './checksums.js';
import { detectSensitiveData } from './detect.js';
import { redactSensitiveData } from './redact.js';

/*
 * Bounded time is shown indirectly: every input below is large and built
 * against one scanner; a super-linear path would blow the test timeout.
 * No assertion measures time.
 */
const MB = 1 << 20;
const HOSTILE: Record<string, string> = {
  'digits': '4'.repeat(MB),
  'digit-space': '4 '.repeat(MB / 2),
  'digit-dash': '41-'.repeat(MB / 3),
  'four-groups': '4111 '.repeat(MB / 5),
  'dotted': '1.'.repeat(MB / 2),
  'colons': 'a:'.repeat(MB / 2),
  'hex-colons': 'ffff:'.repeat(MB / 5),
  'at-signs': 'a@'.repeat(MB / 2),
  'email-ish': 'a.'.repeat(MB / 4) + '@' + 'b.'.repeat(MB / 4),
  'base64': 'QUJD'.repeat(MB / 4),
  'jwt-prefix': 'eyJ'.repeat(MB / 3),
  'aws-prefix': 'AKIA'.repeat(MB / 4),
  'whitespace': ' '.repeat(MB) + '4111111111111111',
  'tabs-newlines': '\t\n'.repeat(MB / 2),
  'context-words': 'card password code token dob '.repeat(MB / 30),
  'context-values': 'password: x '.repeat(MB / 12),
  'iban-starts': 'GB82 '.repeat(MB / 5),
  'nino-starts': 'AB 12 '.repeat(MB / 6),
  'pem-begins': '-----BEGIN PRIVATE KEY-----'.repeat(MB / 27),
  'parens': '(1)'.repeat(MB / 3),
  'plus': '+1 '.repeat(MB / 3),
  'phones': '(415) 555-2671 '.repeat(MB / 60),
  'wrapped-fours': '4111 \n'.repeat(MB / 6),
  'mixed-fours': '4111-1111.'.repeat(MB / 10),
  'digit-lines': '4\n'.repeat(MB / 2),
};

describe('hostile inputs', () => {
  for (const [name, text] of Object.entries(HOSTILE)) {
    it(`finishes on ${name} (${(text.length / MB).toFixed(1)} MB)`, { timeout: 20_000 }, () => {
      const findings = detectSensitiveData(text);
      for (let i = 1; i < findings.length; i++) expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.end);
      const { text: out } = redactSensitiveData(text);
      expect(typeof out).toBe('string');
    });
  }

  it('still finds the card after a megabyte of whitespace', () => {
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
