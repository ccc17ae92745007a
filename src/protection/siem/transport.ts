/**
 * How a batch of audit events reaches a destination (decision 0193):
 *   - tls:   syslog over TLS (RFC 5425), octet-counted frames (RFC 6587); the CA given (or the system's), an optional
 *            client certificate for mutual TLS; the server's name is always checked against its certificate.
 *   - tcp:   the same frames over plain TCP.
 *   - udp:   one datagram per message (RFC 5426), for a relay on the same host or network.
 *   - https: one POST per batch in the HTTP Event Collector shape (newline-separated JSON objects,
 *            `Authorization: Splunk <token>`), through the one outbound HTTP wrapper.
 * `deliver` resolves only once the transport has accepted the whole batch: for TCP and TLS, every byte written and
 * flushed to the operating system; for UDP, every datagram sent; for HTTPS, a 2xx answer. Every step has a time limit.
 * The host is resolved and checked like any outbound request (private addresses need TRUSTDESK_ALLOW_PRIVATE_OUTBOUND)
 * and the connection pinned to the checked address.
 */
import dgram from 'node:dgram';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { resolveOutboundHost, sendOutboundRequest, type OutboundOptions } from '../../platform/http/outbound.js';
import { hecObject, syslogFor, type SiemMessage } from './checkpoint-event.js';
import { frameOctetCounted, type FormatOptions } from './format.js';
import type { SiemFormat, SiemTransport } from './schema.js';

export interface TransportConfig {
  transport: SiemTransport;
  host: string | null;
  port: number | null;
  url: string | null;
  format: SiemFormat;
  caPem: string | null;
  clientCertPem: string | null;
  clientKeyPem: string | null;
  token: string | null;
}

export interface TransportOptions extends FormatOptions {
  outbound: OutboundOptions;
  connectTimeoutMs?: number;
  writeTimeoutMs?: number;
}

export interface Transport {
  /** Resolves once the destination's transport has accepted every message of the batch; rejects otherwise. */
  deliver(events: readonly SiemMessage[]): Promise<void>;
  close(): void;
}

/** A destination's failure as the admin screen shows it: the reason and the system's code, nothing from the far side's body. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; reason?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  // The system's code (ECONNRESET, ERR_TLS_CERT_ALTNAME_INVALID …) when the message does not already say it.
  const code = typeof e?.code === 'string' && /^(E[A-Z]+|ERR_[A-Z_]+|[A-Z_]+_CERT[A-Z_]*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/.test(e.code) && !message.includes(e.code) ? ` (${e.code})` : '';
  return `${message}${code}`.replace(/[\r\n]+/g, ' ').slice(0, 480);
}

/** A refusal that says when to come back (HTTP 429 or 503 with Retry-After); the sender waits at least that long. */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function createTransport(config: TransportConfig, options: TransportOptions): Transport {
  if (config.transport === 'https') return new HttpTransport(config, options);
  if (config.transport === 'udp') return new UdpTransport(config, options);
  return new StreamTransport(config, options);
}

function withTimeout<T>(what: string, ms: number, run: (fail: (err: Error) => void) => Promise<T>, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
    run((err) => {
      clearTimeout(timer);
      reject(err);
    }).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Syslog over TCP or TLS: one connection kept between batches, opened again after any error. */
class StreamTransport implements Transport {
  private socket: net.Socket | undefined;
  private readonly connectTimeoutMs: number;
  private readonly writeTimeoutMs: number;

  constructor(
    private readonly config: TransportConfig,
    private readonly options: TransportOptions,
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
  }

  private async connect(): Promise<net.Socket> {
    const host = this.config.host ?? '';
    const port = this.config.port ?? 0;
    const pinned = await resolveOutboundHost(host, this.options.outbound);
    let socket: net.Socket | undefined;
    return withTimeout(
      `connecting to ${host}:${port}`,
      this.connectTimeoutMs,
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          if (this.config.transport === 'tls') {
            const s = tls.connect({
              host: pinned.address,
              port,
              // SNI carries a name, never an address; the certificate is checked against the configured host either way.
              ...(isIP(host) ? {} : { servername: host }),
              checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
              rejectUnauthorized: true,
              ...(this.config.caPem ? { ca: this.config.caPem } : {}),
              ...(this.config.clientCertPem && this.config.clientKeyPem ? { cert: this.config.clientCertPem, key: this.config.clientKeyPem } : {}),
              minVersion: 'TLSv1.2',
            });
            socket = s;
            s.once('secureConnect', () => resolve(s));
          } else {
            const s = net.connect({ host: pinned.address, port });
            socket = s;
            s.once('connect', () => resolve(s));
          }
          socket.once('error', reject);
        }),
      () => socket?.destroy(),
    ).then((s) => {
      s.setNoDelay(true);
      s.setKeepAlive(true, 30_000);
      // A syslog receiver sends nothing; whatever comes is read and dropped so the socket never stalls.
      s.resume();
      const forget = () => {
        if (this.socket === s) this.socket = undefined;
      };
      s.on('error', forget);
      s.on('end', forget);
      s.on('close', forget);
      return s;
    });
  }

  async deliver(events: readonly SiemMessage[]): Promise<void> {
    if (events.length === 0) return;
    const data = Buffer.concat(events.map((e) => frameOctetCounted(syslogFor(e, this.config.format, this.options))));
    let socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable || socket.readableEnded) {
      socket?.destroy();
      socket = this.socket = await this.connect();
    }
    const s = socket;
    try {
      await withTimeout(
        'writing to the destination',
        this.writeTimeoutMs,
        (fail) => {
          const onClose = () => fail(new Error('the destination closed the connection'));
          s.once('error', fail);
          s.once('close', onClose);
          return new Promise<void>((resolve, reject) => {
            // The callback runs once the data has been handed to the operating system (flushed from Node's buffer).
            s.write(data, (err) => {
              s.off('error', fail);
              s.off('close', onClose);
              if (err) reject(err);
              else resolve();
            });
          });
        },
        () => s.destroy(),
      );
    } catch (err) {
      s.destroy();
      if (this.socket === s) this.socket = undefined;
      throw err;
    }
  }

  close(): void {
    this.socket?.end();
    this.socket = undefined;
  }
}

/** Syslog over UDP: one message per datagram, no framing (RFC 5426); accepted = handed to the system. */
class UdpTransport implements Transport {
  constructor(
    private readonly config: TransportConfig,
    private readonly options: TransportOptions,
  ) {}

  async deliver(events: readonly SiemMessage[]): Promise<void> {
    if (events.length === 0) return;
    const pinned = await resolveOutboundHost(this.config.host ?? '', this.options.outbound);
    const socket = dgram.createSocket(pinned.family === 6 ? 'udp6' : 'udp4');
    try {
      await withTimeout(
        'sending datagrams',
        this.options.writeTimeoutMs ?? 10_000,
        async (fail) => {
          socket.once('error', fail);
          for (const e of events) {
            const msg = Buffer.from(syslogFor(e, this.config.format, this.options), 'utf8');
            await new Promise<void>((resolve, reject) => socket.send(msg, this.config.port ?? 0, pinned.address, (err) => (err ? reject(err) : resolve())));
          }
        },
        () => undefined,
      );
    } finally {
      socket.close();
    }
  }

  close(): void {}
}

/** The HTTP Event Collector shape: one JSON object per message, newline-separated, in one POST. */
export function hecBody(events: readonly SiemMessage[], format: SiemFormat, options: FormatOptions): string {
  return events.map((e) => JSON.stringify(hecObject(e, format, options))).join('\n');
}

class HttpTransport implements Transport {
  constructor(
    private readonly config: TransportConfig,
    private readonly options: TransportOptions,
  ) {}

  async deliver(events: readonly SiemMessage[]): Promise<void> {
    if (events.length === 0) return;
    const res = await sendOutboundRequest(
      {
        url: this.config.url ?? '',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.config.token ? { authorization: `Splunk ${this.config.token}` } : {}) },
        body: hecBody(events, this.config.format, this.options),
      },
      {
        ...this.options.outbound,
        // A redirect would carry the token elsewhere: it counts as a failure.
        maxRedirects: 0,
        timeoutMs: this.options.writeTimeoutMs ?? 10_000,
        maxResponseBytes: 1024,
        tls: { ca: this.config.caPem ?? undefined, cert: this.config.clientCertPem ?? undefined, key: this.config.clientKeyPem ?? undefined },
      },
    );
    if (res.status >= 200 && res.status < 300) return;
    const wait = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers['retry-after']) : undefined;
    if (wait !== undefined) throw new RetryLaterError(`the collector answered HTTP ${res.status} (retry after ${Math.ceil(wait / 1000)} s)`, wait);
    throw new Error(`the collector answered HTTP ${res.status}`);
  }

  close(): void {}
}
