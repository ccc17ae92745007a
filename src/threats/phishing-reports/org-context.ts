/**
 * The organisation's side of the phishing analysis, loaded per inbound
 * message: staff (display-name impersonation), active allow and block
 * entries, and whether the sender's domain has written before. Staff change
 * rarely and are cached for a short while; list entries are read fresh every
 * message so an administrator's block applies to the very next one; the
 * "known domain" question is one indexed lookup, not a set loaded in memory.
 *
 * Neither table holds a value in clear (decision 0111): list entries are
 * found by the exact keyed hashes of this message's candidates (the address,
 * its host, its registrable domain; From and Reply-To) and decrypted, so the
 * analyzer sees only the entries that can match; known domains are keyed
 * hashes only.
 */
import { LRUCache } from 'lru-cache';
import { getDomain } from 'tldts';
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../protection/crypto/keyring.js';
import { listCandidates, type StaffMember } from '../phishing/index.js';
import { hashListValue, openListValue } from './sender-lists.js';
import './schema.js';

export interface OrgThreatContext {
  staff: StaffMember[];
  allowList: string[];
  blockList: string[];
  /** Holds the sender's registrable domain when this organisation has had clean mail from it. */
  knownSenderDomains: ReadonlySet<string>;
}

export type OrgContextLoader = (input: { orgId: string; senderAddress: string; replyToAddresses?: readonly string[] }) => Promise<OrgThreatContext>;

export interface OrgContextLoaderOptions {
  db: Db;
  keyring: Keyring;
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
  const { db, keyring } = options;
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

  async function loadEntries(orgId: string, addresses: readonly string[]) {
    const candidates = [...new Set(addresses.filter((a) => a.includes('@')).flatMap(listCandidates))].slice(0, 32);
    if (candidates.length === 0) return [];
    const hashes = await Promise.all(candidates.map((c) => hashListValue(keyring, orgId, c)));
    const rows = await db
      .selectFrom('sender_lists')
      .where('org_id', '=', orgId)
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('value_hash', 'in', hashes), eb('value', 'in', candidates)]))
      .select(['id', 'kind', 'value', 'value_enc'])
      .execute();
    return Promise.all(rows.map(async (r) => ({ kind: r.kind, value: await openListValue(keyring, r) })));
  }

  return async ({ orgId, senderAddress, replyToAddresses }) => {
    const domain = senderDomainOf(senderAddress);
    const [staff, entries, known] = await Promise.all([
      loadStaff(orgId),
      loadEntries(orgId, [senderAddress, ...(replyToAddresses ?? [])]),
      domain ? isKnownSenderDomain(db, keyring, { orgId, domain }) : Promise.resolve(false),
    ]);
    return {
      staff,
      allowList: entries.filter((e) => e.kind === 'allow').map((e) => e.value),
      blockList: entries.filter((e) => e.kind === 'block').map((e) => e.value),
      knownSenderDomains: new Set(known ? [domain] : []),
    };
  };
}

function hashDomain(keyring: Keyring, orgId: string, domain: string): Promise<Buffer> {
  return keyring.exactKeyedHash(orgId, { table: 'known_sender_domains', column: 'domain' }, domain);
}

async function isKnownSenderDomain(db: Db, keyring: Keyring, input: { orgId: string; domain: string }): Promise<boolean> {
  const hash = await hashDomain(keyring, input.orgId, input.domain);
  const row = await db
    .selectFrom('known_sender_domains')
    .where('org_id', '=', input.orgId)
    .where((eb) => eb.or([eb('domain_hash', '=', hash), eb('domain', '=', input.domain)]))
    .select('org_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Remembers that clean mail came from this sender's domain (so it is no longer a first contact). */
export async function rememberSenderDomain(db: Db, keyring: Keyring, input: { orgId: string; senderAddress: string }): Promise<void> {
  const domain = senderDomainOf(input.senderAddress);
  if (!domain || domain.length > 253) return;
  const now = new Date();
  await db
    .insertInto('known_sender_domains')
    .values({ org_id: input.orgId, domain: null, domain_hash: await hashDomain(keyring, input.orgId, domain), first_seen: now, last_seen: now })
    .onConflict((oc) => oc.columns(['org_id', 'domain_hash']).doUpdateSet((eb) => ({ messages: eb('known_sender_domains.messages', '+', 1), last_seen: now })))
    .execute();
}

/** Hashes a known domain kept in clear by a release before migration 0012 (start-up, seal.ts). */
export async function sealKnownSenderDomain(db: Db, keyring: Keyring, row: { orgId: string; domain: string }): Promise<void> {
  const hash = await hashDomain(keyring, row.orgId, row.domain);
  await db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('known_sender_domains').where('org_id', '=', row.orgId).where('domain', '=', row.domain).selectAll().forUpdate().executeTakeFirst();
    if (!old) return;
    await trx.deleteFrom('known_sender_domains').where('org_id', '=', row.orgId).where('domain', '=', row.domain).execute();
    await trx
      .insertInto('known_sender_domains')
      .values({ org_id: row.orgId, domain: null, domain_hash: hash, messages: old.messages, first_seen: old.first_seen, last_seen: old.last_seen })
      .onConflict((oc) => oc.columns(['org_id', 'domain_hash']).doUpdateSet((eb) => ({ messages: eb('known_sender_domains.messages', '+', old.messages), first_seen: eb.fn('least', [eb.ref('known_sender_domains.first_seen'), eb.val(old.first_seen)]), last_seen: eb.fn('greatest', [eb.ref('known_sender_domains.last_seen'), eb.val(old.last_seen)]) })))
      .execute();
  });
}
