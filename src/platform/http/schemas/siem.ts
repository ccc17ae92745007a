/**
 * Contract of the SIEM routes (src/protection/siem/siem.routes.ts; docs/siem.md): destinations the audit trail
 * streams to (siem.manage changes them, siem.read sees them with their delivery status), and a test message.
 * Secrets (the HTTPS token, the TLS client key) are accepted, never returned: a destination says whether one is set.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

export const SIEM_TRANSPORTS = ['tls', 'tcp', 'udp', 'https'] as const;
export const SIEM_FORMATS = ['cef', 'ocsf'] as const;

const Pem = Type.String({ minLength: 1, maxLength: 65536 });
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  transport: Literals(SIEM_TRANSPORTS),
  host: Nullable(Type.String({ minLength: 1, maxLength: 253 })),
  port: Nullable(Type.Integer({ minimum: 1, maximum: 65535 })),
  url: Nullable(Type.String({ minLength: 8, maxLength: 2000 })),
  format: Literals(SIEM_FORMATS),
  caPem: Nullable(Pem),
  clientCertPem: Nullable(Pem),
  clientKeyPem: Nullable(Pem),
  token: Nullable(Type.String({ minLength: 1, maxLength: 500 })),
  enabled: Type.Boolean(),
  lagAlertThreshold: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
};

export const SiemDestinationCreateBody = Type.Object(
  {
    name: Fields.name,
    transport: Fields.transport,
    host: Type.Optional(Fields.host),
    port: Type.Optional(Fields.port),
    url: Type.Optional(Fields.url),
    format: Fields.format,
    caPem: Type.Optional(Fields.caPem),
    clientCertPem: Type.Optional(Fields.clientCertPem),
    clientKeyPem: Type.Optional(Fields.clientKeyPem),
    token: Type.Optional(Fields.token),
    enabled: Type.Optional(Fields.enabled),
    lagAlertThreshold: Type.Optional(Fields.lagAlertThreshold),
    /** `now` (default): from the organisation's newest sequenced entry on; `beginning`: the whole trail. */
    startFrom: Type.Optional(Literals(['now', 'beginning'] as const)),
  },
  { additionalProperties: false },
);

/** Any field; a secret left out stays, null removes it. */
export const SiemDestinationUpdateBody = Type.Object(
  {
    name: Type.Optional(Fields.name),
    transport: Type.Optional(Fields.transport),
    host: Type.Optional(Fields.host),
    port: Type.Optional(Fields.port),
    url: Type.Optional(Fields.url),
    format: Type.Optional(Fields.format),
    caPem: Type.Optional(Fields.caPem),
    clientCertPem: Type.Optional(Fields.clientCertPem),
    clientKeyPem: Type.Optional(Fields.clientKeyPem),
    token: Type.Optional(Fields.token),
    enabled: Type.Optional(Fields.enabled),
    lagAlertThreshold: Type.Optional(Fields.lagAlertThreshold),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SiemStatus = Type.Object({
  /** Audit sequence number (idx) of the last entry the destination accepted; -1 before the first. */
  cursorIdx: Type.Integer(),
  /** The organisation's newest sequenced entry. */
  latestIdx: Nullable(Type.Integer()),
  /** Entries of the organisation waiting to be sent (counted up to 1,000,000). */
  lag: Type.Integer(),
  delivered: Type.Integer(),
  /** The lag is above the destination's alert threshold. */
  behind: Type.Boolean(),
  lastSuccessAt: Nullable(Timestamp),
  lastError: Nullable(Type.String()),
  lastErrorAt: Nullable(Timestamp),
  /** Failed attempts in a row (0 when the last one succeeded). */
  failures: Type.Integer(),
  nextAttemptAt: Timestamp,
});

export const SiemDestination = Type.Object({
  id: Uuid,
  name: Type.String(),
  transport: Literals(SIEM_TRANSPORTS),
  host: Nullable(Type.String()),
  port: Nullable(Type.Integer()),
  url: Nullable(Type.String()),
  format: Literals(SIEM_FORMATS),
  caPem: Nullable(Type.String()),
  clientCertPem: Nullable(Type.String()),
  hasClientKey: Type.Boolean(),
  hasToken: Type.Boolean(),
  enabled: Type.Boolean(),
  lagAlertThreshold: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  status: SiemStatus,
});
export const SiemDestinationList = Type.Object({ items: Type.Array(SiemDestination) });
export const SiemTestResult = Type.Object({ ok: Type.Boolean(), error: Nullable(Type.String()) });

export const siemEndpoints = {
  list: { method: 'GET', url: '/api/siem/destinations', response: SiemDestinationList },
  create: { method: 'POST', url: '/api/siem/destinations', body: SiemDestinationCreateBody, response: SiemDestination, status: 201 },
  read: { method: 'GET', url: '/api/siem/destinations/:id', params: IdParams, response: SiemDestination },
  update: { method: 'PUT', url: '/api/siem/destinations/:id', params: IdParams, body: SiemDestinationUpdateBody, response: SiemDestination },
  remove: { method: 'DELETE', url: '/api/siem/destinations/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
  test: { method: 'POST', url: '/api/siem/destinations/:id/test', params: IdParams, response: SiemTestResult },
} as const satisfies Record<string, Endpoint>;
