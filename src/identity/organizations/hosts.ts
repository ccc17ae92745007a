/**
 * An organisation's own host name (issue 19 "Addresses"; decision 0238).
 *
 * A provider runs one installation for many clients; each client's customers
 * should meet their support team at an address of their own
 * (support.client-a.example), not at the provider's host with `?org=<id>`.
 * The operator gives an organisation a host name (`trustdesk orgs host`); then
 * - its portal, request form and help pages are served there, and only there:
 *   the installation's host (or another organisation's) answers them as "not
 *   here", naming the right address; a portal session made elsewhere is not
 *   accepted (the cookie is the host's own anyway);
 * - the links in its customers' mail (sign-in, secure messages, satisfaction,
 *   exports, help articles, acknowledgements, policies) point there;
 * - customer passkeys are made for that host (WebAuthn binds a passkey to it).
 * Staff keep the installation's address: the console, invitations and
 * incident links are the provider's, not the client's.
 *
 * Which host a request came to is `request.hostname` (the Host header, or
 * X-Forwarded-Host behind a trusted proxy). A forged Host header only ever
 * selects which organisation's public pages answer, which a visitor can ask for
 * by id anyway; links are built from the stored name, never from the request.
 *
 * At start (and when set), a host name is checked against the TLS certificate
 * Trustdesk serves, when it serves one: a name the certificate does not cover
 * would show customers a certificate warning, the habit phishing relies on.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { findOrganization, type Operator } from './lifecycle.js';

/** A DNS host name of at least two labels, lower case, no trailing dot, no port (RFC 1123 labels). */
const HOST = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lower case, without a trailing dot; null when it is not a host name. */
export function normalizeHostName(input: string): string | null {
  const host = input.trim().toLowerCase().replace(/\.$/, '');
  return HOST.test(host) ? host : null;
}

/** The host a request came to, lower case, without port or trailing dot. */
export function requestHost(hostname: string | undefined): string {
  return (hostname ?? '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
}

/** The installation's address with another host name: same scheme and port, since the same listener serves it. */
export function addressFor(installationUrl: string, hostName: string | null): string {
  const base = installationUrl.replace(/\/+$/, '');
  if (!hostName) return base;
  const u = new URL(base);
  u.hostname = hostName;
  return u.toString().replace(/\/+$/, '');
}

/** Where this organisation's customers are sent: its own host name, or the installation's address. */
export async function customerBaseUrl(deps: { db: Executor; publicUrl: string }, orgId: string): Promise<string> {
  return (await customerAddress(deps, orgId)).baseUrl;
}

/**
 * The organisation a request's host name belongs to (not deleted), or null: the installation's own host (answered
 * without a query) and unknown names.
 */
export async function organizationAtHost(deps: { db: Executor; publicUrl: string }, hostname: string | undefined): Promise<{ id: string; hostName: string } | null> {
  const host = requestHost(hostname);
  if (!host || host === new URL(deps.publicUrl).hostname.toLowerCase()) return null;
  const r = await deps.db.selectFrom('organizations').where('host_name', '=', host).where('status', '<>', 'deleted').select(['id', 'host_name']).executeTakeFirst();
  return r?.host_name ? { id: r.id, hostName: r.host_name } : null;
}

/**
 * Refuses a portal request that came to the wrong host for the organisation it names: an organisation with a host
 * name is served only there; any other organisation only away from another organisation's host. The answer names
 * the right address, which is public (it is where the organisation's customers are sent).
 */
export function assertServedHere(org: { id: string; host_name: string | null }, here: { hostname: string | undefined; atHost: { id: string } | null; publicUrl: string }): void {
  const host = requestHost(here.hostname);
  if (org.host_name ? host !== org.host_name : here.atHost !== null && here.atHost.id !== org.id) {
    const where = addressFor(here.publicUrl, org.host_name);
    throw new AppError('not_found', `This organisation's support portal is at ${where}/portal.`, { extra: { portalUrl: `${where}/portal` } });
  }
}

/** What a TLS certificate file covers, for the checks below; undefined when Trustdesk serves no TLS itself. */
export function certificateOf(certPath: string | undefined): X509Certificate | undefined {
  return certPath ? new X509Certificate(readFileSync(certPath)) : undefined;
}

function checkName(host: string, installationUrl: string, cert: X509Certificate | undefined): void {
  if (host === new URL(installationUrl).hostname.toLowerCase()) {
    throw new AppError('validation_failed', `${host} is the installation's own address (TRUSTDESK_PUBLIC_URL); give the organisation a name of its own.`);
  }
  if (cert && cert.checkHost(host) === undefined) {
    throw new AppError('validation_failed', `The TLS certificate (TRUSTDESK_TLS_CERT) does not cover ${host}; its customers would see a certificate warning. Add the name to the certificate first.`);
  }
}

export interface HostDeps {
  db: Db;
  audit: AuditLog;
  publicUrl: string;
  tlsCert?: string | undefined;
}

/** Gives the organisation its host name (null: back to the installation's address). Audited. */
export async function setOrganizationHost(deps: HostDeps, operator: Operator, ref: string, input: string | null): Promise<{ organization: { id: string; slug: string; name: string }; hostName: string | null; previous: string | null; customerPasskeys: number }> {
  let host: string | null = null;
  if (input !== null) {
    host = normalizeHostName(input);
    if (!host) throw new AppError('validation_failed', `"${input}" is not a host name (for example support.client-a.example; no scheme, port or path).`);
    checkName(host, deps.publicUrl, certificateOf(deps.tlsCert));
  }
  const org = await findOrganization(deps.db, ref);
  if (org.status === 'deleted') throw new AppError('conflict', `${org.name} is deleted.`);
  const previous = org.hostName;
  if (host !== null) {
    const holder = await deps.db.selectFrom('organizations').where('host_name', '=', host).where('id', '<>', org.id).select('slug').executeTakeFirst();
    if (holder) throw new AppError('conflict', `${host} already belongs to the organisation ${holder.slug}.`);
  }
  await deps.db.transaction().execute(async (trx) => {
    try {
      await trx.updateTable('organizations').set({ host_name: host }).where('id', '=', org.id).execute();
    } catch (err) {
      // Two operators giving one name at once: the unique index decides.
      if ((err as { code?: string }).code === '23505') throw new AppError('conflict', `${host} already belongs to another organisation.`);
      throw err;
    }
    await deps.audit.append(trx, { orgId: org.id, actor: { type: 'system', id: operator.id }, requestId: operator.requestId, action: 'organization.host.set', object: { type: 'organization', id: org.id }, result: 'success', details: { hostName: host, previous } });
  });
  // Passkeys are bound to the host they were made at: customers who made one at the old address need their other factor.
  // (Counted by name: the table is the portal's, src/helpdesk/portal/mfa-schema.ts.)
  const passkeys = previous === host ? 0 : Number((await sql<{ n: string }>`SELECT count(*) AS n FROM customer_webauthn_credentials WHERE org_id = ${org.id}`.execute(deps.db)).rows[0]?.n ?? 0);
  return { organization: { id: org.id, slug: org.slug, name: org.name }, hostName: host, previous, customerPasskeys: passkeys };
}

/**
 * The start-up check: every organisation's host name, each a line for the start message; a name the installation's
 * own certificate does not cover, or the installation's own name, stops the start with the fix.
 */
export async function checkOrganizationHosts(deps: { db: Executor; publicUrl: string; tlsCert?: string | undefined }): Promise<string[]> {
  const rows = await deps.db.selectFrom('organizations').where('host_name', 'is not', null).where('status', '<>', 'deleted').select(['slug', 'name', 'host_name', 'status']).orderBy('slug').execute();
  if (!rows.length) return [];
  const cert = certificateOf(deps.tlsCert);
  const problems: string[] = [];
  const lines: string[] = [];
  for (const r of rows) {
    try {
      checkName(r.host_name!, deps.publicUrl, cert);
      lines.push(`${r.name}: ${addressFor(deps.publicUrl, r.host_name)}/portal${r.status === 'suspended' ? ' (suspended)' : ''}`);
    } catch (err) {
      problems.push(`${r.slug}: ${(err as Error).message} Or remove it: trustdesk orgs host ${r.slug} --off`);
    }
  }
  if (problems.length) throw new AppError('validation_failed', `Organisation host names:\n  ${problems.join('\n  ')}`);
  return lines;
}

/** Where an organisation's customer links point. */
export interface CustomerAddress {
  /** Its own host name's address, or the installation's. */
  baseUrl: string;
  /** On the installation's shared address a portal page must name the organisation (`?org=<id>`); on its own, not. */
  orgQuery: string;
}

export async function customerAddress(deps: { db: Executor; publicUrl: string }, orgId: string): Promise<CustomerAddress> {
  const r = await deps.db.selectFrom('organizations').where('id', '=', orgId).select('host_name').executeTakeFirst();
  return r?.host_name ? { baseUrl: addressFor(deps.publicUrl, r.host_name), orgQuery: '' } : { baseUrl: deps.publicUrl.replace(/\/+$/, ''), orgQuery: `?org=${orgId}` };
}

/**
 * Whether an origin is one this installation serves pages from: its own address, or an organisation's host name
 * (with `orgId`, that organisation's only). For checks of where a request's page came from (chat frames, portal chat).
 */
export async function isServedOrigin(deps: { db: Executor; publicUrl: string }, origin: string | null | undefined, orgId?: string): Promise<boolean> {
  if (!origin) return false;
  const installation = new URL(deps.publicUrl).origin;
  if (origin === installation) return true;
  let host: string;
  try {
    host = new URL(origin).hostname;
  } catch {
    return false;
  }
  const org = await organizationAtHost(deps, host);
  if (!org || (orgId !== undefined && org.id !== orgId)) return false;
  return new URL(addressFor(deps.publicUrl, org.hostName)).origin === origin;
}
