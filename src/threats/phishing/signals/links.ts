/** Link extraction (HTML anchors, forms, plain-text URLs) and link signals. */
import { parse as parseHost } from 'tldts';
import { isIpHost, registrableDomain } from '../domains.js';
import { decodeEntities, truncateForEvidence } from '../text.js';
import type { BrandEntry, Lists } from '../lists.js';
import type { Reason } from '../types.js';
import { describeLookalike, findLookalike, hostScriptReasons, lookalikeWeight } from './lookalike.js';
import type { ProtectedIndex } from './lookalike.js';

export interface Link {
  href: string;
  /** Visible text of the anchor, '' for plain-text URLs. */
  text: string;
}

export interface HtmlFacts {
  links: Link[];
  forms: number;
  passwordInputs: number;
  formActions: string[];
}

export interface LinkLimits {
  maxLinks: number;
  maxHtmlChars: number;
  maxTagChars: number;
  maxAnchorTextChars: number;
}

export const DEFAULT_LINK_LIMITS: LinkLimits = { maxLinks: 500, maxHtmlChars: 1024 * 1024, maxTagChars: 4096, maxAnchorTextChars: 1024 };

const ATTR = /\b(href|action|type)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))/gi;

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(ATTR)) {
    const k = m[1]!.toLowerCase();
    if (!(k in out)) out[k] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '').trim();
  }
  return out;
}

/** One pass over the HTML with indexOf; each tag is cut to maxTagChars before any regex. */
export function scanHtml(html: string, limits: LinkLimits = DEFAULT_LINK_LIMITS): HtmlFacts {
  const src = html.length > limits.maxHtmlChars ? html.slice(0, limits.maxHtmlChars) : html;
  const lower = src.toLowerCase();
  const facts: HtmlFacts = { links: [], forms: 0, passwordInputs: 0, formActions: [] };
  const seen = new Set<string>();
  let i = 0;
  while (i < src.length) {
    const lt = lower.indexOf('<', i);
    if (lt < 0) break;
    const gt = lower.indexOf('>', lt);
    if (gt < 0) break;
    const tagEnd = Math.min(gt, lt + limits.maxTagChars);
    const name = lower.slice(lt + 1, Math.min(lt + 8, tagEnd)).split(/[\s/>]/, 1)[0] ?? '';
    if (name === 'a' || name === 'area') {
      const a = attrs(src.slice(lt, tagEnd));
      if (a.href !== undefined) {
        const close = lower.indexOf('</a', gt);
        const textEnd = close < 0 ? Math.min(src.length, gt + 1 + limits.maxAnchorTextChars) : Math.min(close, gt + 1 + limits.maxAnchorTextChars);
        const text = decodeEntities(src.slice(gt + 1, textEnd).replace(/<[^>]{0,4096}>/g, ' ')).replace(/\s+/g, ' ').trim();
        const key = `${a.href}\u0000${text}`;
        if (!seen.has(key) && facts.links.length < limits.maxLinks) {
          seen.add(key);
          facts.links.push({ href: a.href, text });
        }
      }
    } else if (name === 'form') {
      facts.forms++;
      const a = attrs(src.slice(lt, tagEnd));
      if (a.action && facts.formActions.length < 20) facts.formActions.push(a.action);
    } else if (name === 'input') {
      const a = attrs(src.slice(lt, tagEnd));
      if (a.type?.toLowerCase() === 'password') facts.passwordInputs++;
    }
    i = gt + 1;
  }
  return facts;
}

const TEXT_URL = /\bhttps?:\/\/[^\s<>"'()\[\]]{1,2048}/gi;

export function textLinks(text: string, max: number): Link[] {
  const out: Link[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(TEXT_URL)) {
    if (seen.has(m[0])) continue;
    seen.add(m[0]);
    out.push({ href: m[0], text: '' });
    if (out.length >= max) break;
  }
  return out;
}

/** "host.tld/path" written without a scheme, so that it is not a link a scanner sees. */
const BARE_URL = /(?<![\w@./:-])((?:[a-z0-9-]{1,63}\.){1,8}[a-z]{2,24})\/[^\s<>"'()]{0,200}/gi;

/**
 * Addresses on shorteners and free-hosting platforms written out without "https://" (the reader
 * copies them into a browser; link scanners skip them). Only listed platforms count: plain
 * "example.com/page" in text is ordinary writing.
 */
export function bareListedLinks(text: string, lists: Pick<Lists, 'abusedHosting' | 'shorteners'>, max: number): Link[] {
  const out: Link[] = [];
  const src = text.length > 50_000 ? text.slice(0, 50_000) : text;
  for (const m of src.matchAll(BARE_URL)) {
    if (out.length >= max) break;
    const host = m[1]!.toLowerCase();
    const listed = [host, ...hostSuffixes(host)].some((h) => lists.abusedHosting.has(h) || lists.shorteners.has(h));
    if (listed) out.push({ href: `https://${m[0]}`, text: '' });
  }
  return out;
}

/**
 * A link rewritten by the recipient's own mail gateway (Microsoft Safe Links, Proofpoint URL Defense,
 * Barracuda Link Protection) carries its destination inside it. A customer's reply or forward keeps the
 * wrappers of their gateway in the quoted text; read as written, every such link leads to the gateway
 * (decision 0188). Returns the destination, or the link unchanged when it is not such a wrapper.
 */
export function unwrapRewrittenLink(href: string): string {
  const h = href.trim().slice(0, 4096);
  const m = /^https?:\/\/([a-z0-9.-]{1,253})(\/[^?#]*)?(\?[^#]*)?/i.exec(h);
  if (!m) return href;
  const host = m[1]!.toLowerCase();
  const path = m[2] ?? '';
  const query = new URLSearchParams((m[3] ?? '').slice(1));
  let target: string | null = null;
  try {
    if (host.endsWith('.safelinks.protection.outlook.com')) target = query.get('url');
    else if (host === 'linkprotect.cudasvc.com') target = query.get('a');
    else if (host === 'urldefense.com' || host === 'urldefense.proofpoint.com') {
      const v3 = /^\/v3\/__(.+?)__;/.exec(h.slice(h.indexOf(path)));
      if (v3) target = v3[1]!;
      else if (path.startsWith('/v2/url')) target = decodeURIComponent((query.get('u') ?? '').replace(/-/g, '%').replace(/_/g, '/'));
    }
  } catch {
    return href;
  }
  return target && /^https?:\/\/[^\s]/i.test(target) ? target : href;
}

export interface UrlFacts {
  scheme: string;
  host: string;
  userinfo: boolean;
}

/** Scheme and host without `new URL`'s normalisation hiding what the reader was shown. */
export function urlFacts(href: string): UrlFacts | null {
  const h = href.trim().replace(/^[\u0000-\u0020]+/, '');
  const colon = h.indexOf(':');
  if (colon <= 0 || colon > 12) return null;
  const scheme = h.slice(0, colon).toLowerCase().replace(/[\t\n\r]/g, '');
  if (scheme !== 'http' && scheme !== 'https') return { scheme, host: '', userinfo: false };
  let rest = h.slice(colon + 1).replace(/^[\\/]+/, '');
  const end = rest.search(/[\\/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  rest = authority;
  const at = rest.lastIndexOf('@');
  const hostPort = at >= 0 ? rest.slice(at + 1) : rest;
  const host = hostPort.startsWith('[') ? hostPort.slice(1, hostPort.indexOf(']')) : hostPort.split(':')[0] ?? '';
  return { scheme, host: host.toLowerCase().replace(/\.$/, ''), userinfo: at >= 0 };
}

/** A domain as shown in link text: "paypal.com", "www.paypal.com/login", "https://paypal.com". */
const SHOWN_DOMAIN = /^(?:https?:\/\/)?(?:www\.)?([a-z0-9\u00a1-\uffff-]{1,63}(?:\.[a-z0-9\u00a1-\uffff-]{1,63}){1,6})(?:[/:?#]\S*)?$/i;

const RESERVED_EXAMPLE = /^example\.(?:com|net|org)$/;

export function shownDomain(text: string): string | null {
  if (text.length > 200 || text.includes(' ')) return null;
  const m = SHOWN_DOMAIN.exec(text.trim());
  if (!m) return null;
  const d = m[1]!.toLowerCase();
  // "R.Hughes" or "J.Smith" is an initial and a surname, not a domain under a brand TLD.
  if (/^\p{Lu}\.\p{Lu}\p{Ll}+$/u.test(m[1]!)) return null;
  // Only names under a real ICANN suffix count; "R.Hughes" or "v1.2" are not domains.
  if (parseHost(d).isIcann !== true) return null;
  const reg = registrableDomain(d);
  // Names reserved for documentation (RFC 2606) are what redacted or template text shows in
  // place of a real site; they claim nothing a link could contradict.
  if (RESERVED_EXAMPLE.test(reg)) return null;
  // "file.pdf" or "v1.2" are not domains: require a real public suffix.
  return reg.includes('.') && /[a-z]/.test(reg.split('.').pop() ?? '') && reg !== d.split('.').pop() ? reg : null;
}

/** Link texts that ask the reader to act on an account. */
const ACTION_TEXT = /\b(verify|log ?in|sign ?in|confirm|update|unlock|restore|reactivate|validate|secure|review|view|access|download|claim|open|pay|check|accept|resolve|continue)\b/i;

export interface LinkContext {
  lists: Lists;
  protectedIndex: ProtectedIndex;
  /** Registrable domain of the From address, '' when unknown. */
  senderDomain: string;
  /** The listed brand the sender claims to be (by display name or From domain), if any. */
  senderBrand?: BrandEntry | null;
  /** The organisation's own registrable domains: a link there (a customer quoting our mail) leads nowhere foreign. */
  orgDomains?: ReadonlySet<string>;
}

/**
 * The shape of a shortened address on a service not in the list: a name of at most five characters
 * with no subdomain, and a path that is one random-looking token of 4–10 characters (letters with
 * digits, or mixed case): "https://go.xy/C3c8J". Words ("/promo") and numbers ("/2024") do not count.
 */
export function shortenedShape(href: string, host: string): boolean {
  if (!/^[a-z0-9]{1,5}\.[a-z]{2,3}$/.test(host)) return false;
  const m = /^\s*https?:\/\/[^/?#]+\/([A-Za-z0-9_-]{4,10})\/?$/i.exec(href.slice(0, 200));
  if (!m) return false;
  const t = m[1]!;
  return (/[0-9]/.test(t) && /[A-Za-z]/.test(t)) || (/[A-Z]/.test(t) && /[a-z]/.test(t));
}

/** A host named after an IPv4 address ("188.106.205.92.host.example.net", "ip-10-2-3-4.x"). */
const IP_NAMED = /(?:^|[.-])(?:ip[.-]?)?(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-]/;

/** The other domain an open redirect forwards to, or null when the link is not one. */
export function openRedirectTarget(href: string, host: string, redirectors: readonly string[]): string | null {
  const h = href.slice(0, 4096);
  const hostAt = h.toLowerCase().indexOf(host);
  if (hostAt < 0) return null;
  const rest = h.slice(hostAt);
  const restLower = rest.toLowerCase();
  if (!redirectors.some((r) => restLower.startsWith(r))) return null;
  const q = rest.search(/[?#]/);
  const query = q < 0 ? rest.slice(rest.indexOf('/') + 1) : rest.slice(q + 1);
  let decoded = query;
  for (let k = 0; k < 2 && /%[0-9a-f]{2}/i.test(decoded); k++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      break;
    }
  }
  const m = /(?:https?:)?\/\/([a-z0-9.-]{1,253})/i.exec(decoded) ?? /^([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6})\//i.exec(decoded);
  if (!m) return null;
  const target = m[1]!.toLowerCase();
  const reg = registrableDomain(target);
  return reg && reg.includes('.') && reg !== registrableDomain(host) ? target : null;
}

export function linkReasons(links: readonly Link[], facts: HtmlFacts | null, ctx: LinkContext): Reason[] {
  const byCode = new Map<string, Reason>();
  const add = (r: Reason) => {
    if (!byCode.has(r.code)) byCode.set(r.code, r);
  };
  const checked = new Set<string>();
  for (const link of links) {
    const u = urlFacts(link.href);
    if (!u) continue;
    if (u.scheme === 'javascript' || u.scheme === 'data' || u.scheme === 'vbscript') {
      add({ code: `link.${u.scheme === 'data' ? 'data' : 'script'}_url`, weight: u.scheme === 'data' ? 0.5 : 0.3, evidence: `a link runs ${truncateForEvidence(link.href, 40)}` });
      continue;
    }
    if (!u.host) continue;
    const host = u.host;
    const reg = registrableDomain(host);
    const shown = link.text ? shownDomain(link.text) : null;
    if (shown && shown !== reg && !link.href.toLowerCase().includes(shown)) {
      add({ code: 'link.text_mismatch', weight: 0.45, evidence: `link text shows ${shown} but goes to ${host}` });
    }
    if (isIpHost(host)) add({ code: 'link.ip_host', weight: 0.45, evidence: `a link goes to the bare address ${host}${link.text ? ` ("${truncateForEvidence(link.text, 40)}")` : ''}` });
    if (u.userinfo) add({ code: 'link.userinfo', weight: 0.5, evidence: `a link hides its destination after "@": ${truncateForEvidence(link.href, 80)}` });
    for (const r of hostScriptReasons(host, 'link')) add(r);
    if (ctx.lists.shorteners.has(reg) || ctx.lists.shorteners.has(host)) add({ code: 'link.shortener', weight: 0.2, evidence: `a link goes through the shortener ${host}` });
    else if (reg !== ctx.senderDomain && shortenedShape(link.href, host)) add({ code: 'link.shortener', weight: 0.2, evidence: `${truncateForEvidence(link.href, 50)} has the shape of a shortened address, which hides where it goes` });
    else if (ctx.lists.abusedHosting.has(reg) || ctx.lists.abusedHosting.has(host) || [...hostSuffixes(host)].some((s) => ctx.lists.abusedHosting.has(s))) {
      const brand = ctx.senderBrand;
      if (brand && !brand.domains.includes(reg)) {
        // A brand links to its own sites; a page anyone can publish is where its imitators live.
        add({ code: 'link.brand_free_hosting', weight: 0.45, evidence: `the message presents itself as ${brand.names[0]}, but a link goes to ${host}, a platform where anyone can publish a page` });
      } else if (reg !== ctx.senderDomain) add({ code: 'link.free_hosting', weight: 0.25, evidence: `a link goes to ${host}, a platform where anyone can publish a page` });
    }
    const forwarded = ctx.lists.redirectors.length ? openRedirectTarget(link.href, host, ctx.lists.redirectors) : null;
    if (forwarded) add({ code: 'link.open_redirect', weight: 0.3, evidence: `a link passes through ${host}, which forwards to ${forwarded}, so the link shows a name it does not lead to` });
    if (!isIpHost(host) && IP_NAMED.test(host) && reg !== ctx.senderDomain) {
      add({ code: 'link.ip_named_host', weight: 0.3, evidence: `a link goes to ${host}, a server named after its network address rather than a site` });
    }
    const hit = checked.has(host) ? null : findLookalike(host, ctx.protectedIndex);
    checked.add(host);
    if (hit) add({ code: `link.lookalike_${hit.target.kind}`, weight: lookalikeWeight(hit), evidence: `a link goes to ${describeLookalike(host, hit)}` });
    if (link.text && ctx.senderDomain && reg !== ctx.senderDomain && !ctx.orgDomains?.has(reg) && ACTION_TEXT.test(link.text) && link.text.length <= 40 && !/unsubscribe|privacy|terms/i.test(link.text)) {
      add({ code: 'link.action_offsite', weight: 0.2, evidence: `the button "${truncateForEvidence(link.text, 40)}" goes to ${host}, not ${ctx.senderDomain}` });
    }
    const tld = reg.split('.').pop() ?? '';
    if (ctx.lists.riskyTlds.has(tld) && reg !== ctx.senderDomain) add({ code: 'link.risky_tld', weight: 0.1, evidence: `a link goes to ${host} (.${tld} is often abused)` });
  }
  if (facts) {
    if (facts.passwordInputs > 0) add({ code: 'html.password_form', weight: 0.6, evidence: 'the message body contains a password field' });
    else if (facts.forms > 0) {
      const action = facts.formActions[0];
      add({ code: 'html.form', weight: 0.35, evidence: `the message body contains a form${action ? ` that sends to ${truncateForEvidence(action, 60)}` : ''}` });
    }
  }
  return [...byCode.values()];
}

/**
 * Mail from a listed brand's own domain whose web links all lead elsewhere. A brand's mail links
 * to the brand (its help pages, privacy notice, account pages); a forged From: of the brand
 * (possible wherever authentication is not checked) links to the forger's pages.
 */
export function brandSenderOffsite(links: readonly Link[], brand: BrandEntry, senderDomain: string): Reason | null {
  if (!brand.domains.includes(senderDomain)) return null;
  const hosts: string[] = [];
  for (const l of links) {
    const host = urlFacts(l.href)?.host;
    if (!host) continue;
    if (brand.domains.includes(registrableDomain(host))) return null;
    if (hosts.length < 2 && !hosts.includes(host)) hosts.push(host);
  }
  if (!hosts.length) return null;
  return {
    code: 'link.brand_sender_offsite',
    weight: 0.25,
    evidence: `the message is from ${senderDomain} (${brand.names[0]}), but none of its links goes to ${brand.names[0]}: they go to ${hosts.join(', ')}`,
  };
}

/** Links that are housekeeping rather than content: opt-out and privacy pages. */
const HOUSEKEEPING = /unsub|opt-?out|optout|remove|abmeld|abbestell|privacy|datenschutz/i;

/**
 * Every web link (three or more, opt-out and privacy links aside) goes to one site that has nothing
 * in common with the sender's domain: the message is a wrapper around someone else's page, as with
 * affiliate offers sent from borrowed or throw-away domains. A company's own mail links to itself
 * (shop, help pages, social profiles are several sites). Weak (0.15): mail sent through a
 * click-tracking service on the service's own domain has the same shape.
 */
export function singleForeignHostReason(links: readonly Link[], senderDomain: string, orgDomains: ReadonlySet<string> = new Set()): Reason | null {
  if (!senderDomain) return null;
  const senderLabel = senderDomain.split('.')[0] ?? '';
  let only = '';
  let n = 0;
  for (const l of links) {
    const u = urlFacts(l.href);
    if (!u || (u.scheme !== 'http' && u.scheme !== 'https') || !u.host || HOUSEKEEPING.test(l.href.slice(0, 4096)) || HOUSEKEEPING.test(l.text)) continue;
    const reg = registrableDomain(u.host);
    if (!reg || orgDomains.has(reg)) return null;
    if (only && reg !== only) return null;
    only = reg;
    n++;
  }
  const onlyLabel = only.split('.')[0] ?? '';
  if (n < 3 || !onlyLabel || !senderLabel || only.includes(senderLabel) || senderDomain.includes(onlyLabel)) return null;
  return { code: 'link.single_foreign_host', weight: 0.15, evidence: `all ${n} links go to ${only}, a site with no part of the sender's name (${senderDomain})` };
}

export function* hostSuffixes(host: string): Generator<string> {
  let i = host.indexOf('.');
  while (i >= 0) {
    yield host.slice(i + 1);
    i = host.indexOf('.', i + 1);
  }
}
