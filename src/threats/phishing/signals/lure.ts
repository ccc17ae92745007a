/**
 * Lure signals (docs/decisions/0038): how a mass lure addresses and dresses itself, independent
 * of the words of any one campaign. A well-known brand named in the subject by someone else
 * while the text asks for credentials or payment, a display name that is itself the pitch, the
 * recipient's address used as their name, unfilled mail-merge fields, and body text written so
 * that word filters cannot read it. Each is weak alone; they add up with the other signals.
 */
import type { BrandEntry, Lists } from '../lists.js';
import { findPhrases, normalizeWords, truncateForEvidence } from '../text.js';
import type { HeaderMap, Lexicon, Reason } from '../types.js';
import { registrableDomain } from '../domains.js';
import { urlFacts } from './links.js';
import type { Link } from './links.js';

interface BrandName {
  brand: BrandEntry;
  name: string;
  /** normalizeWords(name), e.g. " paypal ". */
  key: string;
}

const brandNameCache = new WeakMap<readonly BrandEntry[], BrandName[]>();

function brandNames(brands: readonly BrandEntry[]): BrandName[] {
  let out = brandNameCache.get(brands);
  if (!out) {
    out = [];
    for (const brand of brands) {
      // Brands without domains are service words ("IT Helpdesk"), judged elsewhere.
      if (!brand.domains.length) continue;
      for (const name of brand.names) if (name.length >= 3) out.push({ brand, name, key: normalizeWords(name) });
    }
    brandNameCache.set(brands, out);
  }
  return out;
}

/**
 * The brand a subject names, written as the brand writes itself ("PayPal", "DHL", "Netflix"):
 * a case-sensitive whole-word match, so "ups and downs" or "steam" do not count.
 */
export function brandInSubject(subject: string, brands: readonly BrandEntry[]): BrandEntry | null {
  const s = subject.slice(0, 512);
  const norm = normalizeWords(s);
  for (const b of brandNames(brands)) {
    if (!norm.includes(b.key)) continue;
    if (s.includes(b.name) || s.includes(b.name.toUpperCase())) return b.brand;
  }
  return null;
}

export interface BrandLureInput {
  subject: string;
  senderDomain: string;
  /** Brands never mail their customers from free-mail accounts. */
  senderIsFreeMail: boolean;
  brands: readonly BrandEntry[];
  /** Content codes already found (content.credentials, content.payment, content.urgency…). */
  contentCodes: ReadonlySet<string>;
}

/** Lure categories that, next to a brand in the subject, make the brand the pretext. */
const LURE_CODES = ['content.credentials', 'content.payment', 'content.urgency', 'content.gift_cards'];

export function brandLureReason(input: BrandLureInput): Reason | null {
  const lures = LURE_CODES.filter((c) => input.contentCodes.has(c));
  if (!lures.length || !input.senderDomain) return null;
  const brand = brandInSubject(input.subject, input.brands);
  if (!brand || brand.domains.includes(input.senderDomain)) return null;
  return {
    code: 'content.brand_lure',
    weight: input.senderIsFreeMail ? 0.3 : 0.2,
    evidence: `the subject names ${brand.names[0]}, which mails from ${brand.domains.slice(0, 2).join(', ')}, but the sender is ${input.senderIsFreeMail ? 'the free-mail domain ' : ''}${input.senderDomain}, and the text ${lures.map((c) => LURE_WHAT[c]).join(' and ')}`,
  };
}

const LURE_WHAT: Record<string, string> = {
  'content.credentials': 'asks about the account or its verification',
  'content.payment': 'talks about payment',
  'content.urgency': 'presses for urgency',
  'content.gift_cards': 'promises a prize or money',
};

/**
 * A display name that is itself a pitch ("Claim Your Jackpot", "Sex Dating", "AAA Winner")
 * from an address that shares no word with it. People and companies sign with their names.
 */
export function nameLureReason(displayName: string, address: string, lexicon: Lexicon): Reason | null {
  const name = displayName.slice(0, 200);
  if (!name.trim()) return null;
  const norm = normalizeWords(name);
  const found = findPhrases(norm, lexicon.scamOffers, 1)[0] ?? findPhrases(norm, lexicon.giftCards, 1)[0] ?? findPhrases(norm, PITCH_WORDS, 1)[0] ?? (/!/.test(name) ? '!' : undefined);
  if (!found) return null;
  const hay = address.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  const words = norm.trim().split(' ').filter((w) => w.length >= 3);
  if (words.some((w) => hay.includes(w.slice(0, 4)))) return null;
  return { code: 'sender.name_is_pitch', weight: 0.15, evidence: `the display name "${truncateForEvidence(name, 60)}" is a sales pitch ("${found}"), unrelated to the address ${address}` };
}

/**
 * Words that make a display name an advertisement rather than a name, in the lexicon's
 * languages. A company's own sales name ("Acme Deals") passes, since it shares a word with the
 * company's address.
 */
const PITCH_WORDS: readonly string[] = [
  'offer', 'offers', 'sale', 'deal', 'deals', 'promo', 'promotion', 'discount', 'winner', 'prize', 'reward', 'rewards',
  'love', 'dating', 'girls', 'singles', 'approved', 'congratulations',
  'angebot', 'aktion', 'gewinner', 'gewinnspiel', 'oferta', 'ofertas', 'promoção', 'promocao', 'aprovado', 'aprovada', 'parabéns',
  'offre', 'gagnant', 'aanbieding', 'korting', 'winnaar', 'offerta', 'vincitore',
];

const ADDRESS = /[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,255}/gi;
const GREETING = /(?:^|[\s,;:!.])(?:hi|hello|hey|dear|hallo|hola|ol[aá]|bonjour|salut|ciao|caro|cara|estimado|estimada|prezado|prezada|beste|guten tag|liebe|lieber)[\s,]+$/i;
const QUOTE_ATTRIBUTION = /^[>)\]]?\s*(?:wrote|writes|said|schrieb|a écrit|escreveu|escribió|ha scritto|schreef)/;
/**
 * A clock time shortly before the address: the address is part of a record — a reply's attribution
 * in any language ("On 3 May 2024, 14:20, Bob <bob@…> написал:"), a delivery report's log line
 * ("22:22:29 +0900 from jane@…") — not a greeting. A mass mailer's "Hello jane@…" has no time before it.
 */
const STAMPED = /(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)/;
/** Mailbox names too common to be someone's name. */
const GENERIC_MAILBOX = /^(?:info|support|contact|sales|admin|office|mail|help|service|team|hello|billing|noreply|no-reply)$/;

function isListMessage(headers: HeaderMap): boolean {
  return headers.has('list-id') || headers.has('list-post') || headers.has('mailing-list') || headers.has('list-unsubscribe');
}

/**
 * The recipient's own address (or mailbox name after a greeting) near the start of the text.
 * Where a name belongs ("Hello jane.doe@example.com", "Hallo jdoe,", or opening the text) it is the
 * mass mailer's tell: a sender who knows you uses your name; a list buyer only has the address.
 * Anywhere else it is what honest automated mail does all day — "Your account jane@… was created",
 * "This message was sent to jane@…", a forwarded header block, a bounce naming the failed address —
 * and it counts only next to a lure (`lure`: the code of a credential, urgency, payment or prize
 * request, a suspicious link or a pretending sender in the same message): "Your mailbox jane@… will be closed,
 * verify now" (decision 0180).
 */
export function recipientInBodyReason(visibleText: string, headers: HeaderMap, lure: string | null): Reason | null {
  if (isListMessage(headers)) return null;
  const head = visibleText.replace(/\s+/g, ' ').trim().slice(0, 600);
  const lower = head.toLowerCase();
  const to = (headers.get('to') ?? []).join(',').slice(0, 4096);
  let n = 0;
  for (const m of to.matchAll(ADDRESS)) {
    if (n++ >= 10) break;
    const addr = m[0].toLowerCase();
    const local = addr.split('@')[0] ?? '';
    let at = lower.indexOf(addr);
    let greeted = false;
    // "Jane <jane@example.com> writes:" quotes the reader in a reply; that is not a greeting.
    if (at >= 0 && (/[<(\[]$/.test(lower.slice(Math.max(0, at - 1), at)) || QUOTE_ATTRIBUTION.test(lower.slice(at + addr.length, at + addr.length + 20)) || STAMPED.test(lower.slice(Math.max(0, at - 48), at)))) at = -1;
    if (at < 0 && local.length >= 4 && !GENERIC_MAILBOX.test(local)) {
      for (let i = lower.indexOf(local); i >= 0 && i < lower.length; i = lower.indexOf(local, i + 1)) {
        const after = lower[i + local.length] ?? ' ';
        if (/[\p{L}\p{N}@._-]/u.test(after) || (i > 0 && /[\p{L}\p{N}._-]/u.test(lower[i - 1]!))) continue;
        // "Hallo Martin," to martin@…: a mailbox named after a first name, greeted by that name
        // as a person writes it. Only the address form ("jane.doe", "jdoe42", lower case) is mechanical.
        if (/^\p{L}+$/u.test(local) && /\p{Lu}/u.test(head[i] ?? '')) continue;
        if (GREETING.test(lower.slice(Math.max(0, i - 20), i))) {
          at = i;
          greeted = true;
          break;
        }
      }
    }
    if (at < 0) continue;
    const quoted = `"${truncateForEvidence(head.slice(Math.max(0, at - 20), at + addr.length + 10), 70)}"`;
    if (greeted || at === 0 || GREETING.test(lower.slice(Math.max(0, at - 20), at))) {
      return { code: 'content.recipient_in_body', weight: 0.25, evidence: `the text addresses the reader by their address: ${quoted}` };
    }
    if (lure) return { code: 'content.recipient_in_body', weight: 0.25, evidence: `the text names the reader's address (${quoted}) next to a lure (${lure})` };
  }
  return null;
}

/** Opt-out links may name the address they remove; that is what they are for. */
const OPT_OUT = /unsub|opt-?out|optout|remove|abmeld|abbestell|desinscri|désinscri|descadastr|afmeld|uitschrijv|disiscri|baja/i;

/**
 * A web link that carries the recipient's address in clear ("…/?a=72&s1=jane.doe@example.com"):
 * affiliate and bulk-offer trackers stamp each link with the address the list was bought for, so the
 * buyer of the click knows it reached a live mailbox. Mailing services that honest senders use
 * identify the reader by an opaque token instead. Opt-out links, mailto: links and links to the
 * sender's own site (a sign-up's "confirm this address" link) are not counted.
 */
export function recipientInLinkReason(links: readonly Link[], headers: HeaderMap, senderDomain = ''): Reason | null {
  const to = (headers.get('to') ?? []).join(',').slice(0, 4096);
  const addrs: string[] = [];
  for (const m of to.matchAll(ADDRESS)) {
    if (addrs.length >= 10) break;
    const a = m[0].toLowerCase();
    if (a.indexOf('@') >= 3) addrs.push(a, a.replace('@', '%40'));
  }
  if (!addrs.length) return null;
  for (const l of links.slice(0, 200)) {
    const href = l.href.slice(0, 4096).toLowerCase();
    if (!/^\s*https?:/.test(href) || OPT_OUT.test(href) || OPT_OUT.test(l.text)) continue;
    // A link back to the sender's own site (confirm this address, manage your account) may name it.
    const host = urlFacts(href)?.host ?? '';
    if (senderDomain && host && registrableDomain(host) === senderDomain) continue;
    const q = href.search(/[?#]/);
    const slash = href.indexOf('/', href.indexOf('//') + 2);
    const tail = q >= 0 ? href.slice(q) : slash >= 0 ? href.slice(slash + 1) : '';
    const hit = addrs.find((a) => tail.includes(a));
    if (hit) return { code: 'link.recipient_in_url', weight: 0.2, evidence: `a link carries the recipient's address (${hit.replace('%40', '@')}) in clear, as list trackers do` };
  }
  return null;
}

/**
 * Mail-merge fields the sending tool failed to fill: "{FIRSTNAME}", "%VORNAME%", "*|FNAME|*",
 * "{{first_name}}", "[NAME]". Only names of personal fields count, so code and templates
 * quoted in discussion ("{x}") do not.
 */
const PLACEHOLDER = /(?:\{\{?|%%?|\*\||\[\[?)\s?(?:first[ _-]?name|fname|lname|last[ _-]?name|full[ _-]?name|name|e-?mail|email[ _-]?address|vorname|nachname|nome|nombre|pr[ée]nom|voornaam|username|user[ _-]?name)\s?(?:\}\}?|%%?|\|\*|\]\]?)/i;

export function placeholderReason(subject: string, visibleText: string): Reason | null {
  const m = PLACEHOLDER.exec(subject.slice(0, 512)) ?? PLACEHOLDER.exec(visibleText.slice(0, 20_000));
  if (!m) return null;
  // "[name]" in running prose is an editorial note, not a merge field: require capitals or a
  // marker that only merge tools use.
  // A bare "{name}" or "[email]" is as likely a code or template snippet under discussion: the
  // short fields count only in capitals or with the double markers merge tools use.
  const tag = m[0];
  const short = /^[^a-z]*(?:name|e-?mail|username)[^a-z]*$/i.test(tag);
  const double = /^(?:\{\{|%%|\*\||\[\[)/.test(tag);
  if (short && !double && tag !== tag.toUpperCase()) return null;
  if (tag.startsWith('[') && !double && tag !== tag.toUpperCase()) return null;
  return { code: 'bulk.unfilled_placeholder', weight: 0.2, evidence: `the message contains the unfilled mail-merge field "${tag}"` };
}

/** Latin letters with invisible characters between them: "Pa\u200Bss\u200Bword". */
const ZERO_WIDTH_IN_WORD = /\p{Script=Latin}[\u200B\u200C\u200D\u2060\uFEFF]+(?=\p{Script=Latin})/gu;
/** Eight or more single letters separated by spaces: "M o o n b i r d s". */
const SPACED_LETTERS = /(?:^|\s)(?:\p{L} ){7,}\p{L}(?=\s|$|[.,!?])/u;

/**
 * Text written so that a word filter cannot read what a person reads: invisible characters
 * inside words, or words spelled out letter by letter. Soft hyphens (legitimate hyphenation
 * hints in German and Dutch newsletters) and joiners between non-Latin letters (Persian, Indic
 * scripts) do not count.
 */
export function hiddenCharactersReason(visibleText: string): Reason | null {
  const text = visibleText.length > 100_000 ? visibleText.slice(0, 100_000) : visibleText;
  let zw = 0;
  for (const _ of text.matchAll(ZERO_WIDTH_IN_WORD)) if (++zw >= 3) break;
  if (zw >= 3) return { code: 'content.invisible_characters', weight: 0.3, evidence: 'words in the text are broken up by invisible characters, which hides them from word filters' };
  const spaced = SPACED_LETTERS.exec(text);
  if (spaced) return { code: 'content.spaced_letters', weight: 0.25, evidence: `words are spelled out letter by letter, which hides them from word filters: "${truncateForEvidence(spaced[0], 40)}"` };
  return null;
}

/** The listed brand a sender presents itself as: its From domain, or its display name. */
export function claimedBrand(displayName: string, senderDomain: string, lists: Lists): BrandEntry | null {
  if (senderDomain) {
    const own = lists.brands.find((b) => b.domains.includes(senderDomain));
    if (own) return own;
  }
  const norm = normalizeWords(displayName.slice(0, 200));
  if (norm.length <= 2) return null;
  return brandNames(lists.brands).find((b) => norm.includes(b.key))?.brand ?? null;
}
