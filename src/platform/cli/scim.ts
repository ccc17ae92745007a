/**
 * `trustdesk scim token create|list|revoke --org ID|SLUG`: an organisation's SCIM provisioning tokens for the
 * operator (the same as Administration's API, /api/scim/tokens). A token is printed once on stdout; the base URL
 * and expiry go to stderr.
 */
import type { Command } from 'commander';
import { createScimToken, listScimTokens, revokeScimToken } from '../../identity/scim/admin.service.js';
import { SCIM_PREFIX } from '../../identity/scim/scim.routes.js';
import { findOrganization } from '../../identity/organizations/lifecycle.js';
import { cliStep, withServices, type CliIo } from './io.js';

export function scimCommands(program: Command, io: CliIo): void {
  const scim = program.command('scim').description('SCIM provisioning (docs/scim.md)');
  const token = scim.command('token').description('SCIM tokens of an organisation');

  token
    .command('create')
    .description('Issue a SCIM token for /scim/v2 of the organisation, printed once')
    .requiredOption('--org <id-or-slug>', 'the organisation')
    .option('--name <name>', 'label, e.g. the identity provider', 'identity provider')
    .option('--expires <days>', 'days until it expires (1-730)', '365')
    .action(async (opts: { org: string; name: string; expires: string }) => {
      await withServices(io, async (s) => {
        const org = await cliStep(() => findOrganization(s.database.db, opts.org));
        const created = await cliStep(() => createScimToken({ db: s.database.db, audit: s.audit }, { orgId: org.id, userId: null, requestId: 'cli', ip: null }, { name: opts.name, expiresInDays: Number(opts.expires) }));
        io.out(created.token);
        io.err(`SCIM token ${created.id} for ${org.name} expires ${created.expiresAt.toISOString()}; base URL ${s.config.publicUrl.replace(/\/$/, '')}${SCIM_PREFIX}. It is shown only now; paste it into the identity provider.`);
      });
    });

  token
    .command('list')
    .description('The organisation’s SCIM tokens (never their secret)')
    .requiredOption('--org <id-or-slug>', 'the organisation')
    .action(async (opts: { org: string }) => {
      await withServices(io, async (s) => {
        const org = await cliStep(() => findOrganization(s.database.db, opts.org));
        for (const t of await listScimTokens(s.database.db, org.id)) {
          io.out(`${t.id}  ${t.prefix}…  ${t.revoked ? 'revoked' : `expires ${t.expiresAt}`}  last used ${t.lastUsedAt ?? 'never'}  ${t.name}`);
        }
      });
    });

  token
    .command('revoke <id>')
    .description('Revoke a SCIM token at once')
    .requiredOption('--org <id-or-slug>', 'the organisation')
    .action(async (id: string, opts: { org: string }) => {
      await withServices(io, async (s) => {
        const org = await cliStep(() => findOrganization(s.database.db, opts.org));
        await cliStep(() => revokeScimToken({ db: s.database.db, audit: s.audit }, { orgId: org.id, userId: null, requestId: 'cli', ip: null }, id));
        io.out(`Revoked ${id}.`);
      });
    });
}
