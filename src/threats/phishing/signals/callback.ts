/**
 * Callback phishing ("telephone-oriented attack delivery"): a fake receipt for a renewal or
 * order the reader never made, with a phone number to call to cancel it. The call is the
 * attack (remote-access tools, card details), so the mail carries no bad link at all.
 * Described in public threat reports (e.g. the FTC's warnings on fake Norton/Geek Squad/PayPal
 * renewal invoices, consumer.ftc.gov). Docs: decisions/0033.
 */
import type { BrandEntry } from '../lists.js';
import type { Reason } from '../types.js';

/**
 * "Call" (or phone, helpline, toll-free…) followed within a few words by a phone number
 * written with separators, North American "(808) 371-4987", "1-808-371-4987" or international
 * "+44 20 7946 0958". Order and serial numbers have no such shape.
 */
const CALL_PHONE = /\b(?:call|phone|tel|telephone|dial|helpline|hotline|toll[- ]?free|contact|reach)\b[^0-9\n]{0,60}?((?:\+?1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b|\+\d{1,3}(?:[\s.-]\d{1,4}){3,5}\b)/i;
/** An amount of money with its currency. */
const MONEY = /[$€£]\s?\d{1,3}(?:[,.]?\d{3})*(?:[.,]\d{2})?|\b\d{1,3}(?:[,.]?\d{3})*(?:[.,]\d{2})?\s?(?:usd|eur|gbp|dollars|euros)\b/i;
/** Billing words: the pretext of the fake receipt. */
const BILLING = /\b(?:renew(?:al|ed|s)?|auto[- ]?renew\w*|subscription|membership|charged|invoice|receipt|transaction|purchase|order (?:number|no|id|summary|confirm\w*)|billing)\b/i;

export interface CallbackInput {
  /** Subject and visible text, not normalised (numbers and punctuation matter here). */
  text: string;
  senderDomain: string;
  senderIsFreeMail: boolean;
  brands: readonly BrandEntry[];
}

export function callbackReason(input: CallbackInput): Reason | null {
  const text = input.text.length > 50_000 ? input.text.slice(0, 50_000) : input.text;
  const call = CALL_PHONE.exec(text);
  if (!call) return null;
  const phone = call[1] ?? '';
  const money = MONEY.exec(text);
  const billing = BILLING.exec(text);
  if (!money || !billing) return null;
  let who = '';
  if (input.senderIsFreeMail) who = `from a free-mail address (${input.senderDomain})`;
  else {
    const lower = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
    const brand = input.brands.find((b) => b.domains.length > 0 && !b.domains.includes(input.senderDomain) && b.names.some((n) => n.length >= 4 && lower.includes(` ${n.toLowerCase()} `)));
    if (!brand) return null;
    who = `naming ${brand.names[0]}, which mails from ${brand.domains.slice(0, 2).join(', ')}, from ${input.senderDomain || 'an unknown sender'}`;
  }
  return {
    code: 'content.callback_scam',
    weight: 0.25,
    evidence: `a ${billing[0].toLowerCase()} notice for ${money[0].trim()} with a phone number to call (${phone.trim()}) ${who}`,
  };
}
