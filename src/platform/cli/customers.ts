/**
 * `trustdesk customers export --customer <id> --out <file> [--org <id|name>]`: the operator's answer to an access
 * request (decision 0205): records and approves it as `system/cli` and writes the bundle (a zip with data.json,
 * index.html and the attachments) to the file, readable by the owner only. It refuses to overwrite a file.
 * Exit codes: 0 written, 1 refused (unknown customer, erased, merged), 2 usage.
 *
 * `trustdesk customers erase <customer-id> --org <id|name> [--yes]`: the operator's erasure of one customer
 * (decision 0198). Without --yes it says what will happen and changes nothing. With it, the customer's keys are
 * destroyed and everything else of theirs removed in one transaction (src/helpdesk/privacy/erasure.ts), recorded
 * as a data-subject request, and the certificate of erasure is printed. Exit codes: 0 erased, 1 refused
 * (unknown customer, already erased), 2 usage (no such organisation, no --yes).
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { renderCertificateText } from '../../helpdesk/privacy/certificate.js';
import { eraseByOperator, exportByOperator } from '../../helpdesk/privacy/requests.service.js';
import type { Kysely } from 'kysely';
import { announce } from '../realtime/bus.js';
import { CliExit, withServices, type CliIo } from './io.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function customerCommands(program: Command, io: CliIo): void {
  const customers = program.command('customers').description('Customer records');
  customers
    .command('export')
    .description('Export everything held about a customer (access request): writes a zip with data.json, index.html and their files')
    .requiredOption('--customer <id>', 'the customer record id')
    .requiredOption('--out <file>', 'where to write the zip (must not exist)')
    .option('--org <id|name>', 'the organisation the customer belongs to (checked when given)')
    .action(async (opts: { customer: string; out: string; org?: string }) => {
      if (!UUID.test(opts.customer)) throw new CliExit(2, `trustdesk: "${opts.customer}" is not a customer id.`);
      if (existsSync(opts.out)) throw new CliExit(2, `trustdesk: ${opts.out} exists; give a new file name.`);
      await withServices(io, async (services) => {
        const db = services.database.db;
        const customer = await db.selectFrom('customers as c').innerJoin('organizations as o', 'o.id', 'c.org_id').where('c.id', '=', opts.customer).select(['c.id', 'c.org_id', 'o.name']).executeTakeFirst();
        if (!customer || (opts.org && opts.org !== customer.org_id && opts.org !== customer.name)) throw new CliExit(1, `trustdesk: no customer ${opts.customer}${opts.org ? ` in ${opts.org}` : ''}.`);
        const deps = await createHelpdeskDeps(services);
        try {
          const out = await exportByOperator(deps, { orgId: customer.org_id, customerId: customer.id }, { blobs: new LocalBlobStore(services.config.blobDirPath) });
          try {
            writeFileSync(opts.out, out.bytes, { flag: 'wx', mode: 0o600 });
          } catch (err) {
            throw new CliExit(2, `trustdesk: cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists' : (err as Error).message}`);
          }
          const c = out.counts;
          io.out(`Wrote ${opts.out} (${out.bytes.length} bytes) for request ${out.requestId}: ${c.tickets} tickets, ${c.messages} messages, ${c.attachments} files, ${c.staffAccesses} staff accesses.`);
        } catch (err) {
          if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found')) throw new CliExit(1, `trustdesk: ${err.message}`);
          throw err;
        }
      });
    });
  customers
    .command('erase')
    .description('Erase a customer: destroy their keys and remove what the keys do not cover; prints the certificate of erasure')
    .argument('<customer-id>', 'the customer record id')
    .requiredOption('--org <id|name>', 'the organisation the customer belongs to')
    .option('--yes', 'really erase (without it, nothing changes)')
    .action(async (customerId: string, opts: { org: string; yes?: boolean }) => {
      if (!UUID.test(customerId)) throw new CliExit(2, `trustdesk: "${customerId}" is not a customer id.`);
      await withServices(io, async (services) => {
        const db = services.database.db;
        const matches = await db
          .selectFrom('organizations')
          .where((eb) => (UUID.test(opts.org) ? eb.or([eb('id', '=', opts.org), eb('name', '=', opts.org)]) : eb('name', '=', opts.org)))
          .select(['id', 'name'])
          .execute();
        if (matches.length === 0) throw new CliExit(2, `trustdesk: no organisation "${opts.org}". Give its id or its exact name.`);
        if (matches.length > 1) throw new CliExit(2, `trustdesk: several organisations are named "${opts.org}"; give the id instead.`);
        const org = matches[0]!;
        const customer = await db.selectFrom('customers').where('id', '=', customerId).where('org_id', '=', org.id).select('id').executeTakeFirst();
        if (!customer) throw new CliExit(1, `trustdesk: no customer ${customerId} in ${org.name}.`);
        if (!opts.yes) {
          throw new CliExit(2, [
            `This erases customer ${customerId} of ${org.name} for good: their data keys are destroyed (backups cannot be read either),`,
            'queued mail, undelivered webhooks, quarantined messages they sent and their portal sessions are removed.',
            'Run again with --yes to erase.',
          ].join('\n'));
        }
        const deps = await createHelpdeskDeps(services);
        const config = services.config;
        try {
          const destroyed: string[] = [];
          const certificate = await eraseByOperator(deps, { orgId: org.id, customerId }, {
            blobs: new LocalBlobStore(config.blobDirPath),
            ...(config.relayUrl ? {} : { outbox: { dir: path.join(config.dataDirPath, 'outbox'), key: services.outboxKey } }),
            onKeysDestroyed: (keyIds) => destroyed.push(...keyIds),
          });
          io.out(renderCertificateText(certificate).trimEnd());
          // Running instances drop their cached copies of the keys now (through Redis), not after the cache TTL.
          if (destroyed.length && config.redisUrl && !(await announce({ redisUrl: config.redisUrl, db: services.database.db as Kysely<unknown> }, { k: 'keys-destroyed', orgId: org.id, keyIds: destroyed }))) {
            io.err(`trustdesk: could not tell the running instances through Redis; they drop the destroyed keys within ${config.dekCacheTtlSeconds} seconds`);
          }
        } catch (err) {
          if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found')) throw new CliExit(1, `trustdesk: ${err.message}`);
          throw err;
        }
      });
    });
}
