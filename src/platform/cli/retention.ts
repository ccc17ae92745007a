/**
 * `trustdesk retention dry-run --org <id|name>`: what the organisation's retention policy would delete now, per kind
 * (decision 0207); changes nothing. `trustdesk retention run --org <id|name> [--yes]`: without --yes, the same counts
 * and how to go on; with it, plans a run (as `system/cli`) and works it to the end in batches, printing progress, then
 * the counts deleted and skipped. The run is the same the API starts: audited per batch, resumable by a server.
 * Exit codes: 0 done, 1 refused (a run already under way) or failed, 2 usage (no such organisation, no --yes).
 */
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { dryRunRetention, processRetentionRun, startRetentionRun } from '../../helpdesk/privacy/retention.js';
import type { RetentionCounts } from '../../helpdesk/privacy/schema.js';
import type { Services } from '../app/services.js';
import type { Kysely } from 'kysely';
import { announce } from '../realtime/bus.js';
import { CliExit, withServices, type CliIo } from './io.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const line = (c: RetentionCounts) => `${c.tickets} tickets, ${c.quarantine} quarantined messages, ${c.exports} export bundles, ${c.customers} inactive customers`;

async function findOrg(services: Services, ref: string): Promise<{ id: string; name: string }> {
  const matches = await services.database.db
    .selectFrom('organizations')
    .where((eb) => (UUID.test(ref) ? eb.or([eb('id', '=', ref), eb('name', '=', ref)]) : eb('name', '=', ref)))
    .select(['id', 'name'])
    .execute();
  if (matches.length === 0) throw new CliExit(2, `trustdesk: no organisation "${ref}". Give its id or its exact name.`);
  if (matches.length > 1) throw new CliExit(2, `trustdesk: several organisations are named "${ref}"; give the id instead.`);
  return matches[0]!;
}

export function retentionCommands(program: Command, io: CliIo): void {
  const retention = program.command('retention').description('Retention policy: what it would delete, and deleting it');
  retention
    .command('dry-run')
    .description('Count what the retention policy would delete now (changes nothing)')
    .requiredOption('--org <id|name>', 'the organisation')
    .action(async (opts: { org: string }) => {
      await withServices(io, async (services) => {
        const org = await findOrg(services, opts.org);
        const dry = await dryRunRetention({ db: services.database.db }, org.id);
        io.out(`${org.name}: the policy would delete ${line(dry.counts)}.`);
      });
    });
  retention
    .command('run')
    .description('Delete what the retention policy selects now, in batches (audited); needs --yes')
    .requiredOption('--org <id|name>', 'the organisation')
    .option('--yes', 'really delete (without it, only the counts)')
    .option('--batch <n>', 'records per transaction', '200')
    .action(async (opts: { org: string; yes?: boolean; batch: string }) => {
      const batchSize = Number(opts.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) throw new CliExit(2, 'trustdesk: --batch takes a whole number from 1 to 5000.');
      await withServices(io, async (services) => {
        const org = await findOrg(services, opts.org);
        const deps = await createHelpdeskDeps(services);
        if (!opts.yes) {
          const dry = await dryRunRetention(deps, org.id);
          throw new CliExit(2, `${org.name}: this would delete ${line(dry.counts)} for good (inactive customers by destroying their keys).\nRun again with --yes to delete.`);
        }
        let run;
        try {
          run = await startRetentionRun(deps, { orgId: org.id, userId: null, via: 'cli' });
        } catch (err) {
          if (err instanceof AppError && err.code === 'conflict') throw new CliExit(1, `trustdesk: ${err.message}`);
          throw err;
        }
        io.out(`Run ${run.id}: deleting ${line(run.planned)}.`);
        const blobs = new LocalBlobStore(services.config.blobDirPath);
        // Running instances drop the keys destroyed here at once (through Redis), not after the cache TTL.
        const redisUrl = services.config.redisUrl;
        const told: Array<Promise<boolean>> = [];
        const erasure = (orgId: string) => ({
          blobs,
          onKeysDestroyed: (keyIds: string[]) => {
            if (keyIds.length && redisUrl) told.push(announce({ redisUrl, db: services.database.db as Kysely<unknown> }, { k: 'keys-destroyed', orgId, keyIds }));
          },
        });
        const done = await processRetentionRun(deps, run.id, { batchSize, blobs, erasure });
        if ((await Promise.all(told)).includes(false)) {
          io.err(`trustdesk: could not tell the running instances through Redis; they drop the destroyed keys within ${services.config.dekCacheTtlSeconds} seconds`);
        }
        if (!done || done.status !== 'done') throw new CliExit(1, `trustdesk: the run stopped${done?.error ? `: ${done.error}` : ''}.`);
        io.out(`Deleted ${line(done.deleted)}.`);
        const skipped = done.skipped.tickets + done.skipped.quarantine + done.skipped.exports + done.skipped.customers;
        if (skipped) io.out(`Skipped (no longer selected when their batch came): ${line(done.skipped)}.`);
      });
    });
}
