/**
 * `trustdesk setup` (headless: the first organisation and its administrator's
 * invitation) and `trustdesk orgs …` (organisations as tenants: create, list,
 * rename, suspend, resume, delete). The operator on the machine is the
 * authority for these; there is no API for them (decision 0202).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clearOrganizationDkim, readOrganizationDkim, setOrganizationDkim } from '../../identity/organizations/dkim.js';
import { inviteUser } from '../../identity/auth/auth.service.js';
import { roleIdByKey } from '../../identity/auth/principals.js';
import {
  CLI_OPERATOR, createOrganization, deleteOrganization, listOrganizations, renameOrganization, resumeOrganization, suspendOrganization, type OrganizationSummary,
} from '../../identity/organizations/lifecycle.js';
import {
  formatBytes, organizationLimits, organizationUsage, parseCount, parseSize, setOrganizationLimits, type LimitChanges, type OrganizationLimits, type OrganizationUsage,
} from '../../identity/organizations/limits.js';
import { findOrganization } from '../../identity/organizations/lifecycle.js';
import { addressFor, setOrganizationHost } from '../../identity/organizations/hosts.js';
import { organizationPostures, postureCsv } from '../../identity/organizations/posture.js';
import type { Services } from '../app/services.js';
import { AppError } from '../errors.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import { openServices } from '../app/services.js';
import { createLogger } from '../logging.js';
import { CliExit, cliConfig, withServices, type CliIo } from './io.js';

const CLI_CLIENT = { ip: 'cli', userAgent: 'trustdesk-cli', requestId: 'cli' };
const NO_PERSON = '00000000-0000-0000-0000-000000000000';

const orgDeps = (s: Services) => ({ db: s.database.db, audit: s.audit, keyring: s.keyring, blobs: new LocalBlobStore(s.config.blobDirPath) });

/** Service errors become one line and exit code 1; anything else is left to runCli. */
async function operatorStep<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw new CliExit(1, `trustdesk: ${err.message}`);
    throw err;
  }
}

/** Creates the organisation and invites its administrator (the invitation link is printed once and emailed). */
async function createWithAdmin(s: Services, io: CliIo, input: { name: string; slug?: string | undefined; admin: string; adminName: string }): Promise<void> {
  const db = s.database.db;
  const email = input.admin.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new CliExit(1, `trustdesk: "${input.admin}" is not an email address.`);
  if (await db.selectFrom('users').where('email', '=', email).select('id').executeTakeFirst()) {
    throw new CliExit(1, `trustdesk: ${email} already has an account; give the new organisation's administrator another address.`);
  }
  const org = await operatorStep(() => createOrganization(orgDeps(s), CLI_OPERATOR, { name: input.name, slug: input.slug }));
  const adminRole = await roleIdByKey(db, org.id, 'administrator');
  if (!adminRole) throw new CliExit(1, 'trustdesk: the organisation has no administrator role.');
  const deps = { db, audit: s.audit, mailer: s.mailer, deferred: s.deferred, publicUrl: s.config.publicUrl, policy: { idleMs: s.config.sessionIdleMinutes * 60_000, absoluteMs: s.config.sessionMaxHours * 3_600_000 } };
  const { link } = await operatorStep(() => inviteUser(deps, { userId: NO_PERSON, orgId: org.id }, CLI_CLIENT, { email, name: input.adminName, roleIds: [adminRole], teamIds: [] }));
  io.out(`Organisation ${org.name} created: id ${org.id}, slug ${org.slug}.`);
  io.out(`Administrator ${email} invited. One-time link (7 days; also emailed):`);
  io.out(`  ${link}`);
}

function row(o: OrganizationSummary): string {
  return [o.id, o.slug.padEnd(24), o.status.padEnd(9), String(o.staff).padStart(5), o.hostName ? `${o.name} (${o.hostName})` : o.name].join('  ');
}

function limitsReport(slug: string, l: OrganizationLimits, u: OrganizationUsage): string[] {
  const of = (used: string, max: string | null) => (max === null ? `${used} (no limit)` : `${used} of ${max}`);
  return [
    `Limits of ${slug}:`,
    `  staff seats          ${of(String(u.seats), l.seats === null ? null : String(l.seats))}`,
    `  attachment storage   ${of(formatBytes(u.storageBytes), l.storageBytes === null ? null : formatBytes(l.storageBytes))}`,
    `  inbound per day      ${of(`${u.inboundToday} today (UTC)`, l.inboundPerDay === null ? null : String(l.inboundPerDay))}`,
  ];
}

export function orgCommands(program: Command, io: CliIo): void {
  program
    .command('setup')
    .description('Set up a new installation without a browser: the first organisation, and a one-time invitation link for its administrator')
    .requiredOption('--org <name>', 'the organisation’s name')
    .requiredOption('--admin <email>', 'the administrator’s email')
    .option('--admin-name <name>', 'the administrator’s display name', 'Administrator')
    .option('--slug <slug>', 'short name for commands (default: from the name)')
    .action(async (opts: { org: string; admin: string; adminName: string; slug?: string }) => {
      // A new installation has no schema yet: setup applies the migrations, as `start` would.
      const config = cliConfig(io);
      const services = await openServices({ config, logger: createLogger({ level: io.env.TRUSTDESK_LOG_LEVEL ?? 'warn' }), migrate: true });
      try {
        const live = await listOrganizations(services.database.db);
        const anyone = await services.database.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
        if (live.length || anyone) {
          throw new CliExit(1, `trustdesk: this installation is already set up (${live.length} organisation${live.length === 1 ? '' : 's'}). To add an organisation: trustdesk orgs create --name "${opts.org}" --admin ${opts.admin}`);
        }
        if (services.createdKeyFile) io.out(`Created key file ${config.keyFilePath} (owner-only). Back it up apart from the database: without it, encrypted data cannot be read.`);
        await createWithAdmin(services, io, { name: opts.org, slug: opts.slug, admin: opts.admin, adminName: opts.adminName });
      } finally {
        await services.close();
      }
    });

  const orgs = program.command('orgs').description('Organisations (tenants) of this installation');
  orgs
    .command('create')
    .description('Create a further organisation and invite its administrator')
    .requiredOption('--name <name>', 'the organisation’s name')
    .requiredOption('--admin <email>', 'the administrator’s email')
    .option('--admin-name <name>', 'the administrator’s display name', 'Administrator')
    .option('--slug <slug>', 'short name for commands (default: from the name)')
    .action(async (opts: { name: string; admin: string; adminName: string; slug?: string }) => {
      await withServices(io, (s) => createWithAdmin(s, io, { name: opts.name, slug: opts.slug, admin: opts.admin, adminName: opts.adminName }));
    });
  orgs
    .command('list')
    .description('List organisations: id, slug, status, staff, name (and its own host name, if any)')
    .option('--all', 'include deleted organisations (tombstones)')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      await withServices(io, async (s) => {
        const list = await listOrganizations(s.database.db, { includeDeleted: opts.all === true });
        if (opts.json) {
          const db = s.database.db;
          return io.out(JSON.stringify(await Promise.all(list.map(async (o) => ({ ...o, limits: await organizationLimits(db, o.id), usage: await organizationUsage(db, o.id) })))));
        }
        if (!list.length) return io.out('No organisations. Set up with: trustdesk setup --org NAME --admin EMAIL');
        for (const o of list) io.out(row(o));
      });
    });
  orgs
    .command('rename <org>')
    .description('Rename an organisation (by id or slug); --slug changes its short name')
    .option('--name <name>', 'the new name')
    .option('--slug <slug>', 'the new slug')
    .action(async (ref: string, opts: { name?: string; slug?: string }) => {
      await withServices(io, async (s) => {
        const o = await operatorStep(() => renameOrganization(orgDeps(s), CLI_OPERATOR, ref, opts));
        io.out(`Organisation ${o.id} is now "${o.name}" (slug ${o.slug}).`);
      });
    });
  orgs
    .command('suspend <org>')
    .description('Suspend an organisation: its data is kept; sign-in, API tokens, inbound mail, chat and portal are refused until resumed')
    .option('--reason <text>', 'why (recorded in its audit trail; no personal data)')
    .action(async (ref: string, opts: { reason?: string }) => {
      await withServices(io, async (s) => {
        const o = await operatorStep(() => suspendOrganization(orgDeps(s), CLI_OPERATOR, ref, opts));
        io.out(`Organisation ${o.slug} is suspended. Its mail is answered "450 4.2.1" (senders retry); resume with: trustdesk orgs resume ${o.slug}`);
      });
    });
  orgs
    .command('resume <org>')
    .description('Resume a suspended organisation')
    .action(async (ref: string) => {
      await withServices(io, async (s) => {
        const o = await operatorStep(() => resumeOrganization(orgDeps(s), CLI_OPERATOR, ref));
        io.out(`Organisation ${o.slug} is active.`);
      });
    });
  orgs
    .command('limits <org>')
    .description('Show an organisation’s limits and usage; with options, set them (a number, or "none" for no limit)')
    .option('--seats <n>', 'staff seats: active and invited people, service accounts excluded')
    .option('--storage <size>', 'attachment storage, e.g. 500MB, 5GB')
    .option('--inbound-per-day <n>', 'inbound messages (email, request form) per UTC day')
    .action(async (ref: string, opts: { seats?: string; storage?: string; inboundPerDay?: string }) => {
      // Bad input is refused before the data folder is opened.
      const changes: LimitChanges = await operatorStep(async () => ({
        ...(opts.seats !== undefined ? { seats: parseCount(opts.seats, '--seats') } : {}),
        ...(opts.storage !== undefined ? { storageBytes: parseSize(opts.storage) } : {}),
        ...(opts.inboundPerDay !== undefined ? { inboundPerDay: parseCount(opts.inboundPerDay, '--inbound-per-day') } : {}),
      }));
      await withServices(io, async (s) => {
        const db = s.database.db;
        let org = await operatorStep(() => findOrganization(db, ref));
        if (org.status === 'deleted') throw new CliExit(1, `trustdesk: No organisation "${ref.trim()}" (it was deleted).`);
        if (Object.keys(changes).length) {
          const r = await operatorStep(() => setOrganizationLimits({ db, audit: s.audit }, CLI_OPERATOR, ref, changes));
          org = { ...org, slug: r.slug };
        }
        const [limits, usage] = await Promise.all([organizationLimits(db, org.id), organizationUsage(db, org.id)]);
        for (const line of limitsReport(org.slug, limits, usage)) io.out(line);
        if (limits.seats !== null && usage.seats > limits.seats) io.out(`  Note: ${usage.seats - limits.seats} more seat(s) in use than the limit; existing people keep their accounts, new ones are refused.`);
        if (limits.storageBytes !== null && usage.storageBytes > limits.storageBytes) io.out('  Note: storage is over the limit; stored files are kept, new ones are refused.');
      });
    });
  orgs
    .command('dkim <org>')
    .description('Sign the organisation’s customer mail with its own DKIM key: show it; set a domain and selector (a new 2048-bit key, or --key-file); or --off')
    .option('--domain <domain>', 'the domain its mailboxes send from, e.g. client-a.example')
    .option('--selector <selector>', 'the DNS selector, e.g. td2026 (the record is <selector>._domainkey.<domain>)')
    .option('--key-file <pem>', 'import this RSA private key (PEM, at least 2048 bits) instead of making one')
    .option('--off', 'stop signing with the organisation’s key and forget it')
    .action(async (ref: string, opts: { domain?: string; selector?: string; keyFile?: string; off?: boolean }) => {
      if (opts.off && (opts.domain || opts.selector || opts.keyFile)) throw new CliExit(1, 'trustdesk: --off takes no other option.');
      if ((opts.domain === undefined) !== (opts.selector === undefined)) throw new CliExit(1, 'trustdesk: give --domain and --selector together.');
      if (opts.keyFile && !opts.domain) throw new CliExit(1, 'trustdesk: --key-file needs --domain and --selector.');
      let pem: string | undefined;
      if (opts.keyFile) {
        try {
          pem = readFileSync(opts.keyFile, 'utf8');
        } catch (err) {
          throw new CliExit(1, `trustdesk: cannot read ${opts.keyFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
        }
      }
      await withServices(io, async (s) => {
        const deps = { db: s.database.db, keyring: s.keyring, audit: s.audit };
        const org = await operatorStep(() => findOrganization(deps.db, ref));
        if (opts.off) {
          await operatorStep(() => clearOrganizationDkim(deps, CLI_OPERATOR, org.id));
          io.out(`${org.slug}: its customer mail is no longer signed with its own key (the installation's key applies, if set). Remove the DNS record when no mail in flight needs it.`);
          return;
        }
        const shown = opts.domain && opts.selector
          ? await operatorStep(() => setOrganizationDkim(deps, CLI_OPERATOR, org.id, { domain: opts.domain!, selector: opts.selector!, privateKeyPem: pem }))
          : await readOrganizationDkim(deps.db, org.id);
        if (!shown) {
          io.out(`${org.slug}: no DKIM key of its own. Set one with: trustdesk orgs dkim ${org.slug} --domain DOMAIN --selector SELECTOR`);
          return;
        }
        io.out(`${org.slug}: replies sent from addresses at ${shown.domain} (or below it) are signed with selector ${shown.selector}.`);
        io.out('Publish this TXT record in DNS before mail is sent with it:');
        io.out(`  ${shown.dnsName}  TXT  "${shown.dnsValue}"`);
      });
    });
  orgs
    .command('posture')
    .description('The security posture of every organisation: second factors, incidents, quarantine, simulations, training, access reviews, audit verification, backups')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV (one row per organisation)')
    .action(async (opts: { json?: boolean; csv?: boolean }) => {
      if (opts.json && opts.csv) throw new CliExit(1, 'trustdesk: give --json or --csv, not both.');
      await withServices(io, async (s) => {
        const rows = await organizationPostures(s.database.db);
        await s.audit.record({ actor: { type: 'system', id: 'cli' }, action: 'organization.posture.read', result: 'success', details: { organizations: rows.length, format: opts.json ? 'json' : opts.csv ? 'csv' : 'text' } });
        if (opts.json) return io.out(JSON.stringify(rows));
        if (opts.csv) return io.out(postureCsv(rows).trimEnd());
        if (!rows.length) return io.out('No organisations. Set up with: trustdesk setup --org NAME --admin EMAIL');
        const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)}%`);
        io.out(['slug'.padEnd(24), '2FA'.padStart(7), 'no key'.padStart(6), 'incid.'.padStart(6), 'quar.30d'.padStart(8), 'click'.padStart(5), 'report'.padStart(6), 'training'.padStart(8), 'reviews'.padStart(7), '  attention'].join(' '));
        for (const p of rows) {
          io.out([
            p.slug.padEnd(24),
            `${p.staffWithSecondFactor}/${p.staff}`.padStart(7),
            String(p.staffWithoutPasskey).padStart(6),
            String(p.openIncidents).padStart(6),
            String(p.quarantined30d).padStart(8),
            pct(p.simulations90d.clickRate).padStart(5),
            pct(p.simulations90d.reportRate).padStart(6),
            pct(p.training.completionRate).padStart(8),
            String(p.overdueAccessReviews).padStart(7),
            `  ${p.attention.length ? p.attention.join('; ') : 'nothing needs attention'}`,
          ].join(' '));
        }
        io.out('2FA: staff with a second factor; no key: staff without a passkey; incid.: open incidents; click/report: simulations of the last 90 days; reviews: access reviews overdue.');
      });
    });
  orgs
    .command('host <org> [hostname]')
    .description('The host name the organisation’s customers reach it at (portal, request form, help pages, links in their mail): show it, set it, or --off')
    .option('--off', 'back to the installation’s address (TRUSTDESK_PUBLIC_URL with ?org=)')
    .action(async (ref: string, hostname: string | undefined, opts: { off?: boolean }) => {
      if (opts.off && hostname !== undefined) throw new CliExit(1, 'trustdesk: give a host name or --off, not both.');
      await withServices(io, async (s) => {
        const deps = { db: s.database.db, audit: s.audit, publicUrl: s.config.publicUrl, tlsCert: s.config.tlsCert };
        const org = await operatorStep(() => findOrganization(deps.db, ref));
        if (hostname === undefined && !opts.off) {
          const base = addressFor(deps.publicUrl, org.hostName);
          io.out(org.hostName ? `${org.slug}: its customers reach it at ${base}/portal` : `${org.slug}: no host name of its own; its portal is ${base}/portal?org=${org.id}. Set one with: trustdesk orgs host ${org.slug} support.example.com`);
          return;
        }
        const r = await operatorStep(() => setOrganizationHost(deps, CLI_OPERATOR, org.id, opts.off ? null : hostname!));
        const base = addressFor(deps.publicUrl, r.hostName);
        if (r.hostName === null) io.out(`${org.slug}: back on the installation's address; its portal is ${base}/portal?org=${org.id}.`);
        else {
          io.out(`${org.slug}: its portal, request form and help pages are now at ${base}/portal, and its customers' links point there.`);
          io.out(`Point ${r.hostName} at this server in DNS${s.config.tlsCert ? '' : ', and give the proxy in front of Trustdesk a certificate for it'}. Pages of ${org.slug} are no longer served at ${r.previous ? `${r.previous}` : 'the installation’s address'}.`);
        }
        if (r.customerPasskeys > 0) {
          io.out(`Note: ${r.customerPasskeys} customer passkey(s) were made at the previous address; passkeys are bound to an address, so those customers sign in with their other factor (or have it reset) until they add a passkey again.`);
        }
      });
    });
  orgs
    .command('delete <org>')
    .description('Delete an organisation for good: its keys are destroyed (nothing of it can be decrypted again, backups included) and its rows removed')
    .option('--confirm <slug-or-id>', 'repeat the organisation’s slug or id')
    .action(async (ref: string, opts: { confirm?: string }) => {
      await withServices(io, async (s) => {
        const r = await operatorStep(() => deleteOrganization(orgDeps(s), CLI_OPERATOR, ref, opts.confirm));
        const rows = Object.values(r.purge.removed).reduce((a, b) => a + b, 0);
        io.out(`Organisation ${r.slug} (${r.id}) deleted: ${r.keysDestroyed} keys destroyed, ${rows} rows and ${r.filesRemoved} attachment files removed.`);
        if (r.purge.remaining.length) {
          throw new CliExit(1, `trustdesk: rows remain in ${r.purge.remaining.join(', ')} (they cannot be decrypted). Run again to finish: trustdesk orgs delete ${r.id} --confirm ${r.id}`);
        }
      });
    });
}
