/**
 * `trustdesk customers erase <customer-id> --org <id|name> [--yes]`: the operator's erasure of one customer
 * (decision 0198). Without --yes it says what will happen and changes nothing. With it, the customer's keys are
 * destroyed and everything else of theirs removed in one transaction (src/helpdesk/privacy/erasure.ts), recorded
 * as a data-subject request, and the certificate of erasure is printed. Exit codes: 0 erased, 1 refused
 * (unknown customer, already erased), 2 usage (no such organisation, no --yes).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { renderCertificateText } from '../../helpdesk/privacy/certificate.js';
import { eraseByOperator } from '../../helpdesk/privacy/requests.service.js';
import { CliExit, withServices, type CliIo } from './io.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function customerCommands(program: Command, io: CliIo): void {
  const customers = program.command('customers').description('Customer records');
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
          const certificate = await eraseByOperator(deps, { orgId: org.id, customerId }, {
            blobs: new LocalBlobStore(config.blobDirPath),
            ...(config.relayUrl ? {} : { outbox: { dir: path.join(config.dataDirPath, 'outbox'), key: services.outboxKey } }),
            // Running servers drop cached keys within the cache TTL (five minutes); none can decrypt new reads of the rows.
          });
          io.out(renderCertificateText(certificate).trimEnd());
        } catch (err) {
          if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found')) throw new CliExit(1, `trustdesk: ${err.message}`);
          throw err;
        }
      });
    });
}
