/**
 * The contract between the server and the web app. Every module in
 * src/platform/http/schemas/ is browser-safe: it imports only `typebox` and sibling
 * schema modules (schemas.test.ts enforces it), so the route that validates a
 * request and the form that builds it use the same schema object. Decision 0090.
 */
import { Type, type Static, type TNull, type TSchema } from 'typebox';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One API operation: what a route validates and what the client may send and expect back. */
export interface Endpoint {
  method: HttpMethod;
  url: string;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** The success body; absent when the route answers 204. */
  response?: TSchema;
  /** Success status; 200 unless given (204 means no body). */
  status?: number;
}

/** The success body type of an endpoint (undefined for 204 routes). */
export type ResponseOf<E extends Endpoint> = E['response'] extends TSchema ? Static<E['response']> : undefined;
export type BodyOf<E extends Endpoint> = E['body'] extends TSchema ? Static<E['body']> : undefined;
export type ParamsOf<E extends Endpoint> = E['params'] extends TSchema ? Static<E['params']> : undefined;
export type QueryOf<E extends Endpoint> = E['querystring'] extends TSchema ? Static<E['querystring']> : undefined;

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });
export const Email = Type.String({ format: 'email', maxLength: 320 });
export const Timestamp = Type.String({ description: 'ISO 8601 date-time' });

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** One of a constant list of strings, typed as their union, e.g. `Literals(TICKET_STATUSES)`. */
export function Literals<const T extends readonly string[]>(values: T) {
  // Type.Enum's static type widens to string; Unsafe keeps the union for handlers and forms.
  return Type.Unsafe<T[number]>(Type.Enum(values));
}

/** Reference to the shared problem+json schema (registered by the server as `Problem`). */
export const ProblemRef = Type.Unsafe<{ type: string; title: string; status: number; code: string; detail?: string; requestId: string }>({ $ref: 'Problem#' });

/** The error answers a route may give; routes spread this into `response`. */
export const problemResponses = {
  400: ProblemRef,
  401: ProblemRef,
  403: ProblemRef,
  404: ProblemRef,
  409: ProblemRef,
} as const;

type SuccessStatus<E extends Endpoint> = E['status'] extends number ? E['status'] : 200;
type SuccessSchema<E extends Endpoint> = E['response'] extends TSchema ? E['response'] : TNull;

/** The Fastify schema of an endpoint, typed so the route's handler must return the endpoint's response. */
export type RouteSchemaOf<E extends Endpoint> = {
  tags: string[];
  summary: string;
  params: E['params'];
  querystring: E['querystring'];
  body: E['body'];
  response: { [K in SuccessStatus<E>]: SuccessSchema<E> } & typeof problemResponses;
};

/**
 * Fastify `schema` for an endpoint: params, query, body and response taken
 * from the contract, plus documentation and the standard error answers.
 */
export function routeSchema<const E extends Endpoint>(endpoint: E, doc: { tags: string[]; summary: string; extraResponses?: Record<number, TSchema> }): RouteSchemaOf<E> {
  const status = endpoint.status ?? 200;
  const schema = {
    tags: doc.tags,
    summary: doc.summary,
    ...(endpoint.params ? { params: endpoint.params } : {}),
    ...(endpoint.querystring ? { querystring: endpoint.querystring } : {}),
    ...(endpoint.body ? { body: endpoint.body } : {}),
    response: {
      ...problemResponses,
      ...(doc.extraResponses ?? {}),
      [status]: endpoint.response ?? Type.Null(),
    },
  };
  return schema as unknown as RouteSchemaOf<E>;
}
