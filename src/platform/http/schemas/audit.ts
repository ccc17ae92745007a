/**
 * Contract of the audit trail routes (src/protection/audit/audit.routes.ts): the
 * organisation's entries, each entry's RFC 6962 inclusion proof against the
 * latest signed checkpoint, the checkpoint itself and an integrity check of
 * the whole log, and the consistency proof from a checkpoint the caller kept
 * to the latest one (decisions 0003, 0012, 0094, 0116). Hashes travel as lowercase hex.
 */
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

const Index = Type.Integer({ minimum: 0 });
const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const AuditEntriesQuery = Type.Object({
  /** A staff user's (or API token's) id. */
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** A customer id: the server turns it into the keyed subject hash the log stores. */
  customerId: Type.Optional(Uuid),
  /** An exact action (`customer.field.reveal`) or a prefix ending in a dot (`customer.`). */
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]*)*$' })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  /** The `nextCursor` of the previous page: entries below this index. */
  cursor: Type.Optional(Index),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
}, { additionalProperties: false });

export const AuditEntry = Type.Object({
  index: Index,
  id: Type.String(),
  time: Timestamp,
  actorType: Type.String(),
  actorId: Nullable(Type.String()),
  action: Type.String(),
  result: Type.String(),
  objectType: Nullable(Type.String()),
  objectId: Nullable(Type.String()),
  /** `cs1:` keyed hash of the customer whose data the action touched; never the customer's identity. */
  subject: Nullable(Type.String()),
  /** The reason the actor gave (e.g. for a reveal). */
  purpose: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  sourceIp: Nullable(Type.String()),
  /** Extra facts recorded with the event (ids and codes, never personal data). */
  details: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

export const AuditEntryPage = Type.Object({
  entries: Type.Array(AuditEntry),
  /** Pass as `cursor` for older entries; null on the last page. */
  nextCursor: Nullable(Index),
});

export const AuditCheckpoint = Type.Object({
  origin: Type.String(),
  treeSize: Index,
  rootHash: Hex32,
  /** The C2SP signed note exactly as stored (checkpoint body, blank line, signature lines). */
  note: Type.String(),
  /** Verifier key `<origin>+<key id>+<base64 key>`: pin it out of band to check notes offline. */
  vkey: Type.String(),
  /** The 8-hex key id inside the verifier key and each signature line. */
  keyId: Type.String(),
  signedAt: Timestamp,
});

export const AuditCheckpointResult = Type.Object({ checkpoint: Nullable(AuditCheckpoint) });

export const AuditProof = Type.Object({
  index: Index,
  /** The entry's canonical JSON (RFC 8785): leaf hash = SHA-256(0x00 ‖ UTF-8 of this). */
  canonical: Type.String(),
  leafHash: Hex32,
  /** RFC 6962 audit path, deepest sibling first. */
  proof: Type.Array(Hex32),
  checkpoint: AuditCheckpoint,
  /** The server's own check of the proof against the checkpoint's root. */
  verified: Type.Boolean(),
});

export const AuditVerifyResult = Type.Object({
  /** `complete`: the whole log was checked; `timeout`: it took longer than the bound and was stopped. */
  status: Type.Union([Type.Literal('complete'), Type.Literal('timeout')]),
  ok: Type.Boolean(),
  entries: Index,
  checkpoints: Index,
  latestSignedSize: Index,
  unsignedEntries: Index,
  /** The first tree index found wrong, null when none (or when it cannot be named). */
  firstBadIndex: Nullable(Index),
  problems: Type.Array(Type.Object({ index: Nullable(Index), message: Type.String() })),
  durationMs: Index,
  checkedAt: Timestamp,
  checkpoint: Nullable(AuditCheckpoint),
});

export const AuditIndexParams = Type.Object({ index: Index });

/** `from`: the tree size of a checkpoint the caller kept (at least 1: a proof from an empty tree means nothing). */
export const AuditConsistencyQuery = Type.Object({ from: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

export const AuditConsistency = Type.Object({
  fromSize: Index,
  /** RFC 6962 consistency proof from `fromSize` to `checkpoint.treeSize`; empty when they are equal. */
  proof: Type.Array(Hex32),
  checkpoint: AuditCheckpoint,
});

export const auditEndpoints = {
  entries: { method: 'GET', url: '/api/audit/entries', querystring: AuditEntriesQuery, response: AuditEntryPage },
  proof: { method: 'GET', url: '/api/audit/entries/:index/proof', params: AuditIndexParams, response: AuditProof },
  checkpoint: { method: 'GET', url: '/api/audit/checkpoint', response: AuditCheckpointResult },
  verify: { method: 'POST', url: '/api/audit/verify', response: AuditVerifyResult },
  consistency: { method: 'GET', url: '/api/audit/consistency', querystring: AuditConsistencyQuery, response: AuditConsistency },
} as const satisfies Record<string, Endpoint>;
