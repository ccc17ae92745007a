import { describe, expect, it } from 'vitest';
import { DEFAULT_DLP_POLICY, containsSensitiveData, maskCardNumber, redactSensitiveData } from './redact.js';
import type { DlpPolicy } from './types.js';

describe('redactSensitiveData', () => {
  it('keeps first six and last four of a card, removes credentials, flags the rest in place', () => {
    const text = 'Card 4111 1111 1111 1111 cvv 123, password: hunter22, mail jo@example.com';
    const { text: out, redactions } = redactSensitiveData(text);
    expect(out).toBe('Card 4111 11** **** 1111 cvv [redacted:card_security_code], password: [redacted:password], mail jo@example.com');
    expect(redactions.map((r) => [r.type, r.action, out.slice(r.start, r.end)])).toEqual([
      ['payment_card', 'redact', '4111 11** **** 1111'],
      ['card_security_code', 'redact', '[redacted:card_security_code]'],
      ['password', 'redact', '[redacted:password]'],
      ['email', 'flag', 'jo@example.com'],
    ]);
  });

  it('supports last-four card redaction and per-type actions', () => {
    const policy: DlpPolicy = { cardRedaction: 'last4', actions: { ...DEFAULT_DLP_POLICY.actions, email: 'redact', phone: 'ignore' } };
    const { text, redactions } = redactSensitiveData('4111-1111-1111-1111 a@b.co call +44 20 7946 0958', policy);
    expect(text).toBe('****-****-****-1111 [redacted:email] call +44 20 7946 0958');
    expect(redactions.map((r) => r.type)).toEqual(['payment_card', 'email']);
  });

  it('never shows more than len-6 digits of a short card', () => {
    expect(maskCardNumber('501864667909', 'first6last4')).toBe('50******7909');
    expect(maskCardNumber('378282246310005', 'first6last4')).toBe('37828******0005');
    expect(maskCardNumber('4111111111111111', 'first6last4')).toBe('411111******1111');
  });

  it('leaves text without findings untouched', () => {
    const text = 'Hello, my order arrived late. Thanks!';
    expect(redactSensitiveData(text)).toEqual({ text, redactions: [] });
  });
});

describe('containsSensitiveData', () => {
  it('is true for flagged or redacted types and false when the policy ignores them', () => {
    expect(containsSensitiveData('IBAN GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(containsSensitiveData('no data here')).toBe(false);
    const ignoreIban: DlpPolicy = { ...DEFAULT_DLP_POLICY, actions: { ...DEFAULT_DLP_POLICY.actions, iban: 'ignore' } };
    expect(containsSensitiveData('IBAN GB82 WEST 1234 5698 7654 32', ignoreIban)).toBe(false);
  });
});
