/**
 * What the warning page says about a link before the agent opens it. Pure:
 * the URL is never fetched. The engine's own link signals are internal to
 * src/threats/phishing, so this is a small, separate check of the same kinds
 * (decision 0037).
 */
import { parse as parseHost } from 'tldts';

export interface LinkReason {
  code: string;
  evidence: string;
}

export interface LinkCheck {
  scheme: string;
  host: string;
  /** Registrable domain of the host ('' for IP literals and non-web links). */
  domain: string;
  /** 'block': never open (script/data links); 'warn': show the reasons first; 'ok': nothing found. */
  level: 'ok' | 'warn' | 'block';
  reasons: LinkReason[];
}

/** Common link shorteners: the destination is hidden until the link is followed. */
export const SHORTENERS: ReadonlySet<string> = new Set([
  'bit.ly', 'tinyurl.com', 't.co', 'goo.gl', 'ow.ly', 'is.gd', 'buff.ly', 'rebrand.ly', 'cutt.ly', 'shorturl.at', 'tiny.cc', 'rb.gy',
  'bl.ink', 'lnkd.in', 'soo.gd', 's.id', 't.ly', 'v.gd', 'qr.ae', 'adf.ly', 'short.io', 'bitly.com', 'x.co', 'clck.ru',
]);

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

function isIpLiteral(host: string): boolean {
  return parseHost(host).isIp === true || /^\d+$/.test(host) || /^0x[0-9a-f]+$/i.test(host) || /^[0-9.]+$/.test(host) || host.includes(':');
}

/** The domain a link's visible text shows ("paypal.com", "https://www.paypal.com/x"), or null. */
export function shownDomainOf(text: string): string | null {
  const t = text.trim();
  if (!t || t.length > 200 || /\s/.test(t)) return null;
  const m = /^(?:https?:\/\/)?([^/\s?#:@]+)(?:[:/?#]|$)/i.exec(t);
  if (!m) return null;
  const info = parseHost(m[1]!.toLowerCase());
  // Real public suffixes only ("file.pdf" is not a domain), plus RFC 2606's reserved names.
  const reserved = info.publicSuffix === 'example' || info.publicSuffix === 'test';
  return (info.isIcann === true || reserved) && info.domain ? info.domain : null;
}

export function checkLink(input: { url: string; text?: string | undefined; shorteners?: ReadonlySet<string> }): LinkCheck {
  const shorteners = input.shorteners ?? SHORTENERS;
  const href = input.url.trim().replace(/^[\u0000-\u0020]+/, '');
  const colon = href.indexOf(':');
  const scheme = colon > 0 && colon <= 12 ? href.slice(0, colon).toLowerCase().replace(/[\t\n\r]/g, '') : '';
  const reasons: LinkReason[] = [];
  if (scheme === 'javascript' || scheme === 'vbscript' || scheme === 'data') {
    reasons.push({ code: scheme === 'data' ? 'link.data_url' : 'link.script_url', evidence: `the link runs ${cut(href, 40)} instead of opening a page` });
    return { scheme, host: '', domain: '', level: 'block', reasons };
  }
  if (scheme !== 'http' && scheme !== 'https') {
    reasons.push({ code: 'link.unusual_scheme', evidence: `the link is not a web address (${cut(scheme || href, 20)})` });
    return { scheme, host: '', domain: '', level: 'warn', reasons };
  }
  // Authority as the reader sees it, before any URL normalisation hides it.
  const rest = href.slice(colon + 1).replace(/^[\\/]+/, '');
  const end = rest.search(/[\\/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const rawHost = hostPort.startsWith('[') ? hostPort.slice(1, Math.max(1, hostPort.indexOf(']'))) : (hostPort.split(':')[0] ?? '');
  const host = rawHost.toLowerCase().replace(/\.$/, '');
  const ip = isIpLiteral(host);
  const domain = ip ? '' : (parseHost(host).domain ?? host);

  if (at >= 0) reasons.push({ code: 'link.userinfo', evidence: `the text before "@" (${cut(authority.slice(0, at), 40)}) is not where the link goes; it goes to ${host}` });
  if (ip) reasons.push({ code: 'link.ip_host', evidence: `the link goes to the bare address ${host}, not a named site` });
  if (host.split('.').some((l) => l.startsWith('xn--')) || /[^\u0000-\u007f]/.test(host)) {
    reasons.push({ code: 'link.punycode', evidence: `the site name ${host} uses international characters that can imitate another name` });
  }
  if (shorteners.has(host) || shorteners.has(domain)) reasons.push({ code: 'link.shortener', evidence: `${host} is a link shortener: the real destination is hidden` });
  const shown = input.text ? shownDomainOf(input.text) : null;
  if (shown && shown !== domain) reasons.push({ code: 'link.text_mismatch', evidence: `the link text shows ${shown} but the link goes to ${host}` });
  return { scheme, host, domain, level: reasons.length ? 'warn' : 'ok', reasons };
}
