/**
 * The message notice says what was removed and what was only flagged, apart:
 * a flagged phone number or IBAN is still shown in clear and must not be
 * listed under "removed before this was stored".
 */
import { describe, expect, it } from 'vitest';
import { summarizeRedactions } from '../src/agent/redactions.js';
import { en } from '../src/i18n/en/index.js';

describe('summarizeRedactions', () => {
  it('keeps removed and flagged types apart', () => {
    const s = summarizeRedactions([
      { field: 'body', type: 'payment_card', action: 'redact' },
      { field: 'body', type: 'phone', action: 'flag' },
      { field: 'body', type: 'card_expiry', action: 'flag' },
      { field: 'body', type: 'iban', action: 'flag' },
    ]);
    expect(s.removed).toEqual([['payment_card', 1]]);
    expect(s.flagged).toEqual([['phone', 1], ['card_expiry', 1], ['iban', 1]]);
  });

  it('counts a type once per copy when the HTML part repeats the text part', () => {
    const s = summarizeRedactions([
      { field: 'body', type: 'email', action: 'flag' },
      { field: 'html', type: 'email', action: 'flag' },
      { field: 'html', type: 'email', action: 'flag' },
      { field: 'attachment', type: 'payment_card', action: 'redact' },
    ]);
    expect(s).toEqual({ removed: [['payment_card', 1]], flagged: [['email', 2]] });
  });

  it('has text for both headings', () => {
    expect(en['agent.redaction.removed']).toMatch(/removed/);
    expect(en['agent.redaction.flaggedAlso']).toMatch(/still shown/);
  });
});
