/**
 * The `trustdesk` command line. Every command validates configuration first
 * and exits non-zero with a one-paragraph message (never a stack trace) when
 * something is wrong.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, describeConfig } from '../config/config.js';
import { openConfiguredDatabase, StartupError } from '../app/services.js';
import { migrateToLatest, migrationStatus, MigrationError } from '../db/migrate.js';
import { KeyProviderError } from '../../protection/crypto/key-provider.js';
import { createLogger } from '../logging.js';
import { startServer, stopOnSignals } from '../server.js';
import { auditCommands } from './audit.js';
import { keyCommands } from './keys.js';
import { outboxCommands } from './outbox.js';
import { customerCommands } from './customers.js';
import { retentionCommands } from './retention.js';
import { backupCommands } from './backup.js';
import { importCommands } from './import.js';
import { incidentCommands } from './incidents.js';
import { orgCommands } from './orgs.js';
import { userCommands } from './users.js';
import { scimCommands } from './scim.js';
import { CliExit, cliConfig, cliStep, defaultIo, type CliIo } from './io.js';

export { CliExit, cliConfig, defaultIo, withServices, type CliIo } from './io.js';

export function buildCli(io: CliIo = defaultIo): Command {
  const program = new Command('trustdesk')
    .description('Trustdesk: a self-hosted helpdesk that protects customer data by design.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('start')
    .description('Start the server (applies pending migrations; creates the key file on first start)')
    .action(async () => {
      const config = cliConfig(io);
      const logger = createLogger({ level: config.logLevel });
      // A refusal at start (an organisation's host name the certificate does not cover) ends with its words.
      const server = await cliStep(() => startServer({ config, logger, print: io.out }));
      stopOnSignals(server, logger);
    });

  const config = program.command('config').description('Configuration');
  config
    .command('check')
    .description('Validate the configuration without starting')
    .action(() => {
      const c = cliConfig(io);
      for (const row of describeConfig(c)) io.out(`${row.setting.padEnd(34)} ${row.value}`);
      io.out('Configuration is valid.');
    });

  const db = program.command('db').description('Database');
  db.command('migrate')
    .description('Apply pending migrations')
    .action(async () => {
      const c = cliConfig(io);
      const handle = await openConfiguredDatabase(c);
      try {
        const applied = await migrateToLatest(handle.scripts);
        io.out(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply; the database is up to date.');
      } finally {
        await handle.close();
      }
    });
  db.command('status')
    .description('Show applied and pending migrations')
    .action(async () => {
      const c = cliConfig(io);
      const handle = await openConfiguredDatabase(c);
      try {
        const s = await migrationStatus(handle.scripts);
        io.out(`applied: ${s.applied.join(', ') || '(none)'}`);
        io.out(`pending: ${s.pending.join(', ') || '(none)'}`);
      } finally {
        await handle.close();
      }
    });

  orgCommands(program, io);
  keyCommands(program, io);
  userCommands(program, io);
  scimCommands(program, io);
  auditCommands(program, io);
  outboxCommands(program, io);
  customerCommands(program, io);
  retentionCommands(program, io);
  backupCommands(program, io);
  importCommands(program, io);
  incidentCommands(program, io);
  return program;
}

/** Runs the CLI; returns the process exit code (start keeps running and returns 0). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliExit) {
      io.err(err.message);
      return err.exitCode;
    }
    if (err instanceof ConfigError || err instanceof StartupError || err instanceof MigrationError || err instanceof KeyProviderError) {
      io.err(`trustdesk: ${err.message}`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      io.err(`trustdesk: the port is already in use (${e.message}). Set TRUSTDESK_PORT to another port.`);
      return 2;
    }
    io.err(`trustdesk: ${e.message ?? String(err)}`);
    return 1;
  }
}
