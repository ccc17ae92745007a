/**
 * Structured logs (pino) with secrets and personal data redacted at the
 * source: a log line may name a record id, never its contents (invariant 7).
 */
import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line, at the top level and one or two levels down. */
const SENSITIVE_KEYS = [
  'password', 'newPassword', 'currentPassword', 'token', 'secret', 'verificationCode', 'totp', 'otp',
  'email', 'phone', 'name', 'address', 'body', 'text', 'html', 'subject', 'plaintext', 'key', 'kek', 'dek', 'raw',
];

/** Paths pino censors wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'query',
];

export function createLogger(options: { level: string; destination?: pino.DestinationStream } = { level: 'info' }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Request logs carry method, route and status; never query strings, which can hold tokens.
      serializers: {
        req: (req: { id?: string; method?: string; routeOptions?: { url?: string }; url?: string }) => ({
          id: req.id,
          method: req.method,
          route: req.routeOptions?.url ?? (req.url ?? '').split('?')[0],
        }),
        err: pino.stdSerializers.err,
      },
    },
    options.destination,
  );
}

export type { Logger };

/**
 * Failures of a periodic job, logged once per outage: the first failure at error level, repeats of
 * the same kind of failure suppressed (counted), a different failure logged again, and the first
 * success after them logged with how many passes failed. A worker polling every second while
 * PostgreSQL restarts would otherwise write sixty identical errors a minute and bury the cause.
 */
export function outageLog(
  logger: Pick<Logger, 'error' | 'info'>,
  what: string,
  /** What of the error is logged (a worker whose errors may carry a customer's URL logs only the name). */
  detail: (err: unknown) => unknown = (err) => err,
): { failed(err: unknown): void; succeeded(): void } {
  let failures = 0;
  let lastKind = '';
  const kindOf = (err: unknown) => (err instanceof Error ? `${err.name}:${(err as { code?: unknown }).code ?? ''}:${err.message.slice(0, 80)}` : String(err).slice(0, 80));
  return {
    failed(err) {
      failures++;
      const kind = kindOf(err);
      if (kind !== lastKind) logger.error({ err: detail(err), failures }, `${what} failed${failures > 1 ? ' (differently)' : ''}; repeats of this failure are not logged until it recovers`);
      lastKind = kind;
    },
    succeeded() {
      if (failures > 0) logger.info({ failures }, `${what} works again after ${failures} failed pass${failures === 1 ? '' : 'es'}`);
      failures = 0;
      lastKind = '';
    },
  };
}
