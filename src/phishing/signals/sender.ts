/** Sender signals: lookalike domains, display-name impersonation, Reply-To, first contact. */
import { domainOfAddress, registrableDomain, skeleton } from '../domains.js';
import { normalizeWords, truncateForEvidence } from '../text.js';
import type { Lists } from '../lists.js';
import type { AnalysisContext, HeaderMap, ParsedAddress, Reason } from '../types.js';
import { describeLookalike, findLookalike, hostScriptReasons, lookalikeWeight } from './lookalike.js';
import type { ProtectedIndex } from './lookalike.js';

export interface SenderContext {
  ctx: AnalysisContext;
  lists: Lists;
  protectedIndex: ProtectedIndex;
  orgRegistrable: ReadonlySet<string>;
}

/** Skeleton of a display name's words, so "Jоhn Smith" (Cyrillic o) equals "John Smith". */
function nameKey(s: string): string {
  return normalizeWords(skeleton(s));
}

const EMAIL_IN_NAME = /[a-z0-9._%+-]{1,64}@([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6})/i;

export function senderReasons(from: ParsedAddress | null, replyTo: readonly ParsedAddress[], headers: HeaderMap, sc: SenderContext): Reason[] {
  const reasons: Reason[] = [];
  if (!from || !from.address.includes('@')) {
    reasons.push({ code: 'sender.missing', weight: 0.2, evidence: 'the message has no usable From address' });
    return reasons;
  }
  const host = domainOfAddress(from.address);
  const reg = registrableDomain(host);
  const isOrg = sc.orgRegistrable.has(reg);
  const isFree = sc.lists.freeMail.has(reg) || sc.lists.freeMail.has(host);
  const where = isFree ? `the free-mail address ${from.address}` : `${from.address}`;

  const hit = findLookalike(host, sc.protectedIndex);
  if (hit) reasons.push({ code: `sender.lookalike_${hit.target.kind}`, weight: lookalikeWeight(hit) + 0.1, evidence: `sender domain ${describeLookalike(host, hit)}` });
  reasons.push(...hostScriptReasons(host, 'sender'));

  const name = from.name.trim();
  if (name && !isOrg) {
    const key = nameKey(name);
    const staff = sc.ctx.staff.find((s) => s.name.trim() && key.includes(nameKey(s.name)) && s.email.toLowerCase() !== from.address);
    if (staff) {
      reasons.push({
        code: staff.executive ? 'sender.executive_impersonation' : 'sender.staff_impersonation',
        weight: staff.executive ? 0.7 : 0.55,
        evidence: `display name "${truncateForEvidence(name, 60)}" matches ${staff.executive ? 'executive' : 'staff member'} ${staff.name}, but the address is ${where}`,
      });
    }
    const ownBrand = sc.ctx.brandNames.find((b) => b.trim() && key.includes(nameKey(b)));
    if (ownBrand) {
      reasons.push({ code: 'sender.org_brand_impersonation', weight: 0.55, evidence: `display name "${truncateForEvidence(name, 60)}" uses your brand ${ownBrand}, but the address is ${where}` });
    } else {
      const brand = sc.lists.brands.find((b) => b.names.some((n) => key.includes(nameKey(n))));
      if (brand && !brand.domains.includes(reg)) {
        const claimed = brand.names.find((n) => key.includes(nameKey(n))) ?? brand.names[0] ?? '';
        const legit = brand.domains.length ? brand.domains.slice(0, 2).join(', ') : 'your own domain';
        reasons.push({
          code: brand.domains.length ? 'sender.brand_impersonation' : 'sender.service_impersonation',
          weight: isFree ? 0.55 : 0.45,
          evidence: `display name "${truncateForEvidence(name, 60)}" claims to be ${claimed}, which mails from ${legit}, but the address is ${where}`,
        });
      }
    }
    const shown = EMAIL_IN_NAME.exec(name.slice(0, 256));
    if (shown && registrableDomain(shown[1]!.toLowerCase()) !== reg) {
      reasons.push({ code: 'sender.display_address_mismatch', weight: 0.4, evidence: `display name shows ${shown[0]} but the message is from ${from.address}` });
    }
  }

  const listIds = (headers.get('list-id') ?? []).concat(headers.get('list-post') ?? []).join(' ').toLowerCase();
  for (const rt of replyTo.slice(0, 5)) {
    if (!rt.address.includes('@') || rt.address === from.address) continue;
    const rtReg = registrableDomain(domainOfAddress(rt.address));
    // A mailing list pointing replies at itself is ordinary list behaviour.
    if (rtReg === reg || (listIds && listIds.includes(rtReg))) continue;
    const rtFree = sc.lists.freeMail.has(rtReg);
    reasons.push({
      code: rtFree ? 'sender.reply_to_freemail' : 'sender.reply_to_diverges',
      weight: rtFree && !isFree ? 0.4 : 0.2,
      evidence: `replies go to ${rt.address}, not to the sender ${from.address}`,
    });
    break;
  }

  if (sc.ctx.knownSenderDomains && !isFree && !isOrg && !sc.ctx.knownSenderDomains.has(reg)) {
    reasons.push({ code: 'sender.first_contact', weight: 0.1, evidence: `first message ever from ${reg}` });
  }
  const tld = reg.split('.').pop() ?? '';
  if (sc.lists.riskyTlds.has(tld) && !isOrg) reasons.push({ code: 'sender.risky_tld', weight: 0.1, evidence: `sender domain ${reg} uses .${tld}, often abused` });
  return reasons;
}

/** Whether an address or its domain is on a list of addresses and domains. */
export function listMatch(address: string, list: readonly string[]): string | null {
  const a = address.toLowerCase();
  const host = domainOfAddress(a);
  const reg = registrableDomain(host);
  for (const raw of list) {
    const e = raw.trim().toLowerCase().replace(/^@/, '');
    if (!e) continue;
    if (e.includes('@') ? e === a : e === host || e === reg) return raw;
  }
  return null;
}
