/** Sender signals: lookalike domains, display-name impersonation, Reply-To, first contact. */
import { domainOfAddress, isIpHost, publicSuffix, registrableDomain, skeleton } from '../domains.js';
import { normalizeWords, truncateForEvidence } from '../text.js';
import type { BrandEntry, Lists } from '../lists.js';
import type { AnalysisContext, HeaderMap, ParsedAddress, Reason } from '../types.js';
import { hostSuffixes, shownDomain } from './links.js';
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

/**
 * A delivery report (RFC 3464: multipart/report, report-type delivery-status). The mail server
 * that bounces a message writes its own From, often "MAILER-DAEMON" with no domain or an internal
 * host name; in such a report that fault is how bounces look, not a forgery (decision 0170).
 */
export function isDeliveryReport(headers: HeaderMap): boolean {
  const type = (headers.get('content-type') ?? []).join(' ').slice(0, 512);
  if (/multipart\/report/i.test(type) && /report-type\s*=\s*"?delivery-status/i.test(type)) return true;
  // Bounces in the older formats (decision 0188): Exim names the failed addresses in
  // X-Failed-Recipients; qmail, Sendmail and others write a plain-text bounce from the mailer daemon.
  if (headers.has('x-failed-recipients')) return true;
  const from = (headers.get('from') ?? []).join(' ').slice(0, 256);
  return /(?:^|[\s<"])mailer-daemon(?:$|[\s>@"])/i.test(from);
}

/** A malformed sender on a delivery report still counts, but never warns alone. */
const REPORT_SENDER_FAULT = 0.2;

export function senderReasons(from: ParsedAddress | null, replyTo: readonly ParsedAddress[], headers: HeaderMap, sc: SenderContext): Reason[] {
  const reasons: Reason[] = [];
  const report = isDeliveryReport(headers);
  if (!from || !from.address.includes('@')) {
    reasons.push(report
      ? { code: 'sender.missing', weight: REPORT_SENDER_FAULT, evidence: 'a delivery report with no usable From address (mail servers often send bounces so)' }
      : { code: 'sender.missing', weight: 0.45, evidence: 'the message has no usable From address' });
    return reasons;
  }
  const host = domainOfAddress(from.address);
  const reg = registrableDomain(host);
  if (!publicSuffix(host) || !reg.includes('.') || isIpHost(host.replace(/^\[|\]$/g, ''))) {
    reasons.push({ code: 'sender.invalid_domain', weight: report ? REPORT_SENDER_FAULT : 0.45, evidence: `sender domain "${host}" is not a registered Internet domain${report ? ' (a delivery report, which servers often send from internal names)' : ''}` });
  } else if (looksGenerated(reg) && !findLookalike(host, sc.protectedIndex)) {
    // A domain crafted to imitate a protected one is explained as the lookalike it is, not as random.
    reasons.push({ code: 'sender.generated_domain', weight: 0.25, evidence: `sender domain ${reg} looks machine-generated` });
  }
  const local = from.address.slice(0, from.address.lastIndexOf('@'));
  if (looksGeneratedMailbox(local)) {
    reasons.push({ code: 'sender.generated_mailbox', weight: 0.15, evidence: `the mailbox name "${truncateForEvidence(local, 40)}" looks machine-generated` });
  }
  const isOrg = sc.orgRegistrable.has(reg);
  const isFree = sc.lists.freeMail.has(reg) || sc.lists.freeMail.has(host);
  const hosting = isOrg ? undefined : [host, ...hostSuffixes(host)].find((s) => sc.lists.abusedHosting.has(s));
  if (hosting) {
    reasons.push({ code: 'sender.free_hosting', weight: 0.2, evidence: `the sender ${from.address} mails from ${hosting}, a platform where anyone can create a sending name` });
  }
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
      const brand = claimedByName(key, reg, host, sc.lists);
      if (brand && !personNamedLikeBrand(name, local, brand.names, sc.lists)) {
        const claimed = brand.names.find((n) => key.includes(nameKey(n))) ?? brand.names[0] ?? '';
        const legit = brand.domains.length ? brand.domains.slice(0, 2).join(', ') : 'your own domain';
        reasons.push({
          code: brand.domains.length ? 'sender.brand_impersonation' : 'sender.service_impersonation',
          weight: isFree ? 0.55 : 0.45,
          evidence: `display name "${truncateForEvidence(name, 60)}" claims to be ${claimed}, which mails from ${legit}, but the address is ${where}`,
        });
      }
    }
    if (isFree) {
      const unrelated = freeMailNameUnrelated(name, from.address);
      if (unrelated) reasons.push({ code: 'sender.free_mail_name_unrelated', weight: 0.15, evidence: `the display name "${truncateForEvidence(name, 60)}" shares no part with the free-mail address ${from.address}` });
    }
    const role = roleNameUnrelated(name, from.address, sc.lists.roleWords);
    if (role) {
      reasons.push({ code: 'sender.role_name_unrelated', weight: 0.15, evidence: `display name "${truncateForEvidence(name, 60)}" names a department ("${role}"), but shares no word with the address ${from.address}` });
    }
    const shown = EMAIL_IN_NAME.exec(name.slice(0, 256));
    if (shown && registrableDomain(shown[1]!.toLowerCase()) !== reg) {
      reasons.push({ code: 'sender.display_address_mismatch', weight: 0.4, evidence: `display name shows ${shown[0]} but the message is from ${from.address}` });
    } else if (!shown) {
      const named = name.split(/\s+/).map(shownDomain).find((d) => d !== null);
      if (named && named !== reg) {
        reasons.push({ code: 'sender.display_domain_mismatch', weight: 0.35, evidence: `display name names ${named} but the message is from ${from.address}` });
      }
    }
  }

  const listIds = ['list-id', 'list-post', 'mailing-list', 'list-help', 'list-unsubscribe']
    .flatMap((h) => headers.get(h) ?? [])
    .join(' ')
    .toLowerCase();
  for (const rt of replyTo.slice(0, 5)) {
    if (!rt.address.includes('@') || rt.address === from.address) continue;
    const rtReg = registrableDomain(domainOfAddress(rt.address));
    // A mailing list pointing replies at itself is ordinary list behaviour.
    if (rtReg === reg || (listIds && listIds.includes(rtReg))) continue;
    const rtFree = sc.lists.freeMail.has(rtReg);
    const rtTld = rtReg.split('.').pop() ?? '';
    const rtLocal = rt.address.slice(0, rt.address.lastIndexOf('@'));
    if (!rtFree && (looksGenerated(rtReg) || sc.lists.riskyTlds.has(rtTld) || looksGeneratedMailbox(rtLocal))) {
      reasons.push({ code: 'sender.reply_to_throwaway', weight: 0.15, evidence: `replies go to ${rt.address}, a made-up looking address${sc.lists.riskyTlds.has(rtTld) ? ` under .${rtTld}, often abused` : ''}` });
    }
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

/**
 * The listed brand or service a display name claims to be, when the sender is not it. Every entry the
 * name names is considered: "Microsoft Account Team" from microsoft.com names a service ("Account
 * Team") and the brand whose own domain sends it, and is no claim at all. A brand is preferred to a
 * service name in the explanation ("Netflix Account Team" elsewhere claims Netflix). A service name
 * ("IT Support", "Postmaster", "Security Team") beside a word of the sender's own host names whose
 * service it is ("Brightwater IT Support" from it@brightwater.co.uk): that organisation's own
 * department, not a claim to be the reader's (decision 0188).
 */
export function claimedByName(key: string, reg: string, host: string, lists: Lists): BrandEntry | null {
  const named = lists.brands.filter((b) => b.names.some((n) => key.includes(nameKey(n))));
  // A brand's free-mail service (gmail.com, outlook.com) is its users' address: no brand speaks from there.
  if (!named.length || named.some((b) => b.domains.includes(reg) && !lists.freeMail.has(reg))) return null;
  const brand = named.find((b) => b.domains.length > 0);
  if (brand) return brand;
  const service = named[0]!;
  const serviceWords = new Set(service.names.flatMap((n) => nameKey(n).trim().split(' ')));
  // Compared as skeletons, as the name key is ("acme" reads "acrne" in both).
  const hostWords = nameKey(host.split('.').slice(0, -1).join(' ')).trim().split(' ');
  const own = key.trim().split(' ').some((w) => w.length >= 4 && !serviceWords.has(w) && hostWords.some((l) => l.includes(w)));
  return own ? null : service;
}

/** Whether an address or its domain is on a list of addresses and domains. */
/** The values a list entry must equal for listMatch to match this address: the address, its host, its registrable domain. */
export function listCandidates(address: string): string[] {
  const a = address.toLowerCase();
  const host = domainOfAddress(a);
  return [...new Set([a, host, registrableDomain(host)].filter((v) => v.length > 0))];
}

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

/**
 * A registrable label that reads like random characters: long runs of consonants, or letters
 * and digits interleaved ("z2vhcn8dn9", "btuvrzvvyx"). Throw-away sending domains look so.
 */
export function looksGenerated(reg: string): boolean {
  const label = reg.split('.')[0] ?? '';
  if (label.length < 8 || label.includes('-')) return false;
  const switches = (label.match(/[a-z][0-9]|[0-9][a-z]/g) ?? []).length;
  if (switches >= 3) return true;
  const consonantRun = /[bcdfghjklmnpqrstvwxz]{5,}/.test(label);
  const vowels = (label.match(/[aeiouy]/g) ?? []).length;
  return consonantRun && vowels / label.length < 0.25;
}

const ADDRESS = /[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,255}/gi;

/**
 * Mailbox names that are a function, not a person (RFC 2142's and those in common use): "support",
 * "billing", "info". A support inbox's own name is an ordinary word of its customers' subjects
 * ("Need support with my order" to support@), not the personalisation of a mass mailing.
 */
const ROLE_MAILBOXES = new Set([
  'info', 'marketing', 'sales', 'support', 'abuse', 'noc', 'security', 'postmaster', 'hostmaster', 'webmaster', 'help', 'helpdesk',
  'service', 'services', 'contact', 'hello', 'office', 'orders', 'order', 'billing', 'accounts', 'accounting', 'invoices', 'enquiries',
  'inquiries', 'feedback', 'admin', 'team', 'mail', 'news', 'press', 'jobs', 'careers', 'shop', 'store', 'returns', 'customerservice',
  'customercare', 'kontakt', 'kundenservice', 'kundendienst', 'bestellung', 'rechnung', 'contato', 'contacto', 'atendimento', 'soporte',
  'suporte', 'assistance', 'assistenza', 'klantenservice',
]);

/** True when every word of a mailbox name is a function word ("support", "customer.service", "billing-team"). */
export function isRoleMailbox(local: string, roleWords: readonly string[] = []): boolean {
  const words = local.toLowerCase().split(/[^a-z\u00c0-\u024f]+/).filter(Boolean);
  return words.length > 0 && words.every((w) => ROLE_MAILBOXES.has(w) || roleWords.some((r) => w.startsWith(r)));
}

/** The recipient's own address or mailbox name written into the subject: mass personalisation. */
export function recipientInSubject(subject: string, headers: HeaderMap, roleWords: readonly string[] = []): Reason | null {
  const to = (headers.get('to') ?? []).join(',').slice(0, 4096);
  // Lists put their own name, which is also the To mailbox, in the subject: "[listname] ...".
  const replyTo = (headers.get('reply-to') ?? []).join(',').toLowerCase();
  const isList = headers.has('list-id') || headers.has('mailing-list') || headers.has('list-post');
  const s = subject.toLowerCase();
  let n = 0;
  for (const m of to.matchAll(ADDRESS)) {
    if (n++ >= 10) break;
    const addr = m[0].toLowerCase();
    const local = addr.split('@')[0] ?? '';
    // Replies set to the very address the message went to: a list without List-* headers.
    const viaList = isList || replyTo.includes(addr);
    if (s.includes(addr) || (!viaList && local.length >= 5 && !isRoleMailbox(local, roleWords) && new RegExp(`(^|[^a-z0-9])${local.replace(/[^a-z0-9]/g, '.')}([^a-z0-9]|$)`).test(s))) {
      return { code: 'content.recipient_in_subject', weight: 0.3, evidence: `the subject repeats the recipient's address or name "${addr}"` };
    }
  }
  return null;
}

/**
 * A mailbox name that reads like random characters: in any part between dots, dashes and
 * underscores a run of five consonants ("y" counts as a vowel, so "skytta" or "wynne" pass),
 * or letters and digits interleaved three times ("b75pcoop8oth"). People and services use
 * names and words; bulk senders rotate made-up mailboxes to slip past address block lists.
 */
export function looksGeneratedMailbox(local: string): boolean {
  const l = local.toLowerCase().slice(0, 64);
  if (l.replace(/[^a-z0-9]/g, '').length < 7) return false;
  if ((l.match(/[a-z][0-9]|[0-9][a-z]/g) ?? []).length >= 3) return true;
  return l.split(/[^a-z0-9]+/).some((part) => /[bcdfghjklmnpqrstvwxz]{5,}/.test(part.replace(/[0-9]/g, '')));
}

/**
 * The role word of a display name made of department words ("Billing Alert", "Security Team")
 * when no word of the name appears in the mailbox or domain: "Acme Billing <billing@acme.com>"
 * passes, "Billing Alert <zyisifuz@pier.example>" does not. Null when nothing to say.
 */
export function roleNameUnrelated(name: string, address: string, roleWords: readonly string[]): string | null {
  const words = name.toLowerCase().slice(0, 200).match(/\p{L}{3,}/gu) ?? [];
  const role = words.find((w) => roleWords.some((r) => w.startsWith(r)));
  if (!role) return null;
  const hay = address.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  // Four letters are enough to tie "Acme Support" to acme-mail.com or "Billing" to bill@.
  return words.some((w) => hay.includes(w.slice(0, 4))) ? null : role;
}

/**
 * "Sony Mathew <sony@company.com>": a person whose first name is a one-word brand (Sony, Chase,
 * Dell…), writing from their own mailbox. True when the display name is exactly a capitalised first
 * name and surname, the first name is the brand, the surname is no department word ("Support",
 * "Billing") and no brand, and the mailbox is the person's (first name, surname or initial+surname).
 * Forgers write the brand alone or with a department ("Netflix", "Ledger Support").
 */
export function personNamedLikeBrand(name: string, local: string, brandNames: readonly string[], lists: Lists): boolean {
  const m = /^(\p{Lu}\p{Ll}+) (\p{Lu}\p{Ll}+)$/u.exec(name.trim());
  if (!m) return false;
  const first = m[1]!.toLowerCase();
  const last = m[2]!.toLowerCase();
  if (!brandNames.some((n) => n.toLowerCase() === first)) return false;
  if (lists.roleWords.some((r) => last.startsWith(r))) return false;
  if (lists.brands.some((b) => b.names.some((n) => n.toLowerCase().split(/\s+/).includes(last)))) return false;
  const mailbox = local.toLowerCase().replace(/[^\p{L}]+/gu, '');
  return mailbox === first || mailbox === last || mailbox === first + last || mailbox === first[0] + last;
}

/**
 * A personal name on a free-mail account whose mailbox shares no part of it: "Mary Thomas
 * <kekkanico89@…>". People who pick a free address mostly put their name, initials or
 * nickname-plus-name in it; scam senders rotate bought or made-up accounts under a fixed
 * persona. Weak alone (a nickname mailbox is normal), so weighted low. True when unrelated.
 */
export function freeMailNameUnrelated(name: string, address: string): boolean {
  if (name.includes('@')) return false;
  const words = (name.toLowerCase().slice(0, 120).match(/\p{L}+/gu) ?? []).filter((w) => !HONORIFICS.has(w));
  if (!words.length) return false;
  const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
  const hay = local.replace(/[^\p{L}]+/gu, '');
  if (hay.length < 3) return false;
  // Any name word of three or more letters, or its first three letters, in the mailbox.
  if (words.some((w) => w.length >= 3 && hay.includes(w.slice(0, 3)))) return false;
  if (words.some((w) => w.length <= 2 && hay.includes(w))) return false;
  // Initials: "jd" or "jdoe" style mailboxes.
  const initials = words.map((w) => w[0]).join('');
  if (initials.length >= 2 && hay.includes(initials)) return false;
  if (words.length >= 2 && hay.startsWith(words[0]![0]!) && hay.includes(words[words.length - 1]!.slice(0, 3))) return false;
  return true;
}

const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'sr', 'sra', 'the', 'von', 'van', 'de', 'da', 'del']);
