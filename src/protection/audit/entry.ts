/**
 * What an audit event is, and how a stored row becomes the exact bytes that
 * are hashed into the Merkle tree. The same function serves the sequencer,
 * `audit verify` and the offline bundle check, so they cannot disagree.
 */
import { createHmac, hash as oneShotHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { AuditLogTable } from '../../platform/db/schema.js';
import { canonicalize } from './canonical.js';
import { hashLeaf } from './merkle.js';

export type ActorType = 'user' | 'token' | 'system' | 'customer' | 'anonymous';
export type AuditResult = 'success' | 'failure' | 'denied';

export interface AuditEvent {
  orgId?: string | null;
  actor: { type: ActorType; id?: string | null };
  /** Dotted verb-noun, e.g. `customer.field.reveal`, `auth.signin`. */
  action: string;
  object?: { type: string; id: string } | null;
  /** The customer whose data this touches; stored only as a keyed hash. */
  subjectCustomerId?: string | null;
  /** The customers a list or search showed; stored as keyed hashes in details.subjects (sorted, distinct). */
  subjectCustomerIds?: readonly (string | null)[];
  /** Why (e.g. the reason given for a reveal). Must hold no PII. */
  purpose?: string | null;
  result: AuditResult;
  requestId?: string | null;
  sourceIp?: string | null;
  /** Extra facts; never PII or secrets. */
  details?: Record<string, unknown> | null;
}

/** The stored columns that make up an entry (everything but sequencing). */
export type AuditEntryColumns = Omit<Selectable<AuditLogTable>, 'seq' | 'idx' | 'leaf_hash' | 'mac'>;

/** The canonical, versioned JSON form of an entry (RFC 8785); what a third party re-hashes. */
export function canonicalEntry(row: AuditEntryColumns): string {
  return canonicalize(entryObject(row));
}

export function entryObject(row: AuditEntryColumns): Record<string, unknown> {
  return {
    v: 1,
    id: row.id,
    ts: row.ts.toISOString(),
    org: row.org_id,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    action: row.action,
    object_type: row.object_type,
    object_id: row.object_id,
    subject: row.subject,
    purpose: row.purpose,
    result: row.result,
    request_id: row.request_id,
    source_ip: row.source_ip,
    details: row.details,
  };
}

// In u-mode a surrogate pair is one code point, so this matches only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const jsonString = (v: string | null): string => {
  if (v === null) return 'null';
  // The cheap test first: almost every audit string has no surrogate at all.
  if (ANY_SURROGATE.test(v) && LONE_SURROGATE.test(v)) throw new Error('audit entry text is not well-formed Unicode');
  return JSON.stringify(v);
};

/**
 * The same bytes as `canonicalEntry`, built directly: keys in RFC 8785 order
 * (UTF-16 code units) and strings escaped as JSON.stringify does, which is
 * RFC 8785's string rule. Verification of a million entries spends most of
 * its time here, so the general canonicalizer is kept for `details` only. A
 * property test holds the two equal.
 */
export function canonicalEntryFast(row: AuditEntryColumns): string {
  return (
    `{"action":${jsonString(row.action)},"actor_id":${jsonString(row.actor_id)},"actor_type":${jsonString(row.actor_type)},` +
    `"details":${row.details === null ? 'null' : canonicalize(row.details)},"id":${jsonString(row.id)},` +
    `"object_id":${jsonString(row.object_id)},"object_type":${jsonString(row.object_type)},"org":${jsonString(row.org_id)},` +
    `"purpose":${jsonString(row.purpose)},"request_id":${jsonString(row.request_id)},"result":${jsonString(row.result)},` +
    `"source_ip":${jsonString(row.source_ip)},"subject":${jsonString(row.subject)},"ts":${jsonString(row.ts.toISOString())},"v":1}`
  );
}

/**
 * hashLeaf(UTF-8 of the canonical entry), computed by hashing the string
 * "\u0000" + entry: U+0000 encodes as the single byte 0x00, RFC 6962's leaf
 * prefix, so no intermediate buffer is built (verification hashes millions).
 */
export function entryLeafHash(row: AuditEntryColumns): Buffer {
  return oneShotHash('sha256', `\u0000${canonicalEntryFast(row)}`, 'buffer');
}

/** The same leaf hash through the general path, for tests and third-party tooling. */
export function entryLeafHashReference(row: AuditEntryColumns): Buffer {
  return hashLeaf(Buffer.from(canonicalEntry(row), 'utf8'));
}

/** Keyed MAC binding a leaf to its position: detects edits, deletions and reordering exactly. */
export function entryMac(macKey: Uint8Array, idx: number, leafHash: Uint8Array): Buffer {
  return macFor(macKey)(idx, leafHash);
}

/**
 * HMAC-SHA256(key, idx as uint64 BE || leaf hash), written out from its
 * definition (RFC 2104) over two reused buffers, because creating an Hmac
 * object per entry cost more than the hashing. A test holds it equal to
 * node:crypto's createHmac.
 */
const macFunctions = new WeakMap<Uint8Array, (idx: number, leaf: Uint8Array) => Buffer>();
function macFor(key: Uint8Array): (idx: number, leaf: Uint8Array) => Buffer {
  let fn = macFunctions.get(key);
  if (fn) return fn;
  const block = Buffer.alloc(64);
  if (key.length > 64) block.set(oneShotHash('sha256', key, 'buffer'));
  else block.set(key);
  const inner = Buffer.alloc(64 + 8 + 32);
  const outer = Buffer.alloc(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = (block[i] as number) ^ 0x36;
    outer[i] = (block[i] as number) ^ 0x5c;
  }
  fn = (idx, leaf) => {
    if (leaf.length !== 32) {
      const pos = Buffer.alloc(8);
      pos.writeBigUInt64BE(BigInt(idx));
      return createHmac('sha256', key).update(pos).update(leaf).digest();
    }
    inner.writeBigUInt64BE(BigInt(idx), 64);
    inner.set(leaf, 72);
    outer.set(oneShotHash('sha256', inner, 'buffer'), 64);
    return oneShotHash('sha256', outer, 'buffer');
  };
  macFunctions.set(key, fn);
  return fn;
}

/** Keyed hash that names a customer in the audit trail without their identity. */
export function subjectHash(subjectKey: Uint8Array, customerId: string): string {
  return `cs1:${createHmac('sha256', subjectKey).update(`customer:${customerId}`).digest('hex').slice(0, 40)}`;
}

const MAX_TEXT = 1000;
const clip = (v: string | null | undefined, max = MAX_TEXT) => (v == null ? null : v.length > max ? v.slice(0, max) : v);

export function eventToColumns(event: AuditEvent, ids: { id: string; ts: Date; subject: string | null }): AuditEntryColumns {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(event.action)) {
    throw new Error(`audit action must be dotted lower-case words, got ${JSON.stringify(event.action)}`);
  }
  if (event.details && JSON.stringify(event.details).includes('\\u0000')) {
    throw new Error('audit details cannot hold NUL characters');
  }
  return {
    id: ids.id,
    // Millisecond precision, so the stored timestamp reads back to the same ISO string.
    ts: new Date(Math.floor(ids.ts.getTime())),
    org_id: event.orgId ?? null,
    actor_type: event.actor.type,
    actor_id: clip(event.actor.id, 200),
    action: event.action,
    object_type: clip(event.object?.type, 100),
    object_id: clip(event.object?.id, 200),
    subject: ids.subject,
    purpose: clip(event.purpose),
    result: event.result,
    request_id: clip(event.requestId, 100),
    source_ip: clip(event.sourceIp, 100),
    details: event.details ?? null,
  };
}
