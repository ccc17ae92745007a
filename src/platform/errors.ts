/**
 * The closed set of error codes Trustdesk answers with. Each maps to one HTTP
 * status and one problem+json `type`. The `detail` a caller sees is the safe,
 * user-facing message; `internal` is logged and never sent.
 */
export const ERROR_CODES = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  mfa_required: 401,
  step_up_required: 401,
  /** A portal route the organisation guards with a customer second factor (decision 0220). */
  customer_mfa_required: 403,
  forbidden: 403,
  /** An organisation's limit set by the installation's operator (seats, storage, inbound per day; decision 0235). */
  limit_reached: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  key_destroyed: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  ciphertext_invalid: 500,
  audit_unavailable: 503,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  /** Logged, never sent to the caller. */
  internal?: string;
  cause?: unknown;
  /** Extra problem+json members that are safe to show (e.g. field names). */
  extra?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly internal: string | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.internal = options.internal;
    this.extra = options.extra;
  }
}

/** The field's data key was destroyed (crypto-shredding): the value is gone for good. */
export class KeyDestroyedError extends AppError {
  constructor(keyId: string) {
    super('key_destroyed', 'This data was erased and can no longer be read.', { internal: `data key ${keyId} destroyed` });
    this.name = 'KeyDestroyedError';
  }
}

/** A ciphertext was truncated, forged, or bound to another row or column. */
export class CiphertextInvalidError extends AppError {
  constructor(reason: string) {
    super('ciphertext_invalid', 'Stored data failed an integrity check.', { internal: reason });
    this.name = 'CiphertextInvalidError';
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
