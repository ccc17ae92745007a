/**
 * Sender authentication: live checks through mailauth (the SMTP server calls this with the
 * connection's facts), or results read from an upstream server's Authentication-Results
 * header, trusted only for configured authserv-ids (RFC 8601 §5).
 */
import type { AuthenticateResult, DNSResolver } from 'mailauth';
import { registrableDomain } from './domains.js';
import type { AuthResults, AuthVerdict, HeaderMap, Reason } from './types.js';

const VERDICTS = new Set<AuthVerdict>(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);

function toVerdict(v: string | undefined): AuthVerdict | undefined {
  if (!v) return undefined;
  const s = v.toLowerCase();
  if (s === 'temperr') return 'temperror';
  if (s === 'hardfail') return 'fail';
  return VERDICTS.has(s as AuthVerdict) ? (s as AuthVerdict) : undefined;
}

/** Removes RFC 5322 comments "(...)", one level of nesting at a time, in linear time. */
function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}

export interface ParsedAuthResultsHeader {
  authservId: string;
  results: Array<{ method: string; result: string; props: Record<string, string> }>;
}

export function parseAuthResultsHeader(value: string): ParsedAuthResultsHeader {
  const parts = stripComments(value.slice(0, 8192)).split(';').map((p) => p.trim());
  let authservId = '';
  if (parts.length && !parts[0]!.includes('=')) {
    authservId = (parts.shift() ?? '').split(/\s+/)[0]!.toLowerCase();
  }
  const results: ParsedAuthResultsHeader['results'] = [];
  for (const part of parts.slice(0, 50)) {
    const tokens = part.split(/\s+/).filter(Boolean);
    const first = tokens.shift();
    if (!first) continue;
    const eq = first.indexOf('=');
    if (eq <= 0) continue;
    const props: Record<string, string> = {};
    for (const t of tokens) {
      const e = t.indexOf('=');
      if (e > 0) props[t.slice(0, e).toLowerCase()] = t.slice(e + 1).toLowerCase();
    }
    results.push({ method: first.slice(0, eq).toLowerCase(), result: first.slice(eq + 1).toLowerCase(), props });
  }
  return { authservId, results };
}

function best(list: Array<AuthVerdict | undefined>): AuthVerdict | undefined {
  const order: AuthVerdict[] = ['pass', 'fail', 'softfail', 'permerror', 'temperror', 'neutral', 'policy', 'none'];
  for (const v of order) if (list.includes(v)) return v;
  return undefined;
}

/**
 * Reads the topmost Authentication-Results header written by a trusted authserv-id.
 * The id '*' trusts the topmost header whatever its id, for upstreams (Microsoft 365) that
 * write none and remove inbound copies; use it only when that is true of your upstream.
 */
export function authFromHeaders(headers: HeaderMap, trustedAuthservIds: readonly string[] = []): AuthResults | undefined {
  const trusted = new Set(trustedAuthservIds.map((s) => s.toLowerCase()));
  if (trusted.size === 0) return undefined;
  const values = headers.get('authentication-results') ?? [];
  for (let i = 0; i < values.length && i < 20; i++) {
    const parsed = parseAuthResultsHeader(values[i]!);
    const ok = trusted.has(parsed.authservId) || (i === 0 && trusted.has('*'));
    if (!ok) continue;
    const of = (m: string) => parsed.results.filter((r) => r.method === m);
    const dkim = of('dkim');
    const spf = of('spf')[0];
    const out: AuthResults = { source: 'header', authservId: parsed.authservId };
    const set = <K extends keyof AuthResults>(k: K, v: AuthResults[K] | undefined) => {
      if (v !== undefined) out[k] = v;
    };
    set('spf', toVerdict(spf?.result));
    set('spfDomain', spf?.props['smtp.mailfrom'] ? registrableDomain(spf.props['smtp.mailfrom'].split('@').pop() ?? '') : undefined);
    set('dkim', best(dkim.map((r) => toVerdict(r.result))));
    const dkimDomains = dkim.filter((r) => r.result === 'pass' && r.props['header.d']).map((r) => r.props['header.d']!);
    if (dkimDomains.length) out.dkimDomains = dkimDomains;
    set('dmarc', toVerdict(of('dmarc')[0]?.result));
    set('arc', toVerdict(of('arc')[0]?.result));
    return out;
  }
  return undefined;
}

export interface CheckAuthenticationOptions {
  raw: Buffer;
  /** Connecting client's address. */
  ip: string;
  helo: string;
  /** Envelope sender (MAIL FROM), '' for bounces. */
  mailFrom: string;
  /** DNS look-ups go through this; tests pass a fake. */
  resolver: DNSResolver;
  /** Our own host name, written as the authserv-id. */
  mta?: string;
}

export function authResultsFromMailauth(r: AuthenticateResult): AuthResults {
  const out: AuthResults = { source: 'live' };
  const dkimRows = r.dkim?.results ?? [];
  const dkim = best(dkimRows.map((x) => toVerdict(x.status?.result)));
  if (dkim) out.dkim = dkim;
  else out.dkim = 'none';
  const passing = dkimRows.filter((x) => x.status?.result === 'pass').map((x) => x.signingDomain).filter(Boolean);
  if (passing.length) out.dkimDomains = passing;
  if (r.spf) {
    const v = toVerdict(r.spf.status?.result);
    if (v) out.spf = v;
    if (r.spf.domain) out.spfDomain = registrableDomain(r.spf.domain);
  }
  if (r.dmarc) {
    const v = toVerdict(r.dmarc.status?.result);
    if (v) out.dmarc = v;
  }
  if (r.arc) {
    const v = toVerdict(r.arc.status?.result);
    if (v) out.arc = v;
  }
  return out;
}

/** Live SPF, DKIM, DMARC and ARC for a message received by our SMTP server. */
export async function checkAuthentication(opts: CheckAuthenticationOptions): Promise<AuthResults> {
  // Loaded on the first message (about 0.2 s of a start otherwise; decision 0233).
  const { authenticate } = await import('mailauth');
  const result = await authenticate(opts.raw, {
    ip: opts.ip,
    helo: opts.helo,
    sender: opts.mailFrom,
    resolver: opts.resolver,
    mta: opts.mta ?? 'trustdesk',
    disableBimi: true,
  });
  return authResultsFromMailauth(result);
}

/** Reasons from authentication results, judged against the From domain. */
export function authReasons(auth: AuthResults | undefined, fromDomain: string): Reason[] {
  if (!auth) return [];
  const reasons: Reason[] = [];
  const where = auth.source === 'live' ? 'our check' : `upstream ${auth.authservId || 'receiver'}`;
  const from = registrableDomain(fromDomain);
  const arcPass = auth.arc === 'pass';
  if (auth.dmarc === 'fail') {
    reasons.push({
      code: 'auth.dmarc_fail',
      weight: arcPass ? 0.3 : 0.6,
      evidence: `DMARC failed for ${from || 'the From domain'} (${where})${arcPass ? '; an ARC chain passed, so it may be forwarded' : ''}`,
    });
  }
  if (auth.spf === 'fail' || auth.spf === 'softfail') {
    reasons.push({ code: `auth.spf_${auth.spf}`, weight: auth.spf === 'fail' ? 0.3 : 0.15, evidence: `SPF ${auth.spf} for ${auth.spfDomain ?? 'the envelope sender'} (${where})` });
  }
  if (auth.dkim === 'fail' && !(auth.dkimDomains?.length)) {
    reasons.push({ code: 'auth.dkim_fail', weight: 0.2, evidence: `DKIM signature did not verify (${where})` });
  }
  const aligned =
    auth.dmarc === 'pass' ||
    (from !== '' && (auth.spfDomain === from && auth.spf === 'pass')) ||
    (from !== '' && (auth.dkimDomains ?? []).some((d) => registrableDomain(d) === from));
  const nothing = (auth.spf ?? 'none') !== 'pass' && (auth.dkim ?? 'none') !== 'pass';
  if (nothing && auth.dmarc !== 'fail') {
    reasons.push({ code: 'auth.none', weight: 0.25, evidence: `neither SPF nor DKIM passed for ${from || 'the sender'} (${where})` });
  } else if (!aligned && auth.dmarc !== 'fail' && from) {
    const who = [auth.spf === 'pass' ? `SPF for ${auth.spfDomain ?? '?'}` : '', (auth.dkimDomains ?? []).length ? `DKIM for ${auth.dkimDomains!.join(', ')}` : '']
      .filter(Boolean)
      .join(' and ');
    reasons.push({ code: 'auth.unaligned', weight: 0.2, evidence: `${who} passed, but nothing authenticates ${from} in From (${where})` });
  }
  if (auth.arc === 'fail') reasons.push({ code: 'auth.arc_fail', weight: 0.1, evidence: `ARC chain failed (${where})` });
  return reasons;
}
