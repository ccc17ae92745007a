/**
 * `trustdesk backup create [--out FILE]` and `trustdesk backup restore FILE` (decision 0219). Create writes one
 * encrypted archive of the database and the files beside it, never the key-encryption key, with progress. Restore
 * checks the whole archive first, restores into an empty data folder or database, applies any newer migrations, then
 * replays the erasure ledger so that nobody erased since the backup comes back, and records the restore in the audit
 * trail. Run both with the server stopped when the database is the embedded one.
 * Exit codes: 0 done, 1 refused (a damaged, altered or foreign archive; a target that is not empty), 2 usage.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createKeyProvider } from '../../protection/crypto/key-provider.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import { ArchiveError, createBackup, restoreBackup, type Progress } from '../../protection/backup/backup.js';
import { syncLedger } from '../../helpdesk/privacy/ledger.js';
import { replayLedger } from '../../helpdesk/privacy/ledger-replay.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { openServices } from '../app/services.js';
import { createLogger } from '../logging.js';
import { CliExit, cliConfig, withServices, type CliIo } from './io.js';

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

/** One progress line per tenth (the terminal or a log file alike). */
function progress(io: CliIo): (p: Progress) => void {
  let shown = -1;
  let phase = '';
  return (p) => {
    const tenth = p.total ? Math.floor((10 * p.bytes) / p.total) : -1;
    if (p.phase === phase && tenth === shown) return;
    phase = p.phase;
    shown = tenth;
    const bar = p.total ? `[${'#'.repeat(tenth).padEnd(10, '.')}] ${mb(p.bytes)}/${mb(p.total)} MB` : `${mb(p.bytes)} MB`;
    io.out(`  ${p.phase.padEnd(9)} ${bar}`);
  };
}

async function archiveStep<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ArchiveError) throw new CliExit(1, `trustdesk: ${err.message}`);
    throw err;
  }
}

export function backupCommands(program: Command, io: CliIo): void {
  const backup = program.command('backup').description('Encrypted backups that respect erasure');
  backup
    .command('create')
    .description('Write one encrypted archive of the database and files (never the key file)')
    .option('--out <file>', 'where to write it (default: trustdesk-backup-<time>.tdbak here)')
    .action(async (opts: { out?: string }) => {
      const out = path.resolve(opts.out ?? `trustdesk-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tdbak`);
      if (existsSync(out)) throw new CliExit(2, `trustdesk: ${out} exists; choose another --out.`);
      await withServices(io, async (services) => {
        if (services.erasureLedger) await syncLedger(services.database.db, services.erasureLedger);
        else io.err('trustdesk: warning: no erasure ledger is configured (TRUSTDESK_ERASURE_LEDGER); a restore of this backup could not re-apply later erasures.');
        const t0 = performance.now();
        const made = await archiveStep(() => createBackup({ config: services.config, database: services.database, provider: services.keyring.provider, installation: services.audit.vkey, out, onProgress: progress(io) }));
        const s = (performance.now() - t0) / 1000;
        // The provider's posture overview reads the last one (trustdesk orgs posture).
        await services.audit.record({ actor: { type: 'system', id: 'cli' }, action: 'backup.create', result: 'success', details: { bytes: made.bytes, files: made.files } });
        io.out(`Backup written: ${made.file}`);
        io.out(`${mb(made.bytes)} MB (${made.files} files besides the database) in ${s.toFixed(1)} s, ${(made.bytes / 1024 / 1024 / Math.max(s, 0.001)).toFixed(1)} MB/s.`);
        io.out('It is encrypted under this installation\'s key-encryption key: keep the key file (and the erasure ledger beside it) apart from your backups.');
      });
    });
  backup
    .command('restore <file>')
    .description('Restore an archive into an empty data folder or database, then re-apply erasures made since it was taken')
    .action(async (file: string) => {
      if (!existsSync(file)) throw new CliExit(2, `trustdesk: no such file ${file}.`);
      const config = cliConfig(io);
      const logger = createLogger({ level: io.env.TRUSTDESK_LOG_LEVEL ?? 'warn' });
      let provider;
      try {
        provider = createKeyProvider(config, { create: false }).provider;
      } catch (err) {
        throw new CliExit(1, `trustdesk: ${(err as Error).message} The archive opens only with the key-encryption key of the installation that made it.`);
      }
      const t0 = performance.now();
      const restored = await archiveStep(() => restoreBackup({ config, provider, file: path.resolve(file), onProgress: progress(io) }));
      const s = (performance.now() - t0) / 1000;
      io.out(`Restored the backup of ${restored.createdAt} (${restored.files} files) in ${s.toFixed(1)} s.`);
      const services = await openServices({ config, logger, migrate: true });
      try {
        const deps = await createHelpdeskDeps(services);
        let replay = { erased: [] as string[], alreadyGone: 0, refused: [] as Array<{ customerId: string; reason: string }> };
        if (services.erasureLedger) {
          replay = await replayLedger(deps, services.erasureLedger, {
            blobs: new LocalBlobStore(config.blobDirPath),
            ...(config.relayUrl ? {} : { outbox: { dir: path.join(config.dataDirPath, 'outbox'), key: services.outboxKey } }),
          });
          io.out(`Erasure ledger ${services.erasureLedger}: ${replay.erased.length} customers erased again, ${replay.alreadyGone} already gone.`);
          for (const r of replay.refused) io.err(`trustdesk: customer ${r.customerId} was erased after this backup but could not be erased again: ${r.reason} Erase it with \`trustdesk customers erase\`.`);
        } else {
          io.err('trustdesk: warning: no erasure ledger is configured; customers erased after this backup are back. Set TRUSTDESK_ERASURE_LEDGER to the ledger and restore again.');
        }
        await services.audit.record({ actor: { type: 'system', id: 'cli' }, action: 'backup.restore', result: 'success', details: { archiveCreatedAt: restored.createdAt, erasedAgain: replay.erased.length, refused: replay.refused.length } });
        await services.audit.flush();
      } finally {
        await services.close();
      }
      io.out('Done. Check the audit trail with `trustdesk audit verify`, then start Trustdesk.');
    });
}
