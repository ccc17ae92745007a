/**
 * Recognising mail written by machines (pure): auto-replies, bounces, list
 * mail. Such messages are stored, but never answered automatically and never
 * reopen a ticket, so two systems cannot talk to each other forever.
 */
import type { HeaderMap } from '../../threats/phishing/index.js';

const DAEMONS = /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@._-]|$)/i;

export function detectAutoSubmitted(input: { headers: HeaderMap; envelopeFrom: string; fromAddress: string }): string | null {
  const h = (name: string) => input.headers.get(name)?.[0]?.trim().toLowerCase() ?? '';
  const auto = h('auto-submitted');
  if (auto && auto !== 'no') return `auto-submitted:${auto.split(/[\s;]/)[0]}`;
  if (input.envelopeFrom === '' || input.envelopeFrom === '<>') return 'null-sender';
  if (h('return-path') === '<>') return 'null-return-path';
  if (DAEMONS.test(input.fromAddress) || DAEMONS.test(input.envelopeFrom)) return 'daemon-sender';
  if (h('x-autoreply') || h('x-autorespond') || h('x-auto-response-suppress').includes('all')) return 'autoreply-header';
  const precedence = h('precedence');
  if (precedence === 'bulk' || precedence === 'junk' || precedence === 'list' || precedence === 'auto_reply') return `precedence:${precedence}`;
  if (h('list-id') || h('list-unsubscribe')) return 'list-mail';
  const ct = h('content-type');
  if (ct.startsWith('multipart/report')) return 'delivery-report';
  return null;
}
