import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { buildContext, buildMessage } from '../testing.js';
import { looksGeneratedMailbox, roleNameUnrelated } from './sender.js';

const codes = (from: { name: string; address: string }) => analyzeMessage(buildMessage({ from }), buildContext()).reasons.map((r) => r.code);

describe('looksGeneratedMailbox', () => {
  it('sees consonant runs and letter-digit interleaving', () => {
    for (const l of ['xqwrtzlp', 'ripmhnxk', 'k7v2mq9zt', 'newsletterwgbtc']) expect(looksGeneratedMailbox(l), l).toBe(true);
  });
  it('passes names, words, initials and names from other languages', () => {
    for (const l of ['jane.customer', 'noreply', 'ville.skytta', 'conor_wynne', 'jsmith', 'support-team', 'przybylski', 'info2024', 'a.b', 'sdw']) {
      expect(looksGeneratedMailbox(l), l).toBe(false);
    }
  });
});

describe('new sender signals', () => {
  it('notes a machine-made mailbox name, weakly', () => {
    const c = codes({ name: 'Deals', address: 'qzkvwtrx@shop.example.net' });
    expect(c).toContain('sender.generated_mailbox');
    expect(analyzeMessage(buildMessage({ from: { name: 'Deals', address: 'qzkvwtrx@shop.example.net' } }), buildContext()).verdict).toBe('clean');
  });
  it('notes a sender on a free hosting platform', () => {
    expect(codes({ name: 'Rewards', address: 'noreply@promo-12ab.firebaseapp.com' })).toContain('sender.free_hosting');
    expect(codes({ name: 'Jane', address: 'jane@acme-corp.com' })).not.toContain('sender.free_hosting');
  });
});

describe('roleNameUnrelated', () => {
  const roles = ['billing', 'alert', 'team', 'security', 'support', 'kundenservice'];
  it('names the role word when the name shares nothing with the address', () => {
    expect(roleNameUnrelated('Billing Alert.', 'xkq@pier.mailer-example.net', roles)).toBe('billing');
    expect(roleNameUnrelated('Kundenservice', 'info@shop-versand.example', roles)).toBe('kundenservice');
  });
  it('passes names tied to the mailbox or the domain, and personal names', () => {
    expect(roleNameUnrelated('Acme Billing', 'billing@acme.com', roles)).toBeNull();
    expect(roleNameUnrelated('Acme Support', 'help@acme-mail.com', roles)).toBeNull();
    expect(roleNameUnrelated('Security Team', 'security@vendor.example', roles)).toBeNull();
    expect(roleNameUnrelated('Jane Customer', 'jane@acme-corp.com', roles)).toBeNull();
  });
  it('does not flag a message by itself', () => {
    const a = analyzeMessage(buildMessage({ from: { name: 'Payment Team', address: 'jane@acme-corp.com' } }), buildContext());
    expect(a.reasons.map((r) => r.code)).toContain('sender.role_name_unrelated');
    expect(a.verdict).toBe('clean');
  });
});
