/**
 * Data-key rotation: a new key version is added (new writes use it at once),
 * then every row still encrypted under an older version is re-encrypted in
 * batches, with progress kept in `key_rotations` so an interrupted run is
 * resumed (by the CLI or by the server at start). When no row is left, the old
 * versions are destroyed.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { Keyring } from './keyring.js';
import { encryptField, decryptField, readCiphertextHeader } from './field-cipher.js';

/**
 * Every encrypted column in the schema. A feature that adds one lists it here,
 * or rotation would leave it under the old key (and `retire` would destroy it).
 */
export const ENCRYPTED_COLUMNS: Array<{ table: EncryptedTable; columns: string[]; key?: string }> = [
  { table: 'customers', columns: ['name_enc', 'email_enc', 'address_enc', 'notes_enc', 'custom_fields_enc'] },
  { table: 'customer_contacts', columns: ['value_enc'] },
  { table: 'tickets', columns: ['subject_enc', 'custom_fields_enc'] },
  { table: 'messages', columns: ['body_enc', 'html_enc', 'raw_enc', 'message_id_enc', 'threat_reasons_enc'] },
  { table: 'attachments', columns: ['filename_enc', 'content_key_enc'] },
  { table: 'quarantine', columns: ['raw_enc', 'details_enc'] },
  { table: 'outbound_mail', columns: ['to_enc', 'body_enc'] },
  { table: 'phishing_reports', columns: ['comment_enc'] },
  { table: 'csat_ratings', columns: ['comment_enc'] },
  { table: 'webhook_subscriptions', columns: ['secret_enc'] },
  { table: 'macros', columns: ['body_enc'] },
  { table: 'sender_lists', columns: ['value_enc'] },
  { table: 'mfa_challenges', columns: ['payload_enc'] },
  // The address a chat visitor asks a code for (decision 0186), under the anonymous visitor's key.
  { table: 'portal_challenges', columns: ['address_enc'] },
  // Bound to the user (field context rowId = user_id): one row per user.
  { table: 'mfa_totp', columns: ['secret_enc'], key: 'user_id' },
  { table: 'user_phones', columns: ['phone_enc'], key: 'user_id' },
  // One learned phishing model per organisation (field context rowId = org_id, decision 0174).
  { table: 'phishing_models', columns: ['model_enc'], key: 'org_id' },
  // The chat's site-identity secret, one per organisation (rowId = org_id, src/helpdesk/chat/settings.ts).
  { table: 'chat_settings', columns: ['identity_secret_enc'], key: 'org_id' },
  // Security incidents (decision 0195): title and breach record, and each timeline note or reason.
  { table: 'incidents', columns: ['title_enc', 'breach_record_enc'] },
  { table: 'incident_events', columns: ['text_enc'] },
  // A SIEM destination's HTTP token and TLS client key (src/protection/siem/destinations.service.ts).
  { table: 'siem_destinations', columns: ['client_key_enc', 'token_enc'] },
  // A pulled IMAP mailbox's password, OAuth client secret and refresh token (src/helpdesk/mail/imap/accounts.service.ts).
  { table: 'imap_accounts', columns: ['password_enc', 'oauth_client_secret_enc', 'oauth_refresh_token_enc'] },
  // A data-subject access export's zip, under the customer's key until it expires (decision 0205).
  { table: 'privacy_exports', columns: ['bundle_enc'] },
  // An organisation's single-sign-on client secret, and its SAML decryption key (src/identity/sso/connection.service.ts).
  { table: 'sso_connections', columns: ['client_secret_enc', 'saml_sp_key_enc'] },
  // A customer's authenticator-app secret, under the customer's key (rowId = customer_id, decision 0220).
  { table: 'customer_totp', columns: ['secret_enc'], key: 'customer_id' },
  // An organisation's own DKIM private key, under the organisation's key (rowId = organizations.id, decision 0237).
  { table: 'organizations', columns: ['dkim_key_enc'] },
];
// Every *_enc column in the schema must be listed here: a rotation retires the old key version, so a column it
// missed would become unreadable (rotation.test.ts reads the live schema and fails on any column not listed).
// Attachment contents live in the blob store under per-blob keys; those keys
// are the content_key_enc column, so rotating it covers the blobs too.
type EncryptedTable =
  | 'organizations'
  | 'customers'
  | 'privacy_exports'
  | 'customer_contacts'
  | 'tickets'
  | 'messages'
  | 'attachments'
  | 'quarantine'
  | 'outbound_mail'
  | 'phishing_reports'
  | 'csat_ratings'
  | 'webhook_subscriptions'
  | 'macros'
  | 'sender_lists'
  | 'mfa_challenges'
  | 'portal_challenges'
  | 'mfa_totp'
  | 'customer_totp'
  | 'user_phones'
  | 'phishing_models'
  | 'chat_settings'
  | 'incidents'
  | 'incident_events'
  | 'siem_destinations'
  | 'imap_accounts'
  | 'sso_connections';

// Header layout (field-cipher.ts): format(1) algorithm(1) key id(16) key version(4, big-endian).
const keyIdBytes = (keyId: string) => Buffer.from(keyId.replace(/-/g, ''), 'hex');
const versionBytes = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};

/** SQL condition: this column holds a ciphertext under `keyId` at a version other than `version`. */
function staleCondition(column: string, keyId: string, version: number) {
  const col = sql.ref(column);
  return sql<boolean>`(substring(${col} from 3 for 16) = ${keyIdBytes(keyId)} AND substring(${col} from 19 for 4) <> ${versionBytes(version)})`;
}

async function countStale(db: Kysely<Database>, keyId: string, version: number): Promise<number> {
  let total = 0;
  for (const spec of ENCRYPTED_COLUMNS) {
    const any = sql.join(spec.columns.map((c) => staleCondition(c, keyId, version)), sql` OR `);
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(spec.table)} WHERE ${any}`.execute(db);
    total += r.rows[0]?.n ?? 0;
  }
  return total;
}

/** Adds a key version and records a rotation to re-encrypt under it. Returns the rotation id. */
export async function startKeyRotation(options: { db: Kysely<Database>; keyring: Keyring; keyId: string }): Promise<string> {
  const { db, keyring, keyId } = options;
  return db.transaction().execute(async (trx) => {
    const running = await trx.selectFrom('key_rotations').where('key_id', '=', keyId).where('status', '=', 'running').select('id').executeTakeFirst();
    if (running) throw new AppError('conflict', 'A rotation of this key is already running.', { extra: { rotationId: running.id } });
    const version = await keyring.addKeyVersion(keyId, trx);
    const id = randomUUID();
    await trx.insertInto('key_rotations').values({ id, key_id: keyId, to_version: version, status: 'running', total: 0, done: 0 }).execute();
    return id;
  });
}

export interface RotationProgress {
  id: string;
  keyId: string;
  toVersion: number;
  done: number;
  total: number;
}

/** Re-encrypts every stale row for a rotation, in batches; safe to run again after an interruption. */
export async function runKeyRotation(options: {
  db: Kysely<Database>;
  keyring: Keyring;
  rotationId: string;
  batchSize?: number;
  onProgress?: (p: RotationProgress) => void;
}): Promise<RotationProgress> {
  const { db, keyring, rotationId } = options;
  const batchSize = options.batchSize ?? 200;
  const rot = await db.selectFrom('key_rotations').where('id', '=', rotationId).selectAll().executeTakeFirst();
  if (!rot || !rot.key_id) throw new AppError('not_found', 'No such rotation.');
  if (rot.status === 'done') return { id: rotationId, keyId: rot.key_id, toVersion: rot.to_version, done: rot.done, total: rot.total };
  // A failed or interrupted run picks up where it stopped.
  await db.updateTable('key_rotations').set({ status: 'running', error: null, finished_at: null }).where('id', '=', rotationId).execute();
  const keyId = rot.key_id;
  const progress: RotationProgress = { id: rotationId, keyId, toVersion: rot.to_version, done: rot.done, total: 0 };
  try {
    progress.total = rot.done + (await countStale(db, keyId, rot.to_version));
    await db.updateTable('key_rotations').set({ total: progress.total }).where('id', '=', rotationId).execute();
    options.onProgress?.(progress);
    const target = await keyring.key(keyId, rot.to_version);
    for (const spec of ENCRYPTED_COLUMNS) {
      const any = sql.join(spec.columns.map((c) => staleCondition(c, keyId, rot.to_version)), sql` OR `);
      for (;;) {
        const keyColumn = spec.key ?? 'id';
        const rows = await sql<Record<string, unknown> & { row_key: string }>`
          SELECT ${sql.ref(keyColumn)} AS row_key, ${sql.join(spec.columns.map((c) => sql.ref(c)))} FROM ${sql.table(spec.table)} WHERE ${any} LIMIT ${batchSize}`.execute(db);
        if (rows.rows.length === 0) break;
        let changed = 0;
        await db.transaction().execute(async (trx) => {
          for (const row of rows.rows) {
            const sets: Record<string, Uint8Array> = {};
            const guards: Array<[string, Uint8Array]> = [];
            for (const column of spec.columns) {
              const ct = row[column] as Uint8Array | null;
              if (!ct) continue;
              const header = readCiphertextHeader(ct);
              if (header.keyId !== keyId || header.keyVersion === rot.to_version) continue;
              const ctx = { table: spec.table, column, rowId: row.row_key };
              const old = await keyring.key(header.keyId, header.keyVersion, trx);
              sets[column] = encryptField(target, ctx, decryptField(old, ctx, ct));
              guards.push([column, ct]);
            }
            if (guards.length === 0) continue;
            // Compare-and-swap: a row rewritten meanwhile is already under the new version.
            let q = trx.updateTable(spec.table).set(sets).where(sql.ref(keyColumn), '=', row.row_key);
            for (const [column, ct] of guards) q = q.where(sql.ref(column), '=', ct);
            const r = await q.executeTakeFirst();
            changed += Number(r.numUpdatedRows ?? 0);
          }
          progress.done += rows.rows.length;
          await trx.updateTable('key_rotations').set({ done: progress.done }).where('id', '=', rotationId).execute();
        });
        options.onProgress?.(progress);
        if (changed === 0 && rows.rows.length < batchSize) break;
      }
    }
    const left = await countStale(db, keyId, rot.to_version);
    if (left > 0) throw new Error(`${left} rows are still under an old key version`);
    await db.transaction().execute(async (trx) => {
      await keyring.retireVersionsBefore(keyId, rot.to_version, trx);
      await trx.updateTable('key_rotations').set({ status: 'done', finished_at: new Date(), done: progress.total }).where('id', '=', rotationId).execute();
    });
    progress.done = progress.total;
    return progress;
  } catch (err) {
    await db
      .updateTable('key_rotations')
      .set({ status: 'failed', error: (err as Error).message.slice(0, 500), finished_at: new Date() })
      .where('id', '=', rotationId)
      .execute()
      .catch(() => undefined);
    throw err;
  }
}

/** Rotations left running by an interrupted process. */
export async function runningRotations(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('key_rotations').where('status', '=', 'running').select('id').execute();
  return rows.map((r) => r.id);
}
