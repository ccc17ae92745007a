/**
 * The one way the web app talks to the server. `call(endpoint, input)` takes an
 * endpoint from src/platform/http/schemas/*, validates the body with the same TypeBox
 * schema the route uses, sends it with the session cookie and CSRF header, and
 * turns any problem+json into an ApiError. A `step_up_required` answer asks the
 * registered handler for a fresh second factor and retries once.
 */
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { BodyOf, Endpoint, ParamsOf, QueryOf, ResponseOf } from '../../src/platform/http/schemas/common.js';
import { describeProblem } from './error-text.js';
import { hasMessage, t, type Params } from './i18n/index.js';

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fieldErrors: FieldErrors = {},
    readonly requestId: string | null = null,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail || code);
    this.name = 'ApiError';
  }
}

let csrf: { header: string; token: string } | null = null;

/** The CSRF token for writes: staff pages use X-CSRF-Token, the portal X-Portal-CSRF. */
export function setCsrfToken(token: string | null, header = 'x-csrf-token'): void {
  csrf = token ? { header, token } : null;
}

type StepUpHandler = (error: ApiError) => Promise<boolean>;
let stepUpHandler: StepUpHandler | null = null;

/** Registers who asks for a fresh second factor; returns the unregister function. */
export function onStepUp(handler: StepUpHandler): () => void {
  stepUpHandler = handler;
  return () => {
    if (stepUpHandler === handler) stepUpHandler = null;
  };
}

type SessionLostHandler = (error: ApiError, url: string) => void;
const sessionLostHandlers = new Set<SessionLostHandler>();

/**
 * Registers a handler called when a request finds the session gone (401
 * unauthenticated / mfa_required); returns the unregister function. Not called
 * for /api/auth/me itself, whose 401 is how a session is looked up.
 */
export function onSessionLost(handler: SessionLostHandler): () => void {
  sessionLostHandlers.add(handler);
  return () => {
    sessionLostHandlers.delete(handler);
  };
}

const VALIDATION_KEYWORDS: Record<string, string> = {
  required: 'validation.required',
  minLength: 'validation.minLength',
  maxLength: 'validation.maxLength',
  minimum: 'validation.minimum',
  maximum: 'validation.maximum',
  minItems: 'validation.minItems',
  maxItems: 'validation.maxItems',
  pattern: 'validation.pattern',
  type: 'validation.type',
  enum: 'validation.enum',
  const: 'validation.enum',
  anyOf: 'validation.invalid',
};

/** Field path as the server reports it: 'a.b' for /a/b. */
function fieldKey(instancePath: string, params: Record<string, unknown>): string {
  const base = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (params.requiredProperties as string[] | undefined)?.[0] ?? (params.missingProperty as string | undefined);
  if (missing) return base ? `${base}.${missing}` : missing;
  return base;
}

function messageFor(keyword: string, params: Record<string, unknown>): string {
  if (keyword === 'format') {
    const key = `validation.format.${String(params.format)}`;
    return t(hasMessage(key) ? key : 'validation.format');
  }
  const key = VALIDATION_KEYWORDS[keyword] ?? 'validation.invalid';
  const limit = params.limit;
  return t(hasMessage(key) ? key : 'validation.invalid', typeof limit === 'number' ? { limit } : undefined);
}

/** Validates `value` against a shared schema; returns { field: message } (empty when valid). */
export function validate(schema: TSchema, value: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (Value.Check(schema, value)) return out;
  for (const error of Value.Errors(schema, value)) {
    const params = (error.params ?? {}) as Record<string, unknown>;
    const key = fieldKey(error.instancePath, params);
    out[key] ??= messageFor(error.keyword, params);
  }
  return out;
}

function fillPath(url: string, params: Record<string, unknown> | undefined): string {
  return url.replace(/:([A-Za-z]+)/g, (_whole, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new Error(`Missing path parameter ${name} for ${url}`);
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, String(v));
    else search.append(key, String(value));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

interface Problem {
  code?: string;
  detail?: string;
  title?: string;
  requestId?: string;
  errors?: Array<{ field?: string; message?: string }>;
  [extra: string]: unknown;
}

async function toApiError(response: Response): Promise<ApiError> {
  let problem: Problem = {};
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    problem = (await response.json().catch(() => ({}))) as Problem;
  }
  const fieldErrors: FieldErrors = {};
  for (const e of problem.errors ?? []) {
    if (e.field !== undefined) fieldErrors[e.field] ??= e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) : t('validation.invalid');
  }
  const code = problem.code ?? (response.status >= 500 ? 'internal' : 'bad_request');
  const { code: _c, detail: _d, title: _t, requestId: _r, errors: _e, type: _ty, status: _s, instance: _i, ...extra } = problem;
  return new ApiError(response.status, code, problem.detail ?? '', fieldErrors, problem.requestId ?? response.headers.get('x-request-id'), extra);
}

export interface RequestOptions {
  /** Raw body (FormData for uploads); otherwise JSON. */
  raw?: BodyInit;
  signal?: AbortSignal;
}

async function send(method: string, url: string, body: unknown, options: RequestOptions, retried: boolean): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrf) headers[csrf.header] = csrf.token;
  let payload: BodyInit | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(url, { method, headers, credentials: 'same-origin', ...(payload !== undefined ? { body: payload } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', t('errors.network'));
  }
  if (response.ok) return response;
  const error = await toApiError(response);
  if (error.code === 'step_up_required' && !retried && stepUpHandler) {
    if (await stepUpHandler(error)) return send(method, url, body, options, true);
  }
  if ((error.code === 'unauthenticated' || error.code === 'mfa_required') && !url.startsWith('/api/auth/me')) {
    for (const handler of [...sessionLostHandlers]) handler(error, url);
  }
  throw error;
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) return (await response.json()) as T;
  return (await response.text()) as T;
}

export interface CallInput<E extends Endpoint> {
  params?: ParamsOf<E>;
  query?: QueryOf<E>;
  body?: BodyOf<E>;
}

/** Calls an endpoint of the shared contract; the body is checked against the same schema as on the server. */
export async function call<E extends Endpoint>(endpoint: E, input: CallInput<E> = {}, options: RequestOptions = {}): Promise<ResponseOf<E>> {
  if (endpoint.body && options.raw === undefined) {
    const errors = validate(endpoint.body, input.body ?? {});
    if (Object.keys(errors).length > 0) throw new ApiError(400, 'validation_failed', t('errors.validation_failed'), errors);
  }
  const url = fillPath(endpoint.url, input.params as Record<string, unknown> | undefined) + queryString(input.query as Record<string, unknown> | undefined);
  const response = await send(endpoint.method, url, input.body, options, false);
  return parse<ResponseOf<E>>(response);
}

/** For the rare request with no endpoint in the contract (downloads, health). */
export async function request<T>(method: string, url: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  return parse<T>(await send(method, url, body, options, false));
}

/** A download answered to a POST (a body the server checks first): the bytes, as a Blob. Errors as `call`. */
export async function requestBlob(method: string, url: string, body?: unknown): Promise<Blob> {
  return (await send(method, url, body, {}, false)).blob();
}

/** Human text for any error: the code's message, the server's safe detail, and the request id. */
export function describeError(error: unknown): { message: string; detail: string | null; requestId: string | null } {
  if (error instanceof ApiError) return describeProblem(error);
  return { message: t('errors.internal'), detail: null, requestId: null };
}

export type { Params };
