import { describe, expect, it } from 'vitest';
import { loadLists } from '../lists.js';
import { callbackReason } from './callback.js';

const brands = loadLists().brands;
const RECEIPT = 'Your annual subscription to Norton 360 has been renewed. Amount charged: $399.99. If you did not authorise this, call our billing desk at (808) 555-0143 within 24 hours.';

describe('callbackReason', () => {
  it('flags a fake renewal receipt with a number to call, from free mail', () => {
    const r = callbackReason({ text: RECEIPT, senderDomain: 'gmail.com', senderIsFreeMail: true, brands });
    expect(r?.code).toBe('content.callback_scam');
    expect(r?.evidence).toContain('$399.99');
    expect(r?.evidence).toContain('(808) 555-0143');
  });

  it('flags it from an unrelated domain when the text names a brand that mails from elsewhere', () => {
    const r = callbackReason({ text: RECEIPT, senderDomain: 'billing-desk.example', senderIsFreeMail: false, brands });
    expect(r?.evidence).toContain('Norton');
  });

  it('stays quiet for the brand itself, and without a brand from a company domain', () => {
    expect(callbackReason({ text: RECEIPT, senderDomain: 'norton.com', senderIsFreeMail: false, brands })).toBeNull();
    const own = 'Your Acme Hosting subscription renewed for $120.00. Questions? Call us at (212) 555-0188.';
    expect(callbackReason({ text: own, senderDomain: 'acme-hosting.example', senderIsFreeMail: false, brands })).toBeNull();
  });

  it('needs a phone number introduced as one, not any long number', () => {
    const text = 'Order number 8083714987 for $39.99 has shipped. Subscription renewed.';
    expect(callbackReason({ text, senderDomain: 'gmail.com', senderIsFreeMail: true, brands })).toBeNull();
  });

  it('also reads international numbers', () => {
    const text = 'Votre abonnement McAfee a été renouvelé: 299,00 EUR. Subscription questions: call +33 1 70 55 01 23.';
    expect(callbackReason({ text, senderDomain: 'orange.fr', senderIsFreeMail: true, brands })?.evidence).toContain('+33 1 70 55 01 23');
  });
});
