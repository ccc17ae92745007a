/**
 * The keyring: data keys (DEKs) in the database, wrapped by the provider's
 * KEK; unwrapped keys in a bounded, expiring in-memory cache (never logged).
 * One DEK per customer for their fields, one per organisation for its other
 * data and one per organisation for blind indexes. Destroying a customer's DEK
 * (crypto-shredding) makes every field under it unreadable for good.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../../platform/db/schema.js';
import { dekCacheLookups } from '../../platform/metrics/metrics.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import { computeBlindIndex, deriveBlindIndexKey, MAX_BLIND_INDEX_BITS, planBlindIndexBits } from './blind-index.js';
import { decryptFieldText, encryptField, forgetFieldSubkeys, readCiphertextHeader, type DataKey, type FieldContext } from './field-cipher.js';
import { generateKey } from './key-wrap.js';
import type { KeyProvider } from './key-provider.js';

export type Executor = Kysely<Database> | Transaction<Database>;
export type OwnerType = 'customer' | 'organization';
export interface KeyOwner {
  type: OwnerType;
  id: string;
}
type Purpose = 'fields' | 'blind-index';

export interface KeyringOptions {
  db: Kysely<Database>;
  provider: KeyProvider;
  cacheSize?: number;
  cacheTtlMs?: number;
  /** Expected customer count; sizes blind indexes (CipherSweet's rule). */
  blindIndexPopulation?: number;
}

const dekAad = (keyId: string, version: number) => `trustdesk/dek/v1/${keyId}/${version}`;
const systemKeyAad = (name: string) => `trustdesk/system-key/v1/${name}`;

/** Input-domain sizes (bits of entropy an attacker must guess) per normalizer, for the planner. */
const DOMAIN_BITS = { email: 32, phone: 30, digits: 24, text: 32 } as const;
export type BlindIndexDomain = keyof typeof DOMAIN_BITS;

export class Keyring {
  readonly provider: KeyProvider;
  private readonly db: Kysely<Database>;
  private readonly cache: LRUCache<string, DataKey>;
  private readonly population: number;
  private readonly indexKeys = new WeakMap<Uint8Array, Map<string, Uint8Array>>();
  /**
   * Current-key rows a transaction has read, reused by its later encryptions: an inbound message encrypts up to
   * five fields of one customer. Only within one real transaction (what its first read saw is as current as a
   * second read would be); dropped when the transaction destroys or rotates a key.
   */
  private readonly inTransaction = new WeakMap<object, Map<string, KeyRow>>();
  /** Which key and version is each organisation's blind-index root (see indexRoot). */
  private readonly indexRoots = new LRUCache<string, { id: string; version: number }>({ max: 10_000, ttl: 60_000 });

  constructor(options: KeyringOptions) {
    this.db = options.db;
    this.provider = options.provider;
    this.population = options.blindIndexPopulation ?? 1_000_000;
    // Evicted keys take their derived per-column subkeys with them.
    this.cache = new LRUCache<string, DataKey>({ max: options.cacheSize ?? 10_000, ttl: options.cacheTtlMs ?? 300_000, dispose: (dek) => forgetFieldSubkeys(dek.key) });
  }

  /** The owner's current key, created on first use. */
  async currentKey(owner: KeyOwner, options: { trx?: Executor; purpose?: Purpose } = {}): Promise<DataKey> {
    const exec = options.trx ?? this.db;
    const purpose = options.purpose ?? 'fields';
    const memo = exec.isTransaction ? this.inTransaction.get(exec) : undefined;
    const memoKey = `${owner.type}:${owner.id}:${purpose}`;
    let row = memo?.get(memoKey) ?? (await findKeyRow(exec, owner, purpose));
    if (!row) {
      const id = randomUUID();
      const { kekId, wrapped } = await this.provider.wrap(generateKey(), dekAad(id, 1));
      // One statement writes the key and its first version: a concurrent caller that loses the insert
      // race never sees a key row without its version (two statements left that window open on PostgreSQL).
      await exec
        .with('k', (q) =>
          q
            .insertInto('data_keys')
            .values({ id, owner_type: owner.type, owner_id: owner.id, purpose, current_version: 1 })
            .onConflict((oc) => oc.columns(['owner_type', 'owner_id', 'purpose']).doNothing())
            .returning('id'),
        )
        .insertInto('data_key_versions')
        .columns(['key_id', 'version', 'wrapped', 'kek_id'])
        .expression((eb) => eb.selectFrom('k').select((s) => ['k.id', s.lit(1).as('version'), s.val(wrapped).as('wrapped'), s.val(kekId).as('kek_id')]))
        .execute();
      row = await findKeyRow(exec, owner, purpose);
      if (!row) throw new AppError('internal', 'Could not create a data key.');
    }
    if (row.destroyed_at) throw new KeyDestroyedError(row.id);
    if (exec.isTransaction) {
      if (memo) memo.set(memoKey, row);
      else this.inTransaction.set(exec, new Map([[memoKey, row]]));
    }
    return this.key(row.id, row.current_version, exec);
  }

  /**
   * The organisation's blind-index root key, whose row is looked up at most once a minute per organisation
   * (every stored message derives search tokens from it). Safe to remember: the key is never rotated — every
   * blind index and search token would change (key rotation takes `fields` keys only) — and it is destroyed only
   * with the organisation, after which a token derived in the remaining seconds reveals nothing.
   */
  async indexRoot(orgId: string, trx?: Executor): Promise<DataKey> {
    const exec = trx ?? this.db;
    const known = this.indexRoots.get(orgId);
    if (known) return this.key(known.id, known.version, exec);
    // Remembered only once committed: a key this very transaction created (its created_at is the transaction's
    // now()) would vanish with a rollback, and tokens derived from a remembered phantom would never match.
    const row = await exec
      .selectFrom('data_keys')
      .where('owner_type', '=', 'organization')
      .where('owner_id', '=', orgId)
      .where('purpose', '=', 'blind-index')
      .select((eb) => ['id', 'current_version', 'destroyed_at', eb('created_at', '<', eb.fn<Date>('now')).as('settled')])
      .executeTakeFirst();
    if (row && row.settled && !row.destroyed_at) {
      this.indexRoots.set(orgId, { id: row.id, version: row.current_version });
      return this.key(row.id, row.current_version, exec);
    }
    return this.currentKey({ type: 'organization', id: orgId }, { purpose: 'blind-index', ...(trx ? { trx } : {}) });
  }

  /** A specific key version, from the cache or unwrapped from the database. */
  async key(keyId: string, version: number, exec: Executor = this.db): Promise<DataKey> {
    const cacheKey = `${keyId}/${version}`;
    const trusted = this.cacheTrusted();
    // While another instance's erasure could go unheard, no cached key is used (each read unwraps from the database).
    if (!trusted && this.cache.size > 0) this.cache.clear();
    const hit = trusted ? this.cache.get(cacheKey) : undefined;
    dekCacheLookups.inc({ result: hit ? 'hit' : 'miss' });
    if (hit) return hit;
    const row = await exec
      .selectFrom('data_key_versions')
      .where('key_id', '=', keyId)
      .where('version', '=', version)
      .select(['wrapped', 'kek_id'])
      .executeTakeFirst();
    if (!row) throw new AppError('internal', 'Stored data refers to an unknown key.', { internal: `no data key ${cacheKey}` });
    if (!row.wrapped) throw new KeyDestroyedError(keyId);
    const key = await this.provider.unwrap(row.kek_id, row.wrapped, dekAad(keyId, version));
    const dek: DataKey = { id: keyId, version, key };
    if (trusted) this.cache.set(cacheKey, dek);
    return dek;
  }

  async encrypt(owner: KeyOwner, ctx: FieldContext, plaintext: string | Uint8Array, trx?: Executor): Promise<Uint8Array> {
    const dek = await this.currentKey(owner, trx ? { trx } : {});
    return encryptField(dek, ctx, plaintext);
  }

  /** Decrypts with whichever key the ciphertext names. Throws KeyDestroyedError after shredding. */
  async decrypt(ctx: FieldContext, ciphertext: Uint8Array, exec?: Executor): Promise<string> {
    const header = readCiphertextHeader(ciphertext);
    const dek = await this.key(header.keyId, header.keyVersion, exec);
    return decryptFieldText(dek, ctx, ciphertext);
  }

  /** Blind index for equality lookups within one organisation. */
  async blindIndex(orgId: string, ctx: { table: string; column: string; domain: BlindIndexDomain }, normalized: string, trx?: Executor): Promise<Buffer> {
    const bits = planBlindIndexBits({ population: this.population, inputDomainBits: DOMAIN_BITS[ctx.domain] });
    return this.indexValue(orgId, ctx, normalized, bits, trx);
  }

  /**
   * Full-length keyed hash (HMAC-SHA256 under the organisation's blind-index
   * key, per table and column) for values that must match exactly and be unique,
   * such as block-list entries: no deliberate coincidences, unlike blindIndex.
   */
  async exactKeyedHash(orgId: string, ctx: { table: string; column: string }, normalized: string, trx?: Executor): Promise<Buffer> {
    return this.indexValue(orgId, ctx, normalized, MAX_BLIND_INDEX_BITS, trx);
  }

  private async indexValue(orgId: string, ctx: { table: string; column: string }, normalized: string, bits: number, trx?: Executor): Promise<Buffer> {
    const root = await this.indexRoot(orgId, trx);
    // HKDF costs several times the HMAC itself: keep derived index keys per root key object.
    let perRoot = this.indexKeys.get(root.key);
    if (!perRoot) this.indexKeys.set(root.key, (perRoot = new Map()));
    const name = `${ctx.table}/${ctx.column}`;
    let key = perRoot.get(name);
    if (!key) perRoot.set(name, (key = deriveBlindIndexKey(root.key, ctx.table, ctx.column)));
    return computeBlindIndex(key, normalized, bits);
  }

  /**
   * Crypto-shredding: destroys every version of the owner's keys. Nothing
   * encrypted under them can be read again. Other instances drop their cached
   * copy within the cache TTL.
   */
  async destroyKeys(owner: KeyOwner, trx: Executor): Promise<string[]> {
    const rows = await trx
      .updateTable('data_keys')
      .set({ destroyed_at: new Date() })
      .where('owner_type', '=', owner.type)
      .where('owner_id', '=', owner.id)
      .returning('id')
      .execute();
    this.inTransaction.delete(trx);
    const ids = rows.map((r) => r.id);
    if (ids.length > 0) {
      await trx.updateTable('data_key_versions').set({ wrapped: null, retired_at: new Date() }).where('key_id', 'in', ids).execute();
    }
    this.forget(ids);
    return ids;
  }

  /** Adds a new version of a key; new writes use it, old ones stay readable until re-encrypted. */
  async addKeyVersion(keyId: string, trx: Executor): Promise<number> {
    const row = await trx.selectFrom('data_keys').where('id', '=', keyId).select(['current_version', 'destroyed_at']).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such data key.');
    if (row.destroyed_at) throw new KeyDestroyedError(keyId);
    const version = row.current_version + 1;
    this.inTransaction.delete(trx);
    const { kekId, wrapped } = await this.provider.wrap(generateKey(), dekAad(keyId, version));
    await trx.insertInto('data_key_versions').values({ key_id: keyId, version, wrapped, kek_id: kekId }).execute();
    await trx.updateTable('data_keys').set({ current_version: version }).where('id', '=', keyId).execute();
    return version;
  }

  /** Destroys old versions of a key once nothing is encrypted under them. */
  async retireVersionsBefore(keyId: string, version: number, trx: Executor): Promise<void> {
    await trx
      .updateTable('data_key_versions')
      .set({ wrapped: null, retired_at: new Date() })
      .where('key_id', '=', keyId)
      .where('version', '<', version)
      .execute();
    this.forget([keyId]);
  }

  /**
   * Rewraps every data key and system key under the provider's current KEK.
   * Data is untouched. Returns how many were rewrapped.
   */
  async rewrapAll(onProgress?: (done: number, total: number) => void): Promise<number> {
    const current = this.provider.currentKekId();
    const versions = await this.db
      .selectFrom('data_key_versions')
      .where('kek_id', '<>', current)
      .where('wrapped', 'is not', null)
      .select(['key_id', 'version', 'kek_id', 'wrapped'])
      .execute();
    const systems = await this.db.selectFrom('system_keys').where('kek_id', '<>', current).selectAll().execute();
    const total = versions.length + systems.length;
    let done = 0;
    // One transaction per batch keeps locks short; each row is rewrapped atomically.
    for (let i = 0; i < versions.length; i += 500) {
      const batch = versions.slice(i, i + 500);
      await this.db.transaction().execute(async (trx) => {
        for (const v of batch) {
          const aad = dekAad(v.key_id, v.version);
          const dek = await this.provider.unwrap(v.kek_id, v.wrapped as Uint8Array, aad);
          const { kekId, wrapped } = await this.provider.wrap(dek, aad);
          await trx
            .updateTable('data_key_versions')
            .set({ wrapped, kek_id: kekId })
            .where('key_id', '=', v.key_id)
            .where('version', '=', v.version)
            .where('kek_id', '=', v.kek_id)
            .execute();
        }
      });
      done += batch.length;
      onProgress?.(done, total);
    }
    for (const s of systems) {
      const aad = systemKeyAad(s.name);
      const secret = await this.provider.unwrap(s.kek_id, s.wrapped, aad);
      const { kekId, wrapped } = await this.provider.wrap(secret, aad);
      await this.db.updateTable('system_keys').set({ wrapped, kek_id: kekId }).where('name', '=', s.name).execute();
      done += 1;
      onProgress?.(done, total);
    }
    return total;
  }

  /** KEK ids still referenced by some wrapped key. */
  async kekIdsInUse(): Promise<string[]> {
    const a = await this.db.selectFrom('data_key_versions').where('wrapped', 'is not', null).select('kek_id').distinct().execute();
    const b = await this.db.selectFrom('system_keys').select('kek_id').distinct().execute();
    return [...new Set([...a, ...b].map((r) => r.kek_id))];
  }

  /**
   * An installation-wide secret (audit signing key, MAC keys), created by
   * `create` on first use and stored wrapped by the KEK.
   */
  async systemSecret(name: string, create: () => { secret: Uint8Array; publicKey?: Uint8Array }): Promise<{ secret: Uint8Array; publicKey: Uint8Array | null }> {
    const existing = await this.db.selectFrom('system_keys').where('name', '=', name).selectAll().executeTakeFirst();
    if (existing) {
      const secret = await this.provider.unwrap(existing.kek_id, existing.wrapped, systemKeyAad(name));
      return { secret, publicKey: existing.public_key };
    }
    const made = create();
    const { kekId, wrapped } = await this.provider.wrap(made.secret, systemKeyAad(name));
    await this.db
      .insertInto('system_keys')
      .values({ name, wrapped, kek_id: kekId, public_key: made.publicKey ?? null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    // Another instance may have won the race: read back whatever is stored.
    return this.systemSecret(name, () => {
      throw new Error('unreachable');
    });
  }

  /**
   * Whether cached keys can be trusted to be live: false while the bus between instances is down, when an erasure
   * on another instance would not be heard (decision 0228). The server sets it; alone, a process is always heard.
   */
  cacheTrusted: () => boolean = () => true;

  /** Drops every cached key (the bus came back: what was destroyed meanwhile was not heard). */
  forgetAll(): void {
    this.cache.clear();
    this.indexRoots.clear();
  }

  forget(keyIds: string[]): void {
    for (const [org, root] of this.indexRoots.entries()) if (keyIds.includes(root.id)) this.indexRoots.delete(org);
    for (const k of this.cache.keys()) {
      if (keyIds.some((id) => k.startsWith(`${id}/`))) this.cache.delete(k);
    }
  }
}

interface KeyRow {
  id: string;
  current_version: number;
  destroyed_at: Date | null;
}

function findKeyRow(exec: Executor, owner: KeyOwner, purpose: Purpose): Promise<KeyRow | undefined> {
  return exec
    .selectFrom('data_keys')
    .where('owner_type', '=', owner.type)
    .where('owner_id', '=', owner.id)
    .where('purpose', '=', purpose)
    .select(['id', 'current_version', 'destroyed_at'])
    .executeTakeFirst();
}
