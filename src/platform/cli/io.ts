/**
 * What every command shares: where it writes, the environment it reads, how it exits with a message, and how a
 * one-shot command opens the services. Kept apart from main.ts so that commands do not import the program that
 * lists them.
 */
import { loadConfig, type Config } from '../config/config.js';
import { openServices, type Services } from '../app/services.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logging.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export const defaultIo: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
};

/** Thrown by a command to exit with a code and a message for the operator. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** One step of a command: a refusal the service explains (AppError) ends the command with its words, exit code 1. */
export async function cliStep<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw new CliExit(1, `trustdesk: ${err.message}`);
    throw err;
  }
}

export function cliConfig(io: CliIo): Config {
  return loadConfig({ env: io.env });
}

/** Opens the services for a one-shot command (no migrations applied, no background sequencer). */
export async function withServices<T>(io: CliIo, fn: (services: Services) => Promise<T>): Promise<T> {
  const config = cliConfig(io);
  const logger = createLogger({ level: io.env.TRUSTDESK_LOG_LEVEL ?? 'warn' });
  const services = await openServices({ config, logger, migrate: false });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}
