/**
 * What an audit event is, and how a stored row becomes the exact bytes that
 * are hashed into the Merkle tree. The same function serves the sequencer,
 * `audit verify` and the offline bundle check, so they cannot disagree.
 */
import { createHmac } from 'node:crypto';
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
  /** Why (e.g. the reason given for a reveal). Must hold no PII. */
  purpose?: string | null;
  result: AuditResult;
  requestId?: string | null;
  sourceIp?: string | null;
  /** Extra facts; never PII or secrets. */
  details?: Record<string, unknown> | null;
}

/** The stored columns that make up an entry (everything but sequencing). */
export interface AuditEntryColumns {
  id: string;
  ts: Date;
  org_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  subject: string | null;
  purpose: string | null;
  result: string;
  request_id: string | null;
  source_ip: string | null;
  details: Record<string, unknown> | null;
}

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

const jsonString = (v: string | null): string => {
  if (v === null) return 'null';
  if (LONE_SURROGATE.test(v)) throw new Error('audit entry text is not well-formed Unicode');
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

export function entryLeafHash(row: AuditEntryColumns): Buffer {
  return hashLeaf(Buffer.from(canonicalEntryFast(row), 'utf8'));
}

/** Keyed MAC binding a leaf to its position: detects edits, deletions and reordering exactly. */
export function entryMac(macKey: Uint8Array, idx: number, leafHash: Uint8Array): Buffer {
  const pos = Buffer.alloc(8);
  pos.writeBigUInt64BE(BigInt(idx));
  return createHmac('sha256', macKey).update(pos).update(leafHash).digest();
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
