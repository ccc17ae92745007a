/**
 * Pure: a destination's settings checked before they are saved, with messages an admin can act on (answered as
 * problem+json `validation_failed`): host, port, URL, PEM certificates, the client key and that it belongs to the
 * certificate, secrets only where the transport uses them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { AppError } from '../../platform/errors.js';
import type { OutboundOptions } from '../../platform/http/outbound.js';
import type { SiemFormat, SiemTransport } from './schema.js';

const invalid = (message: string) => new AppError('validation_failed', message);
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export function checkHost(host: string): string {
  const h = host.trim();
  if (isIP(h)) return h;
  if (!HOST_NAME.test(h)) throw invalid('The host must be a host name or an IP address (no scheme, port or path).');
  return h.toLowerCase();
}

/** One or more PEM certificates; each must parse. */
export function checkCertificates(pem: string, what: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length === 0) throw invalid(`${what} must be one or more PEM certificates (-----BEGIN CERTIFICATE-----).`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      throw invalid(`${what} holds a certificate that cannot be read.`);
    }
  }
  return blocks.join('\n') + '\n';
}

export function checkPrivateKey(pem: string): void {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw invalid('The client key must be a PEM private key.');
  try {
    createPrivateKey(pem);
  } catch {
    throw invalid('The client key cannot be read (an encrypted key is not supported).');
  }
}

export interface Resolved {
  name: string;
  transport: SiemTransport;
  host: string | null;
  port: number | null;
  url: string | null;
  format: SiemFormat;
  caPem: string | null;
  clientCertPem: string | null;
  clientKeyPem: string | null | undefined;
  token: string | null | undefined;
  enabled: boolean;
  lagAlertThreshold: number;
}

/** Checks a whole destination (on change: the stored one with the changes applied). `hasKey`/`hasToken`: what is stored. */
export function checkDestination(input: Resolved, stored: { hasKey: boolean; hasToken: boolean }, outbound: OutboundOptions): Resolved {
  const name = input.name.trim();
  if (!name || name.length > 100) throw invalid('Give the destination a name of at most 100 characters.');
  const out: Resolved = { ...input, name };
  if (input.transport === 'https') {
    if (!input.url) throw invalid('An HTTPS destination needs the collector’s URL.');
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw invalid('The URL cannot be read.');
    }
    if (url.protocol !== 'https:' && !(outbound.allowPrivate && url.protocol === 'http:')) throw invalid('The collector’s URL must use https.');
    if (url.username || url.password) throw invalid('Put the token in the token field, not in the URL.');
    out.url = url.toString();
    out.host = null;
    out.port = null;
    const willHaveToken = input.token === undefined ? stored.hasToken : input.token !== null;
    if (!willHaveToken) throw invalid('An HTTPS destination needs the collector’s token.');
  } else {
    if (!input.host) throw invalid('A syslog destination needs a host.');
    out.host = checkHost(input.host);
    if (input.port == null || !Number.isInteger(input.port) || input.port < 1 || input.port > 65535) throw invalid('The port must be a number from 1 to 65535.');
    out.url = null;
    if (input.token) throw invalid('A token is only for HTTPS destinations.');
    out.token = input.token === undefined && stored.hasToken ? null : (input.token ?? null);
  }
  if (input.token != null && !/^[\x21-\x7e]{8,500}$/.test(input.token)) throw invalid('The token must be 8 to 500 visible characters, without spaces.');
  const usesTls = input.transport === 'tls' || input.transport === 'https';
  if (!usesTls && (input.caPem || input.clientCertPem || input.clientKeyPem)) throw invalid('Certificates are only for TLS and HTTPS destinations.');
  out.caPem = input.caPem ? checkCertificates(input.caPem, 'The CA certificate') : null;
  out.clientCertPem = input.clientCertPem ? checkCertificates(input.clientCertPem, 'The client certificate') : null;
  if (input.clientKeyPem) checkPrivateKey(input.clientKeyPem);
  if (!usesTls && stored.hasKey && input.clientKeyPem === undefined) out.clientKeyPem = null;
  const willHaveKey = input.clientKeyPem === undefined ? stored.hasKey && usesTls : input.clientKeyPem !== null;
  if (Boolean(out.clientCertPem) !== willHaveKey) throw invalid('Mutual TLS needs both the client certificate and its key.');
  if (out.clientCertPem && input.clientKeyPem) {
    const cert = new X509Certificate(out.clientCertPem.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----');
    if (!cert.checkPrivateKey(createPrivateKey(input.clientKeyPem))) throw invalid('The client key does not belong to the client certificate.');
  }
  if (!Number.isInteger(input.lagAlertThreshold) || input.lagAlertThreshold < 1 || input.lagAlertThreshold > 100_000_000) throw invalid('The lag alert threshold must be from 1 to 100,000,000 events.');
  return out;
}

