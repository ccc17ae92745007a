/**
 * `trustdesk start`: opens the services, serves HTTP, prints where, and shuts
 * down gracefully on SIGINT/SIGTERM (stop accepting, finish requests, flush
 * the audit log, close the database).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { openServices, type Services } from './app/services.js';
import { buildApp } from './http/app.js';
import { appRoutes } from './http/routes.js';
import { createSetupLink, setupNeeded } from './auth/auth.service.js';
import type { Logger } from './logging.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  stop(): Promise<void>;
}

export async function startServer(options: { config: Config; logger: Logger; print?: (line: string) => void }): Promise<RunningServer> {
  const { config, logger } = options;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const services = await openServices({ config, logger, migrate: true, sequencer: true });
  let app: FastifyInstance;
  try {
    app = await buildApp({ services, routes: appRoutes });
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await services.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  if (services.createdKeyFile) {
    print(`Created key file ${config.keyFilePath} (owner-only). Back it up apart from the database: without it, encrypted data cannot be read.`);
  }
  print(`Trustdesk is listening on ${url}`);
  print(`  database: ${services.database.kind === 'pglite' ? `embedded (${config.dataDirPath})` : 'PostgreSQL'}`);
  print(`  health:   ${url}/healthz   API docs: ${url}/api/docs`);
  if (await setupNeeded(services.database.db)) {
    const token = await createSetupLink(services.database.db);
    print('');
    print('First run: open this one-time link (valid 24 hours) to create your organisation and administrator account:');
    print(`  ${url}/setup#token=${token}`);
    print('(Each start prints a new link and cancels the previous one.)');
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await app.close();
      await services.close();
    })();
    return stopping;
  };
  return { app, services, url, stop };
}

/** Wires SIGINT/SIGTERM to a graceful stop with a deadline. */
export function stopOnSignals(server: RunningServer, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    deadline.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
