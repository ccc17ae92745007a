/**
 * `trustdesk outbox list|show ID`: the sealed development outbox (no relay configured). Files are
 * sealed under the installation's outbox key (decision 0112); `show` opens one for the operator and
 * records the read in the audit trail.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { listOutbox, OutboxError, readOutboxMessage } from '../notify/outbox.js';
import { CliExit, cliConfig, withServices, type CliIo } from './io.js';

export function outboxCommands(program: Command, io: CliIo): void {
  const outbox = program.command('outbox').description('Mail written to <data>/outbox when no SMTP relay is configured (sealed at rest)');

  outbox
    .command('list')
    .description('List the sealed messages, newest first (nothing is decrypted)')
    .action(() => {
      const dir = path.join(cliConfig(io).dataDirPath, 'outbox');
      const items = listOutbox(dir);
      if (items.length === 0) io.out(`The outbox (${dir}) is empty.`);
      for (const m of items) io.out(`${m.id}  ${m.writtenAt}  ${m.bytes} bytes`);
    });

  outbox
    .command('show')
    .description('Print one message in clear (the read is audited)')
    .argument('<id>', 'a message id from `trustdesk outbox list`')
    .action(async (id: string) => {
      await withServices(io, async (services) => {
        const dir = path.join(services.config.dataDirPath, 'outbox');
        let message: Buffer;
        try {
          message = await readOutboxMessage(dir, services.outboxKey, id);
        } catch (err) {
          if (err instanceof OutboxError) throw new CliExit(1, `trustdesk: ${err.message}`);
          throw err;
        }
        await services.audit.record({ actor: { type: 'system', id: 'cli' }, action: 'outbox.read', object: { type: 'outbox_message', id }, result: 'success' });
        io.out(message.toString('utf8').trimEnd());
      });
    });
}
