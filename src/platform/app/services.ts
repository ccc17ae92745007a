/**
 * Opens everything a Trustdesk process needs, in order, and stops with a
 * clear message when any of it is wrong: database reachable and migrated, key
 * file present and matching the database, audit keys readable. The server and
 * the CLI both start here; nothing below reaches for globals.
 */
import path from 'node:path';
import type { Config } from '../config/config.js';
import { AuditLog, loadAuditKeys } from '../../protection/audit/audit-log.js';
import { createKeyProvider, KeyProviderError, type KeyProvider } from '../../protection/crypto/key-provider.js';
import { Keyring } from '../../protection/crypto/keyring.js';
import { openDatabase, redactUrl, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest, migrationStatus } from '../db/migrate.js';
import { CiphertextInvalidError } from '../errors.js';
import type { Logger } from '../logging.js';
import { createMailer, type Mailer } from '../notify/mailer.js';
import { createDeferredTasks, type DeferredTasks } from '../deferred.js';
import { outboxKeyFrom, type OutboxKeySource } from '../notify/outbox.js';
import { CheckpointPublisher, fileSink, mailSink } from '../../protection/audit/publish.js';

export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

export interface Services {
  config: Config;
  database: DatabaseHandle;
  keyring: Keyring;
  /** Where signed audit checkpoints are published outside the database; the SIEM stream adds its sink here. */
  checkpoints: CheckpointPublisher;
  /** The key outbox files are sealed under (no relay configured). */
  outboxKey: OutboxKeySource;
  audit: AuditLog;
  logger: Logger;
  mailer: Mailer;
  /** Work run after the answer (mail whose timing must not show what a request found); drained on close. */
  deferred: DeferredTasks;
  /** True when this start created the key file. */
  createdKeyFile: boolean;
  /**
   * The erasure ledger (decision 0219): where each erasure is also written, apart from the database, so a restored
   * backup does not bring an erased customer back. Null when none is configured (the env key provider without
   * TRUSTDESK_ERASURE_LEDGER, and tests' own key providers).
   */
  erasureLedger: string | null;
  close(): Promise<void>;
}

/** The configured ledger, else beside the key file when the key is a file this installation opened itself. */
export function erasureLedgerPath(config: Config, ownProvider = false): string | null {
  if (config.erasureLedger) return path.resolve(config.erasureLedger);
  if (config.keyProvider === 'file' && !ownProvider) return path.join(path.dirname(config.keyFilePath), 'erasure-ledger.jsonl');
  return null;
}

export interface OpenServicesOptions {
  config: Config;
  logger: Logger;
  /** Apply pending migrations (server start); otherwise refuse to run on an outdated schema. */
  migrate: boolean;
  /** Run the audit sequencer in the background (the server does; one-shot CLI commands flush instead). */
  sequencer?: boolean;
  /** Use this database instead of opening one (tests). */
  database?: DatabaseHandle;
  /** Use this key provider instead of the configured one (tests). */
  provider?: KeyProvider;
  /** Use this mailer instead of the configured relay or outbox (tests). */
  mailer?: Mailer;
}

/** The database the configuration names: PostgreSQL at DATABASE_URL, else PGlite in <data>/pgdata. */
export function openConfiguredDatabase(config: Config, logger?: Logger): Promise<DatabaseHandle> {
  return openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : path.join(config.dataDirPath, 'pgdata'),
    poolSize: config.databasePoolSize,
    // A dropped connection is logged; the pool reconnects on the next query (decision 0100).
    onConnectionError: (err) => logger?.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'database connection lost; reconnecting on demand'),
  });
}

/**
 * Who gets checkpoint mail: the configured addresses, or the security officers when the installation holds one
 * organisation. The log is installation-wide, so in a multi-organisation installation its size is not sent to
 * each tenant's officers (it would show the others' activity); configure TRUSTDESK_AUDIT_CHECKPOINT_MAIL_TO there.
 */
async function checkpointMailRecipients(db: DatabaseHandle['db'], configured: string | undefined): Promise<string[]> {
  if (configured) return configured.split(',').map((a) => a.trim()).filter(Boolean);
  const orgs = await db.selectFrom('organizations').select('id').limit(2).execute();
  if (orgs.length !== 1) return [];
  const rows = await db
    .selectFrom('users')
    .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
    .where('users.org_id', '=', orgs[0]!.id)
    .where('users.status', '=', 'active')
    .where('role_permissions.permission', '=', 'audit.read')
    .select('users.email')
    .distinct()
    .orderBy('users.email')
    .limit(100)
    .execute();
  return rows.map((r) => r.email);
}

export async function openServices(options: OpenServicesOptions): Promise<Services> {
  const { config, logger } = options;
  let database: DatabaseHandle;
  try {
    database = options.database ?? (await openConfiguredDatabase(config, logger));
  } catch (err) {
    const where = config.databaseUrl ? redactUrl(config.databaseUrl) : path.join(config.dataDirPath, 'pgdata');
    throw new StartupError(`Cannot open the database (${where}): ${(err as Error).message}`, { cause: err });
  }
  try {
    if (options.migrate) {
      const applied = await migrateToLatest(database.scripts);
      if (applied.length) logger.info({ migrations: applied }, 'applied database migrations');
    } else {
      const status = await migrationStatus(database.scripts);
      if (status.pending.length) {
        throw new StartupError(`The database is missing migrations ${status.pending.join(', ')}. Run \`trustdesk db migrate\` (or start the server, which applies them).`);
      }
    }
    const hasKeys = await database.db.selectFrom('system_keys').select('name').limit(1).executeTakeFirst();
    let provider = options.provider;
    let createdKeyFile = false;
    if (!provider) {
      try {
        const opened = createKeyProvider(config, { create: !hasKeys });
        provider = opened.provider;
        createdKeyFile = opened.created;
      } catch (err) {
        if (err instanceof KeyProviderError) {
          const hint = hasKeys && config.keyProvider === 'file' ? ' The database holds encrypted data, so a new key file was not created: restore the key file from your backup.' : '';
          throw new StartupError(`${err.message}${hint}`, { cause: err });
        }
        throw err;
      }
    }
    const keyring = new Keyring({
      db: database.db,
      provider,
      cacheSize: config.dekCacheSize,
      cacheTtlMs: config.dekCacheTtlSeconds * 1000,
      blindIndexPopulation: config.blindIndexPopulation,
    });
    let keys;
    try {
      keys = await loadAuditKeys(keyring);
    } catch (err) {
      if (err instanceof CiphertextInvalidError || err instanceof KeyProviderError) {
        throw new StartupError(
          `The key-encryption key in ${provider.description} does not open this database's keys (wrong or replaced key file?). Nothing was changed.`,
          { cause: err },
        );
      }
      throw err;
    }
    const deferred = createDeferredTasks(logger);
    const outboxKey = outboxKeyFrom(keyring);
    const mailer = options.mailer ?? createMailer(config, outboxKey);
    const checkpoints = new CheckpointPublisher(logger);
    const audit = new AuditLog({ db: database.db, keys, origin: config.auditOrigin, logger, batchMs: config.auditBatchMs, onCheckpoint: (cp) => void checkpoints.publish(cp) });
    if (config.auditCheckpointPublish) checkpoints.addSink('file', fileSink(config.auditCheckpointPublish));
    if (config.auditCheckpointMailMinutes > 0) {
      checkpoints.addSink('mail', mailSink({
        send: (to, subject, text) => mailer.send({ to, subject, text }),
        recipients: () => checkpointMailRecipients(database.db, config.auditCheckpointMailTo),
        intervalMs: config.auditCheckpointMailMinutes * 60_000,
        vkey: audit.vkey,
      }));
    }
    if (options.sequencer) audit.start();
    return {
      config,
      database,
      keyring,
      audit,
      logger,
      mailer,
      deferred,
      outboxKey,
      checkpoints,
      createdKeyFile,
      erasureLedger: erasureLedgerPath(config, options.provider !== undefined),
      async close() {
        await deferred.drain();
        await audit.stop().catch((err: unknown) => logger.error({ err }, 'audit flush on shutdown failed'));
        await checkpoints.idle();
        await database.close();
      },
    };
  } catch (err) {
    if (!options.database) await database.close().catch(() => undefined);
    throw err;
  }
}
