/** `trustdesk incidents export ID --out DIR`: an incident's evidence bundle, the folder `audit verify --bundle` checks. */
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { buildEvidenceBundle, writeBundle } from '../../threats/incidents/bundle.js';
import '../../threats/incidents/schema.js';
import { CliExit, withServices, type CliIo } from './io.js';

export function incidentCommands(program: Command, io: CliIo): void {
  const incidents = program.command('incidents').description('Security incidents');

  incidents
    .command('export')
    .description('Write an incident\'s evidence bundle (the incident, its audit entries with inclusion proofs, the signed checkpoint)')
    .argument('<id>', 'the incident id (from its page address)')
    .requiredOption('--out <dir>', 'folder to write')
    .action(async (id: string, opts: { out: string }) => {
      await withServices(io, async (services) => {
        const row = /^[0-9a-f-]{36}$/i.test(id) ? await services.database.db.selectFrom('incidents').where('id', '=', id).select('org_id').executeTakeFirst() : undefined;
        if (!row) throw new CliExit(1, `trustdesk: no incident ${id}`);
        const deps = { db: services.database.db, keyring: services.keyring, audit: services.audit, publicUrl: services.config.publicUrl, database: services.database };
        try {
          const bundle = await buildEvidenceBundle(deps, { orgId: row.org_id, actor: { type: 'system', id: 'cli' } }, id);
          writeBundle(bundle, opts.out);
          io.out(`Exported incident ${bundle.folder}: ${bundle.entries} audit entries with inclusion proofs${bundle.pending ? ` (${bundle.pending} not yet signed, left out)` : ''} to ${opts.out}`);
          io.out(`Verify with: trustdesk audit verify --bundle ${opts.out} --vkey '${services.audit.vkey}'`);
        } catch (err) {
          if (err instanceof AppError) throw new CliExit(1, `trustdesk: ${err.message}`);
          throw err;
        }
      });
    });
}
