/**
 * The one outbound HTTP wrapper (STYLE.md rule 19). Every request to a URL
 * that someone configured (webhooks today, SIEM and link checks later) goes
 * through `sendOutboundRequest`, which:
 *  - resolves the host first and checks EVERY resolved address against the
 *    private / loopback / link-local / metadata ranges (unless allowed),
 *  - pins the connection to the address it checked (a custom `lookup`), so a
 *    second DNS answer cannot swap in 127.0.0.1 (DNS rebinding),
 *  - follows redirects itself, re-checking each hop, and never silently,
 *  - bounds time and the bytes it reads back.
 * See docs/decisions/0083-outbound-http-ssrf.md.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { AppError } from '../errors.js';
import { injectContext, inSpan, SpanKind } from '../tracing/tracing.js';

export type ResolveHost = (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

export interface OutboundOptions {
  /** Let requests reach private and loopback addresses (config.allowPrivateWebhooks). */
  allowPrivate?: boolean;
  /** DNS resolution (tests inject a fake resolver). */
  resolve?: ResolveHost;
  /**
   * Decides whether an address may be contacted. Defaults to `isPublicAddress`;
   * tests use it to treat one loopback address as "the internet".
   */
  isAllowedAddress?: (address: string) => boolean;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Bytes of response body kept (the rest is read and discarded). */
  maxResponseBytes?: number;
  /** HTTPS only: a CA (PEM) to trust instead of the system's, and a client certificate and key for mutual TLS. */
  tls?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined } | undefined;
}

export interface OutboundRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The address actually connected to (the one that was checked). */
  remoteAddress: string;
  /** The URL of the final hop. */
  url: string;
}

/** Why a request was refused before any connection: safe to record, no response text. */
export class OutboundRefusedError extends AppError {
  readonly reason: 'scheme' | 'private_address' | 'dns' | 'redirect_limit' | 'bad_url';
  constructor(reason: OutboundRefusedError['reason'], internal: string) {
    super('bad_request', 'That address cannot be reached from this server.', { internal });
    this.name = 'OutboundRefusedError';
    this.reason = reason;
  }
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** IPv4 embedded in an IPv6 address by mapping, NAT64 or 6to4: those reach IPv4 hosts and must be judged as such. */
function embeddedIpv4(v6: string): string | null {
  const lower = v6.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const groups = expandIpv6(lower);
  if (!groups) return null;
  const hexToV4 = (a: number, b: number) => `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) return hexToV4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return hexToV4(g6, g7);
  if (g0 === 0x2002) return hexToV4(g1, g2);
  return null;
}

function expandIpv6(v6: string): number[] | null {
  if (v6.includes('.')) return null;
  const [head, tail, extra] = v6.split('::');
  if (extra !== undefined) return null;
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : missing < 1) return null;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t];
  const out = all.map((g) => Number.parseInt(g, 16));
  return out.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff) ? out : null;
}

/** True for a globally routable unicast address; false for private, loopback, link-local (cloud metadata), reserved. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return !blocked.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4) return !blocked.check(v4, 'ipv4');
    return !blocked.check(bare, 'ipv6');
  }
  return false;
}

const defaultResolve: ResolveHost = async (hostname) => {
  const rows = await dnsLookup(hostname, { all: true, verbatim: true });
  return rows.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

/** Resolve and check every address; returns the one to pin the connection to. */
async function checkedAddress(url: URL, options: OutboundOptions): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  let addresses: Array<{ address: string; family: 4 | 6 }>;
  if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(host);
    } catch (err) {
      throw new OutboundRefusedError('dns', `resolving ${host} failed: ${(err as Error).message}`);
    }
  }
  if (addresses.length === 0) throw new OutboundRefusedError('dns', `no address for ${host}`);
  if (!options.allowPrivate) {
    const allowed = options.isAllowedAddress ?? isPublicAddress;
    // One bad answer refuses the whole name: a round-robin that mixes in 127.0.0.1 is an attack, not a fallback.
    const bad = addresses.find((a) => !allowed(a.address));
    if (bad) throw new OutboundRefusedError('private_address', `${host} resolves to a refused address`);
  }
  return addresses[0] as { address: string; family: 4 | 6 };
}

/**
 * Resolves and checks a host name as a request to it would be (the SIEM's syslog transports use it): the address
 * to connect to, pinned, or an OutboundRefusedError.
 */
export async function resolveOutboundHost(host: string, options: OutboundOptions = {}): Promise<{ address: string; family: 4 | 6 }> {
  return checkedAddress(new URL(`https://${isIP(host) === 6 ? `[${host}]` : host}/`), options);
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('bad_url', 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundRefusedError('scheme', `scheme ${url.protocol}`);
  return url;
}

/** Checks a URL as a webhook target would be checked, without sending anything (for saving subscriptions). */
export async function checkOutboundUrl(raw: string, options: OutboundOptions = {}): Promise<void> {
  await checkedAddress(parseUrl(raw), options);
}

function sendOnce(url: URL, pinned: { address: string; family: 4 | 6 }, req: OutboundRequest, options: OutboundOptions): Promise<OutboundResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 64 * 1024;
  // The connection may only go to the address that was checked, whatever DNS says now.
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: pinned.address, family: pinned.family }]);
    else cb(null, pinned.address, pinned.family);
  };
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = lib.request(
      url,
      { method: req.method ?? 'POST', headers: { 'user-agent': 'Trustdesk-Webhooks/1', ...req.headers }, lookup, timeout: timeoutMs, agent: false, ...(url.protocol === 'https:' ? tlsOptions(options) : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          if (kept < maxBytes) {
            chunks.push(c.subarray(0, maxBytes - kept));
            kept += Math.min(c.length, maxBytes - kept);
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), remoteAddress: res.socket?.remoteAddress ?? pinned.address, url: url.toString() }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => r.destroy(new Error('outbound request timed out')), timeoutMs);
    r.on('close', () => clearTimeout(timer));
    r.on('timeout', () => r.destroy(new Error('outbound request timed out')));
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

function tlsOptions(options: OutboundOptions): https.RequestOptions {
  const t = options.tls;
  if (!t) return {};
  return { ...(t.ca ? { ca: t.ca } : {}), ...(t.cert ? { cert: t.cert } : {}), ...(t.key ? { key: t.key } : {}), rejectUnauthorized: true };
}

/** Sends one request through the checks above. Network failures reject with the socket error; refusals with OutboundRefusedError. */
export async function sendOutboundRequest(req: OutboundRequest, options: OutboundOptions = {}): Promise<OutboundResponse> {
  // A client span (src/platform/tracing) named by method only; the host someone configured, never the path or query.
  const method = req.method ?? 'POST';
  const host = URL.canParse(req.url) ? new URL(req.url).hostname : '';
  return inSpan(
    method,
    { 'http.request.method': method, 'server.address': host },
    async (span) => {
      const res = await sendFollowingRedirects({ ...req, headers: injectContext(req.headers ?? {}) }, options);
      span?.setAttribute('http.response.status_code', res.status);
      return res;
    },
    SpanKind.CLIENT,
  );
}

async function sendFollowingRedirects(req: OutboundRequest, options: OutboundOptions): Promise<OutboundResponse> {
  const maxRedirects = options.maxRedirects ?? 3;
  let url = parseUrl(req.url);
  let current: OutboundRequest = req;
  for (let hop = 0; ; hop++) {
    const pinned = await checkedAddress(url, options);
    const res = await sendOnce(url, pinned, current, options);
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || res.status === 304 || !location) return res;
    if (hop >= maxRedirects) throw new OutboundRefusedError('redirect_limit', `more than ${maxRedirects} redirects`);
    url = parseUrl(new URL(location, url).toString());
    // 307/308 keep method and body; the others become a GET without one (as browsers do).
    current = res.status === 307 || res.status === 308 ? current : { ...(current.headers ? { headers: current.headers } : {}), url: url.toString(), method: 'GET' };
  }
}
