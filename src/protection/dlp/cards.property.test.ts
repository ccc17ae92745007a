import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cardSentenceArb,
  ibanArb,
  luhnBrokenArb,
  noIssuerArb,
  orderNumberArb,
  phoneArb,
  trackingNumberArb,
  writtenCardArb,
} from './__fixtures__/card-numbers.js';
import { detectSensitiveData } from './detect.js';
import { redactSensitiveData } from './redact.js';
import type { Finding } from './types.js';

/*
 * Issue 14, "every card number" (decision 0166): every issuer family at every
 * length it is issued in, in every grouping and with every separator people
 * type — one, a mix, or a line break — is found whole, and the numbers that
 * only look like cards (phone, order and tracking numbers, IBANs, a card with a
 * digit wrong) are not. The generator's issuer table is written from the
 * networks' ranges, not copied from cards.ts.
 */

const cardsIn = (findings: readonly Finding[]) => findings.filter((f) => f.type === 'payment_card');

describe('every generated card', () => {
  it('is found whole, never as a phone number, in any sentence', () => {
    fc.assert(
      fc.property(writtenCardArb, cardSentenceArb, (card, [before, after]) => {
        const text = `${before}${card.text}${after}`;
        const start = before.length;
        const end = start + card.text.length;
        const findings = detectSensitiveData(text);
        const covering = cardsIn(findings).filter((f) => f.start <= start && f.end >= end);
        expect(covering, `${card.brand} written ${card.how}: ${JSON.stringify(text)}`).toHaveLength(1);
        // The card wins any overlap: a false redaction costs less than a stored card.
        expect(findings.filter((f) => f.type === 'phone' && f.start < end && f.end > start)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves no full number behind once redacted, nor the six digits that are always hidden', () => {
    fc.assert(
      fc.property(writtenCardArb, cardSentenceArb, (card, [before, after]) => {
        const text = `${before}${card.text}${after}`;
        const redacted = redactSensitiveData(text).text;
        expect(redacted.replace(/\D/g, '').includes(card.digits)).toBe(false);
        // Masking keeps the text's length, so the card's place can be read off: at least six of its digits hidden.
        expect(redacted).toHaveLength(text.length);
        const shown = redacted.slice(before.length, before.length + card.text.length).replace(/\D/g, '');
        expect(shown.length, `${card.brand} ${card.how}: ${redacted}`).toBeLessThanOrEqual(card.digits.length - 6);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('numbers that look like cards and are not', () => {
  it.each([
    ['a card number with one digit wrong', luhnBrokenArb],
    ['a Luhn-valid number outside every issuer range', noIssuerArb],
    ['an order or reference number', orderNumberArb],
    ['a parcel tracking number', trackingNumberArb],
    ['an IBAN', ibanArb],
  ])('%s is no card', (_name, arb) => {
    fc.assert(
      fc.property(arb, fc.constantFrom('see ', 'ref: ', 'Hi, it is ', ''), (value, before) => {
        expect(cardsIn(detectSensitiveData(`${before}${value} thanks`))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('a phone number stays a phone number', () => {
    fc.assert(
      fc.property(phoneArb, (phone) => {
        const text = `call me on ${phone} after five`;
        const types = detectSensitiveData(text).map((f) => f.type);
        expect(types).toEqual(['phone']);
      }),
      { numRuns: 1000 },
    );
  });

  it('an IBAN stays an IBAN', () => {
    fc.assert(
      fc.property(ibanArb, (iban) => {
        expect(detectSensitiveData(`refund to ${iban} please`).map((f) => f.type)).toEqual(['iban']);
      }),
      { numRuns: 500 },
    );
  });
});
