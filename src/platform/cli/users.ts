/** `trustdesk users …` and `trustdesk tokens …`: automation for operators (links and tokens printed once). */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createSetupLink, inviteUser, setupNeeded } from '../../identity/auth/auth.service.js';
import { createBuiltInRoles, roleIdByKey } from '../../identity/auth/principals.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { CLI_OPERATOR } from '../../identity/organizations/lifecycle.js';
import { createServiceToken, parseScopes } from '../../identity/organizations/service-accounts.js';
import { CliExit, cliStep, withServices, type CliIo } from './io.js';

const CLI_CLIENT = { ip: 'cli', userAgent: 'trustdesk-cli', requestId: 'cli' };

export function userCommands(program: Command, io: CliIo): void {
  const users = program.command('users').description('Staff accounts');
  users
    .command('create-admin')
    .description('Print a one-time link that creates an administrator (on a new installation: the setup link)')
    .requiredOption('--email <email>', 'the administrator’s email')
    .option('--name <name>', 'display name', 'Administrator')
    .option('--org <name>', 'on a new installation, create this organisation now instead of printing the setup link')
    .action(async (opts: { email: string; name: string; org?: string }) => {
      await withServices(io, async (s) => {
        const db = s.database.db;
        const deps = { db, audit: s.audit, mailer: s.mailer, deferred: s.deferred, publicUrl: s.config.publicUrl, policy: { idleMs: s.config.sessionIdleMinutes * 60_000, absoluteMs: s.config.sessionMaxHours * 3_600_000 } };
        let org = await db.selectFrom('organizations').where('status', '<>', 'deleted').select(['id']).orderBy('created_at').limit(1).executeTakeFirst();
        if (!org && !opts.org && (await setupNeeded(db))) {
          const token = await createSetupLink(db);
          io.out(`No organisation yet. Open this one-time link (24 hours) to create it and the administrator ${opts.email}:`);
          io.out(`  ${s.config.publicUrl}/setup#token=${token}`);
          return;
        }
        if (!org) {
          const id = randomUUID();
          await db.transaction().execute(async (trx) => {
            await trx.insertInto('organizations').values({ id, name: opts.org as string }).execute();
            await createBuiltInRoles(trx, id);
            await s.audit.append(trx, { orgId: id, actor: { type: 'system', id: 'cli' }, action: 'organization.create', object: { type: 'organization', id }, result: 'success', requestId: 'cli' });
          });
          org = { id };
        }
        const adminRole = await roleIdByKey(db, org.id, 'administrator');
        if (!adminRole) throw new CliExit(1, 'trustdesk: the organisation has no administrator role.');
        const { link } = await inviteUser(deps, { userId: '00000000-0000-0000-0000-000000000000', orgId: org.id }, CLI_CLIENT, { email: opts.email, name: opts.name, roleIds: [adminRole], teamIds: [] });
        io.out(`Administrator ${opts.email} invited. One-time link (7 days; also emailed):`);
        io.out(`  ${link}`);
      });
    });

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('create')
    .description('Create an API token, printed once: for a person (--user), or for a service account of an organisation (--service --org --name)')
    .option('--user <email>', 'owner of the token (a person)')
    .option('--service', 'a service token; with --org and no --user, for the service account --name (made if missing)')
    .option('--org <id-or-slug>', 'with --service: the organisation of the service account')
    .requiredOption('--scopes <list>', 'comma-separated permissions, e.g. tickets.read,customers.read')
    .option('--expires <days>', 'days until it expires (1-366)', '90')
    .option('--name <name>', 'label (with --org: the service account’s name)', 'cli token')
    .action(async (opts: { user?: string; scopes: string; expires: string; name: string; service?: boolean; org?: string }) => {
      await withServices(io, async (s) => {
        if (opts.org !== undefined || !opts.user) {
          if (opts.user || !opts.service || !opts.org) throw new CliExit(1, 'trustdesk: give --user EMAIL for a person’s token, or --service --org ID --name NAME for a service account’s.');
          const org = opts.org;
          const created = await cliStep(() => createServiceToken({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, { org, name: opts.name, scopes: parseScopes(opts.scopes), expiresInDays: Number(opts.expires) }));
          io.out(created.token);
          io.err(`Service token ${created.id} of account ${created.accountId} (organisation ${created.orgId}) expires ${created.expiresAt.toISOString()}. It is shown only now; store it in a secret manager.`);
          return;
        }
        const user = await s.database.db.selectFrom('users').where('email', '=', opts.user.trim().toLowerCase()).select('id').executeTakeFirst();
        if (!user) throw new CliExit(1, `trustdesk: no user ${opts.user}`);
        const created = await createApiToken({ db: s.database.db, audit: s.audit }, null, CLI_CLIENT, {
          ownerId: user.id, name: opts.name, scopes: opts.scopes.split(',').map((x) => x.trim()).filter(Boolean), expiresInDays: Number(opts.expires), kind: opts.service ? 'service' : 'personal',
        });
        io.out(created.token);
        io.err(`Token ${created.id} expires ${created.expiresAt.toISOString()}. It is shown only now; store it in a secret manager.`);
      });
    });
}
