/** `trustdesk keys …`: KEK and data-key rotation, and their status. */
import type { Command } from 'commander';
import { startKeyRotation, runKeyRotation, runningRotations, type RotationProgress } from '../../protection/crypto/rotation.js';
import { CliExit, withServices, type CliIo } from './io.js';

function progressLine(p: RotationProgress): string {
  const pct = p.total === 0 ? 100 : Math.floor((100 * Math.min(p.done, p.total)) / p.total);
  return `  key ${p.keyId} → v${p.toVersion}: ${Math.min(p.done, p.total)}/${p.total} rows (${pct}%)`;
}

export function keyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Encryption keys');

  keys
    .command('rotate-kek')
    .description('Create a new key-encryption key and rewrap every data key under it (data is not touched)')
    .option('--retire-old', 'afterwards, remove key-encryption keys nothing is wrapped under any more')
    .action(async (opts: { retireOld?: boolean }) => {
      await withServices(io, async ({ keyring }) => {
        const provider = keyring.provider;
        if (provider.addKek) {
          const id = await provider.addKek();
          io.out(`New key-encryption key ${id} added to ${provider.description}.`);
        } else {
          io.out(`${provider.description} cannot create keys; rewrapping under its first key, ${provider.currentKekId()}.`);
        }
        const n = await keyring.rewrapAll((done, total) => io.out(`  rewrapped ${done}/${total}`));
        io.out(`Rewrapped ${n} keys under ${provider.currentKekId()}.`);
        if (opts.retireOld) {
          const inUse = new Set(await keyring.kekIdsInUse());
          const unused = provider.kekIds().filter((id) => !inUse.has(id) && id !== provider.currentKekId());
          if (unused.length && provider.removeKeks) {
            await provider.removeKeks(unused);
            io.out(`Removed unused key-encryption keys: ${unused.join(', ')}. Replace old backups of the key file.`);
          } else if (unused.length) {
            io.out(`No longer needed, remove from ${provider.description}: ${unused.join(', ')}`);
          }
        }
      });
    });

  keys
    .command('rotate-dek')
    .description('Add a new version of data keys and re-encrypt their rows under it, showing progress')
    .option('--customer <id>', 'rotate one customer key')
    .option('--org <id>', "rotate an organisation's field key")
    .option('--all', 'rotate every live data key')
    .option('--batch <n>', 'rows per transaction', '200')
    .action(async (opts: { customer?: string; org?: string; all?: boolean; batch: string }) => {
      const chosen = [opts.customer, opts.org, opts.all].filter(Boolean).length;
      if (chosen !== 1) throw new CliExit(2, 'trustdesk: choose exactly one of --customer ID, --org ID, --all');
      await withServices(io, async ({ database, keyring }) => {
        const db = database.db;
        let q = db.selectFrom('data_keys').where('destroyed_at', 'is', null).where('purpose', '=', 'fields').select('id');
        if (opts.customer) q = q.where('owner_type', '=', 'customer').where('owner_id', '=', opts.customer);
        if (opts.org) q = q.where('owner_type', '=', 'organization').where('owner_id', '=', opts.org);
        const keyIds = (await q.execute()).map((r) => r.id);
        if (keyIds.length === 0 && !opts.all) throw new CliExit(1, 'trustdesk: no live data key matches.');
        // Resume anything an earlier run left unfinished, then start the new rotations.
        const rotations = await runningRotations(db);
        for (const keyId of keyIds) rotations.push(await startKeyRotation({ db, keyring, keyId }));
        io.out(`Re-encrypting under ${rotations.length} new key version(s)…`);
        for (const rotationId of rotations) {
          const done = await runKeyRotation({ db, keyring, rotationId, batchSize: Number(opts.batch) || 200, onProgress: (p) => io.out(progressLine(p)) });
          io.out(`${progressLine(done)} done; old versions destroyed.`);
        }
      });
    });

  keys
    .command('status')
    .description('Key-encryption keys, data keys and rotations')
    .action(async () => {
      await withServices(io, async ({ database, keyring }) => {
        const db = database.db;
        io.out(`provider: ${keyring.provider.description}; current KEK: ${keyring.provider.currentKekId()}`);
        io.out(`KEKs in use: ${(await keyring.kekIdsInUse()).join(', ') || '(none)'}`);
        const counts = await db
          .selectFrom('data_keys')
          .select((eb) => ['owner_type', eb.fn.countAll<number>().as('n'), eb.fn.count<number>('destroyed_at').as('destroyed')])
          .groupBy('owner_type')
          .execute();
        for (const c of counts) io.out(`${c.owner_type} keys: ${c.n} (${c.destroyed} destroyed)`);
        const rots = await db.selectFrom('key_rotations').selectAll().orderBy('started_at', 'desc').limit(10).execute();
        for (const r of rots) io.out(`rotation ${r.id}: ${r.status} ${r.done}/${r.total}${r.error ? ` (${r.error})` : ''}`);
      });
    });
}
