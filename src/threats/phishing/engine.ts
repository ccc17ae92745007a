/**
 * analyzeMessage: the pure phishing analysis of one parsed message in one organisation's
 * context. No network, no database, bounded work (docs/decisions/0030).
 */
import { authReasons } from './auth.js';
import { domainOfAddress, registrableDomain } from './domains.js';
import { loadLists } from './lists.js';
import type { Lists } from './lists.js';
import { combineWeights, decideVerdict, DEFAULT_THRESHOLDS } from './score.js';
import type { VerdictThresholds } from './score.js';
import { attachmentReasons } from './signals/attachments.js';
import { bulkReasons, littleTextReason, LITTLE_TEXT_MAX_WORDS, readableWordCount } from './signals/bulk.js';
import { callbackReason } from './signals/callback.js';
import { contentReasons, obfuscationReason } from './signals/content.js';
import { bareListedLinks, brandSenderOffsite, DEFAULT_LINK_LIMITS, linkReasons, scanHtml, singleForeignHostReason, textLinks, unwrapRewrittenLink } from './signals/links.js';
import type { HtmlFacts, Link } from './signals/links.js';
import { buildProtectedIndex, describeLookalike, findLookalike, lookalikeWeight } from './signals/lookalike.js';
import type { ProtectedDomain, ProtectedIndex } from './signals/lookalike.js';
import { brandLureReason, claimedBrand, hiddenCharactersReason, nameLureReason, placeholderReason, recipientInBodyReason, recipientInLinkReason } from './signals/lure.js';
import { isDeliveryReport, listMatch, recipientInSubject, senderReasons } from './signals/sender.js';
import { decodeEntities, findPhrases, htmlToVisibleText, normalizeWords } from './text.js';
import type { AnalysisContext, Analysis, ParsedMessage, Reason } from './types.js';
import { learnedEffect, STRONG_REASON } from './learning/explain.js';
import type { LearnedEffect } from './learning/explain.js';
import { learningTokens } from './learning/tokens.js';

export interface AnalyzeOptions {
  thresholds?: VerdictThresholds;
  /** Characters of text (subject + body) searched for phrases. */
  maxTextChars?: number;
  maxLinks?: number;
  /** Return the message's learning tokens (decision 0173) even when the context has no learned model. */
  collectTokens?: boolean;
}

interface Prepared {
  key: readonly unknown[];
  index: ProtectedIndex;
  orgRegistrable: Set<string>;
}

const prepared = new WeakMap<object, Prepared>();

/** The protected-domain index depends only on the organisation's lists: build it once. */
function prepareContext(ctx: AnalysisContext, lists: Lists): Prepared {
  const key = [ctx.orgDomains, ctx.knownCustomerDomains, ctx.partnerDomains, ctx.brandNames];
  const hit = prepared.get(ctx.orgDomains);
  if (hit && hit.key.every((k, i) => k === key[i])) return hit;
  const list: ProtectedDomain[] = [];
  const seen = new Set<string>();
  const push = (d: string, owner: string, kind: ProtectedDomain['kind']) => {
    const reg = registrableDomain(d.trim());
    if (!reg || seen.has(reg)) return;
    seen.add(reg);
    list.push({ domain: reg, owner, kind });
  };
  for (const d of ctx.orgDomains) push(d, 'your organisation', 'org');
  // The organisation's own name protects too: its mailboxes may sit on a helpdesk domain while
  // attackers imitate the name ("northwlnd.com" for Northwind). A name already carried by one of its
  // domains adds nothing.
  const orgLabels = new Set(list.filter((p) => p.kind === 'org').map((p) => orgNameLabel(p.domain.split('.')[0] ?? '')));
  for (const n of ctx.brandNames) {
    const name = n.trim();
    const label = orgNameLabel(name);
    if (label.length < 5 || orgLabels.has(label) || seen.has(`name:${label}`)) continue;
    seen.add(`name:${label}`);
    list.push({ domain: name, owner: "your organisation's name", kind: 'org', name: label });
  }
  for (const d of ctx.partnerDomains) push(d, 'a partner', 'partner');
  for (const d of ctx.knownCustomerDomains) push(d, 'a customer', 'customer');
  for (const b of lists.brands) for (const d of b.domains) push(d, b.names[0] ?? d, 'brand');
  const p: Prepared = { key, index: buildProtectedIndex(list), orgRegistrable: new Set(ctx.orgDomains.map(registrableDomain)) };
  prepared.set(ctx.orgDomains, p);
  return p;
}

/**
 * Text as a reader sees it, for word matching: invisible characters inside words removed
 * ("pass\u200Bword" reads "password") and entities that were escaped twice decoded
 * ("voc&ecirc;" shows as "você" in many clients that decode again).
 */
/**
 * "Image only": the HTML's readable text is fewer words than this (links' addresses not counted).
 * Counted in words, not characters, so a short ordinary message (three brief paragraphs and a
 * signature logo) is not mistaken for a picture of a message.
 */
const IMAGE_ONLY_MAX_WORDS = 12;
/**
 * What makes a message ask for something (decision 0180): credentials, payment or secrecy, pressure,
 * a prize, a bulk-scam offer, a call back — or a suspicious link. Weak signals that honest automated mail
 * shares with lures (the reader's address named in passing, a Reply-To at another company) need one.
 */
const LURE_CODES = new Set(['content.credentials', 'content.urgency', 'content.payment', 'content.bypass', 'content.gift_cards', 'content.scam_offer', 'content.callback_scam']);
/**
 * A sender that pretends — to be a brand, a colleague or someone whose name it does not carry, or
 * that sends replies elsewhere — is a lure as well. An odd but honest sender is not: a nickname on free
 * mail, a Reply-To at a helpdesk or mailing service, a new top-level domain, a test server's name.
 */
const PRETENCE = /^sender\.(?:[a-z_]*impersonation|lookalike_[a-z]+|display_[a-z]+_mismatch|name_is_pitch|reply_to_(?:freemail|throwaway)|role_name_unrelated|generated_[a-z]+|free_hosting)$/;
/** Characters of HTML text read to count those words (when the text part already filled the budget). */
const IMAGE_ONLY_SAMPLE = 20_000;

/** Words of `s`, counting stops at `cap`. */
function countWords(s: string, cap: number): number {
  let n = 0;
  for (const _ of s.matchAll(/[\p{L}\p{N}]+/gu)) if (++n >= cap) break;
  return n;
}

/** Derived text without the "[url]" written after each link's text. */
function withoutLinkTargets(s: string): string {
  return s.replace(/\[(?:[a-z][a-z0-9+.-]{0,20}:)[^\s\]]{0,4096}\]/gi, ' ');
}

/** "Northwind Traders" → "northwindtraders": the form a domain label would take. */
function orgNameLabel(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

function readable(s: string): string {
  const joined = s.replace(/[\u00AD\u200B-\u200D\u2060\uFEFF]/g, '');
  return joined.includes('&') ? decodeEntities(joined) : joined;
}

function authenticatedAs(ctx: AnalysisContext, fromReg: string): boolean {
  const a = ctx.auth;
  if (!a) return false;
  if (a.dmarc === 'pass') return true;
  if (a.spf === 'pass' && a.spfDomain && registrableDomain(a.spfDomain) === fromReg) return true;
  return (a.dkimDomains ?? []).some((d) => registrableDomain(d) === fromReg);
}

/** The code of the first reason that makes a message ask for something or pretend, if any. */
function findLure(reasons: readonly Reason[]): string | null {
  return reasons.find((r) => LURE_CODES.has(r.code) || ((PRETENCE.test(r.code) || r.code.startsWith('link.')) && r.weight >= 0.15))?.code ?? null;
}

/** Mailboxes that only send: a site's or an application's own sender, not a person. */
const AUTOMATED_MAILBOX = /^(?:no-?reply|do-?not-?reply|donotreply|wordpress|www-?data|apache|nginx|webmaster|website|web|forms?|web-?forms?|contact-?forms?|formular|kontaktformular|mailer|notifications?|notify|system)(?:[+._-].*)?$/i;

/**
 * A web form's notification (decision 0188): From the site's automated mailbox, Reply-To the visitor's
 * address, which the form writes into the text ("From: Karl <karl@…>", "E-Mail: karl@…").
 */
export function isFormNotification(fromAddress: string, replyTo: readonly { address: string }[], text: string): boolean {
  const local = fromAddress.slice(0, fromAddress.lastIndexOf('@'));
  const rt = replyTo[0]?.address.toLowerCase();
  if (!local || !rt || !AUTOMATED_MAILBOX.test(local)) return false;
  // As a form writes it: the address as the value of a field ("E-Mail: karl@…", "From: Karl <karl@…>"),
  // not in a sentence asking the reader to write there.
  const src = text.slice(0, 20_000).toLowerCase();
  for (let at = src.indexOf(rt); at >= 0; at = src.indexOf(rt, at + 1)) {
    if (FORM_FIELD.test(src.slice(Math.max(0, at - 80), at))) return true;
  }
  return false;
}

/** A form field's label right before its value: "email:", "from: karl <", "e-mail-adresse :". */
const FORM_FIELD = /(?:^|[\s>|*])(?:e-?mail(?:[ -]?ad(?:d)?ress[e]?)?|mail|from|von|de|reply-to|sender|absender|correo(?: electrónico)?|contact)\s*\*?\s*[:：=]\s*(?:[^\n:<]{0,60}<)?\s*$/;

export function analyzeMessage(msg: ParsedMessage, ctx: AnalysisContext, opts: AnalyzeOptions = {}): Analysis {
  const lists = loadLists();
  const prep = prepareContext(ctx, lists);
  const maxText = opts.maxTextChars ?? 200_000;
  const maxLinks = opts.maxLinks ?? DEFAULT_LINK_LIMITS.maxLinks;
  const fromAddress = msg.from?.address ?? '';
  const fromReg = registrableDomain(domainOfAddress(fromAddress));
  const reasons: Reason[] = [];

  const blocked =
    (fromAddress && listMatch(fromAddress, ctx.blockList)) ||
    msg.replyTo.map((r) => listMatch(r.address, ctx.blockList)).find(Boolean);
  if (blocked) reasons.push({ code: 'sender.blocked', weight: 0.95, evidence: `sender matches the block list entry ${blocked}` });

  const auth = authReasons(ctx.auth, domainOfAddress(fromAddress));
  // A bounce travels with an empty envelope sender and is rarely signed, so "nothing passed" is how
  // real delivery reports arrive; a failure that was checked (DMARC, SPF fail) still counts in full.
  if (isDeliveryReport(msg.headers)) for (const r of auth) if (r.code === 'auth.none') r.weight = Math.min(r.weight, 0.1);
  reasons.push(...auth);
  reasons.push(...senderReasons(msg.from, msg.replyTo, msg.headers, { ctx, lists, protectedIndex: prep.index, orgRegistrable: prep.orgRegistrable }));

  let facts: HtmlFacts | null = null;
  let links: Link[] = [];
  // Text derived from the HTML (an HTML-only message) is the HTML's own words with each link written
  // as "[url]": read once, without those addresses (the HTML's links are read from the markup).
  const derived = msg.textFromHtml === true && msg.html !== '';
  let visible = derived ? withoutLinkTargets(msg.text.slice(0, maxText)) : msg.text.length > maxText ? msg.text.slice(0, maxText) : msg.text;
  let htmlWords = derived ? visible : '';
  if (msg.html) {
    facts = scanHtml(msg.html, { ...DEFAULT_LINK_LIMITS, maxLinks });
    links = facts.links;
    if (!derived) {
      htmlWords = htmlToVisibleText(msg.html, Math.max(IMAGE_ONLY_SAMPLE, maxText - visible.length));
      if (visible.length < maxText) visible += ' ' + htmlWords.slice(0, maxText - visible.length);
    }
  }
  // An address written as plain text is a link too: mail clients make it clickable. In an HTML-only
  // message those are the ones left in the derived text once the anchors' "[url]" are taken out.
  if (links.length < maxLinks) links = links.concat(textLinks(derived ? visible : msg.text.slice(0, maxText), maxLinks - links.length));
  if (links.length < maxLinks) links = links.concat(bareListedLinks(visible, lists, Math.min(20, maxLinks - links.length)));
  // Links rewritten by a reader's gateway are read at their destination (a customer's reply quotes them so).
  links = links.map((l) => {
    const href = unwrapRewrittenLink(l.href);
    return href === l.href ? l : { ...l, href };
  });
  const senderBrand = claimedBrand(msg.from?.name ?? '', fromReg, lists);
  reasons.push(...linkReasons(links, facts, { lists, protectedIndex: prep.index, senderDomain: fromReg, senderBrand, orgDomains: prep.orgRegistrable }));
  const foreign = singleForeignHostReason(links, fromReg, prep.orgRegistrable);
  if (foreign) reasons.push(foreign);
  const offsite = senderBrand ? brandSenderOffsite(links, senderBrand, fromReg) : null;
  if (offsite) reasons.push(offsite);

  for (const r of msg.replyTo.slice(0, 5)) {
    const host = r.address ? domainOfAddress(r.address) : '';
    if (!host || registrableDomain(host) === fromReg) continue;
    const hit = findLookalike(host, prep.index);
    if (hit) {
      reasons.push({ code: `reply_to.lookalike_${hit.target.kind}`, weight: lookalikeWeight(hit), evidence: `Reply-To domain ${describeLookalike(host, hit)}` });
      break;
    }
  }

  reasons.push(...attachmentReasons(msg.attachments));
  const styled = obfuscationReason(msg.subject, msg.from?.name ?? '');
  if (styled) reasons.push(styled);
  if (facts && links.length > 0 && countWords(htmlWords, IMAGE_ONLY_MAX_WORDS) < IMAGE_ONLY_MAX_WORDS && /<img\b/i.test(msg.html.slice(0, 200_000))) {
    reasons.push({ code: 'html.image_only', weight: 0.2, evidence: 'the message is almost all images and links, with little readable text' });
  } else if (links.length > 0) {
    // Each part on its own: a message says little only if none of its parts says more.
    const words = Math.max(derived ? 0 : readableWordCount(msg.text, LITTLE_TEXT_MAX_WORDS), readableWordCount(htmlWords, LITTLE_TEXT_MAX_WORDS));
    const little = littleTextReason({ words, links, senderDomain: fromReg });
    if (little) reasons.push(little);
  }
  const personal = recipientInSubject(msg.subject, msg.headers, lists.roleWords);
  if (personal) reasons.push(personal);
  const normalized = normalizeWords(readable(`${msg.subject} ${visible}`));
  const lexicon = ctx.lexicon ?? lists.lexicon;
  const content = contentReasons(normalized, lexicon);
  reasons.push(...content);
  const brandLure = brandLureReason({ subject: msg.subject, senderDomain: fromReg, senderIsFreeMail: lists.freeMail.has(fromReg), brands: lists.brands, contentCodes: new Set(content.map((r) => r.code)) });
  if (brandLure) reasons.push(brandLure);
  const pitch = msg.from && !prep.orgRegistrable.has(fromReg) ? nameLureReason(msg.from.name, msg.from.address, lexicon) : null;
  if (pitch) reasons.push(pitch);
  // A web form's notification comes from the site's own automated mailbox and sets Reply-To to the
  // address the visitor typed, which the text repeats; replies going to free mail are its purpose.
  const form = reasons.find((r) => r.code === 'sender.reply_to_freemail');
  if (form && isFormNotification(fromAddress, msg.replyTo, visible)) {
    form.weight = 0.1;
    form.evidence += ' (a web form\'s notification: the text gives that address as the visitor\'s own)';
  }
  // A service name ("IT Support", "Postmaster") from outside the organisation pretends to be the
  // reader's own mail or IT service only when it asks for something: without a lure it is another
  // organisation's department writing (decision 0188). Settled before the other weak signals read it.
  const service = reasons.findIndex((r) => r.code === 'sender.service_impersonation');
  if (service >= 0 && !findLure(reasons.filter((_, k) => k !== service))) reasons.splice(service, 1);
  const inBody = personal ? null : recipientInBodyReason(visible, msg.headers, findLure(reasons));
  if (inBody) reasons.push(inBody);
  const inLink = recipientInLinkReason(links, msg.headers, fromReg);
  if (inLink) reasons.push(inLink);
  if (content.some((r) => r.code === 'content.urgency')) {
    const inSubject = findPhrases(normalizeWords(msg.subject.slice(0, 512)), lexicon.urgency, 1)[0];
    if (inSubject) reasons.push({ code: 'content.urgent_subject', weight: 0.1, evidence: `the subject itself presses for urgency ("${inSubject}")` });
  }
  const placeholder = placeholderReason(msg.subject, visible);
  if (placeholder) reasons.push(placeholder);
  const hidden = hiddenCharactersReason(visible);
  if (hidden) reasons.push(hidden);
  reasons.push(...bulkReasons({ headers: msg.headers, normalized, linkCount: links.length }));
  const callback = callbackReason({ text: `${msg.subject}\n${visible}`, senderDomain: fromReg, senderIsFreeMail: lists.freeMail.has(fromReg), brands: lists.brands });
  if (callback) reasons.push(callback);
  // A Reply-To at another (not free-mail) domain is how helpdesks, mailing services and agencies send
  // for a company; it counts only when the message also asks for something or pretends (decision 0180).
  const diverges = reasons.findIndex((r) => r.code === 'sender.reply_to_diverges');
  if (diverges >= 0 && !findLure(reasons)) reasons.splice(diverges, 1);
  if (msg.truncated) reasons.push({ code: 'message.truncated', weight: 0.1, evidence: 'the message exceeded a size limit and was only partly inspected' });

  // The organisation's learned model reads what the engine read, and the engine's own findings.
  let tokens: string[] | undefined;
  let learned: LearnedEffect | null = null;
  if (ctx.learned || opts.collectTokens) {
    tokens = learningTokens({ subject: msg.subject, text: visible, hrefs: links.map((l) => l.href), senderDomain: fromReg, reasons, attachments: msg.attachments });
    if (ctx.learned) {
      learned = learnedEffect(tokens, ctx.learned);
      reasons.push(...learned.reasons);
    }
  }

  // An allow-listed sender is trusted only when authentication proves it is really them.
  const allowed = fromAddress ? listMatch(fromAddress, ctx.allowList) : null;
  if (allowed && !blocked) {
    if (authenticatedAs(ctx, fromReg)) {
      const kept = reasons.filter((r) => r.code.startsWith('attachment.'));
      kept.push({ code: 'sender.allowed', weight: 0, evidence: `sender matches the allow list entry ${allowed} and is authenticated` });
      return finish(kept, opts, null, tokens);
    }
    reasons.push({ code: 'sender.allowed_unverified', weight: 0, evidence: `sender matches the allow list entry ${allowed}, but is not authenticated, so the allow list was not applied` });
  }
  return finish(reasons, opts, learned, tokens);
}

function finish(reasons: Reason[], opts: AnalyzeOptions, learned: LearnedEffect | null, tokens: string[] | undefined): Analysis {
  reasons.sort((a, b) => b.weight - a.weight);
  let score = combineWeights(reasons);
  // "Not phishing" history lowers a score of weak and moderate signals, never a strong one's.
  if (learned?.dampReason && score > 0 && !reasons.some((r) => r.weight >= STRONG_REASON || r.code === 'sender.blocked')) {
    const lowered = Math.round(score * learned.damp);
    reasons.push({ ...learned.dampReason, evidence: `${learned.dampReason.evidence}; score lowered from ${score} to ${lowered}` });
    score = lowered;
  }
  const analysis: Analysis = { score, verdict: decideVerdict(score, reasons, opts.thresholds ?? DEFAULT_THRESHOLDS), reasons };
  if (tokens) analysis.tokens = tokens;
  return analysis;
}
