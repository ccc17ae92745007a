/**
 * The organisation's side of the phishing analysis, loaded per inbound
 * message: staff (display-name impersonation), active allow and block
 * entries, and whether the sender's domain has written before. Staff change
 * rarely and are cached for a short while; list entries are read fresh every
 * message so an administrator's block applies to the very next one; the
 * "known domain" question is one indexed lookup, not a set loaded in memory.
 */
import { LRUCache } from 'lru-cache';
import { getDomain } from 'tldts';
import type { Db } from '../db/database.js';
import type { StaffMember } from '../phishing/index.js';
import './schema.js';

export interface OrgThreatContext {
  staff: StaffMember[];
  allowList: string[];
  blockList: string[];
  /** Holds the sender's registrable domain when this organisation has had clean mail from it. */
  knownSenderDomains: ReadonlySet<string>;
}

export type OrgContextLoader = (input: { orgId: string; senderAddress: string }) => Promise<OrgThreatContext>;

export interface OrgContextLoaderOptions {
  db: Db;
  /** How long staff lists are cached per organisation (default 60 s). */
  staffTtlMs?: number;
  maxStaff?: number;
}

export function senderDomainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return '';
  const host = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  return getDomain(host, { allowPrivateDomains: false }) ?? host;
}

export function createOrgContextLoader(options: OrgContextLoaderOptions): OrgContextLoader {
  const { db } = options;
  const staffCache = new LRUCache<string, StaffMember[]>({ max: 1000, ttl: options.staffTtlMs ?? 60_000 });
  const maxStaff = options.maxStaff ?? 5000;

  async function loadStaff(orgId: string): Promise<StaffMember[]> {
    const cached = staffCache.get(orgId);
    if (cached) return cached;
    const rows = await db.selectFrom('users').where('org_id', '=', orgId).where('status', '!=', 'deactivated').select(['name', 'email']).limit(maxStaff).execute();
    const staff = rows.map((r) => ({ name: r.name, email: r.email }));
    staffCache.set(orgId, staff);
    return staff;
  }

  return async ({ orgId, senderAddress }) => {
    const domain = senderDomainOf(senderAddress);
    const [staff, entries, known] = await Promise.all([
      loadStaff(orgId),
      db.selectFrom('sender_lists').where('org_id', '=', orgId).where('status', '=', 'active').select(['kind', 'value']).limit(10_000).execute(),
      domain ? db.selectFrom('known_sender_domains').where('org_id', '=', orgId).where('domain', '=', domain).select('domain').executeTakeFirst() : Promise.resolve(undefined),
    ]);
    return {
      staff,
      allowList: entries.filter((e) => e.kind === 'allow').map((e) => e.value),
      blockList: entries.filter((e) => e.kind === 'block').map((e) => e.value),
      knownSenderDomains: new Set(known ? [known.domain] : []),
    };
  };
}

/** Remembers that clean mail came from this sender's domain (so it is no longer a first contact). */
export async function rememberSenderDomain(db: Db, input: { orgId: string; senderAddress: string }): Promise<void> {
  const domain = senderDomainOf(input.senderAddress);
  if (!domain || domain.length > 253) return;
  const now = new Date();
  await db
    .insertInto('known_sender_domains')
    .values({ org_id: input.orgId, domain, first_seen: now, last_seen: now })
    .onConflict((oc) => oc.columns(['org_id', 'domain']).doUpdateSet((eb) => ({ messages: eb('known_sender_domains.messages', '+', 1), last_seen: now })))
    .execute();
}
