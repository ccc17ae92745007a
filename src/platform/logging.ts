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
