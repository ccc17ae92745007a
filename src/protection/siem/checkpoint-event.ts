/**
 * Pure: a signed audit checkpoint as the SIEM sees it (decision 0193, amendment). The audit trail's tree head —
 * origin, tree size, root hash — and its Ed25519 signature, with the key id and the signed note itself, so that a
 * receiver can keep it and later hold Trustdesk to it (`trustdesk audit verify --since-checkpoint`, or any C2SP
 * signed-note tool with the verifier key).
 *
 * A checkpoint is not an audit entry: it has no sequence number (`seq`), and receivers that count entries for gaps
 * skip it by that. Its `prev` is the organisation's last entry it covers, which the destination has been sent
 * (in the same batch, just before it).
 */
import { parseCheckpoint } from '../audit/checkpoint.js';
import {
  escapeCefExtension,
  escapeCefHeader,
  formatRfc5424,
  ocsfClassOf,
  OCSF_CLASSES,
  OCSF_VERSION,
  SD_ID,
  syslogForEvent,
  formatCef,
  toOcsf,
  type FormatOptions,
  type PayloadFormat,
  type SiemEvent,
} from './format.js';

export const CHECKPOINT_ACTION = 'audit.checkpoint';

export interface SiemCheckpoint {
  kind: 'checkpoint';
  /** The organisation's last entry the checkpoint covers (already sent to the destination); null if none. */
  prev: number | null;
  orgId: string;
  /** When the checkpoint was signed. */
  ts: Date;
  origin: string;
  treeSize: number;
  /** Base64 of the 32-byte Merkle root, as in the note. */
  rootHash: string;
  /** `<key name>+<8 hex key hash>`: the verifier key's first two parts. */
  keyId: string;
  /** Base64 of (4-byte key hash ‖ 64-byte Ed25519 signature), as on the note's signature line. */
  signature: string;
  /** The whole signed note (C2SP signed-note), byte for byte. */
  note: string;
}

/** What the stream carries: audit entries, and the checkpoints that cover them. */
export type SiemMessage = SiemEvent | SiemCheckpoint;

export function isCheckpoint(m: SiemMessage): m is SiemCheckpoint {
  return (m as Partial<SiemCheckpoint>).kind === 'checkpoint';
}

/** Reads a stored note into the fields a receiver needs (first signature: Trustdesk signs with one key). */
export function checkpointMessage(stored: { note: string; createdAt: Date }, orgId: string, prev: number | null): SiemCheckpoint {
  const split = stored.note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('stored checkpoint is not a signed note');
  const cp = parseCheckpoint(stored.note.slice(0, split + 1));
  const line = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/m.exec(stored.note.slice(split + 2));
  if (!line) throw new Error('stored checkpoint has no signature line');
  const sig = Buffer.from(line[2]!, 'base64');
  return {
    kind: 'checkpoint',
    prev,
    orgId,
    ts: new Date(stored.createdAt),
    origin: cp.origin,
    treeSize: cp.size,
    rootHash: cp.rootHash.toString('base64'),
    keyId: `${line[1]}+${sig.subarray(0, 4).toString('hex')}`,
    signature: line[2]!,
    note: stored.note,
  };
}

/** RFC 5424 with `[trustdesk@32473 size root key sig prev org]` (no `seq`) and MSGID `audit.checkpoint`. */
export function syslogForCheckpoint(c: SiemCheckpoint, format: PayloadFormat, options: FormatOptions): string {
  const params: Array<[string, string]> = [
    ['size', String(c.treeSize)],
    ['root', c.rootHash],
    ['key', c.keyId],
    ['sig', c.signature],
  ];
  if (c.prev !== null) params.push(['prev', String(c.prev)]);
  params.push(['org', c.orgId]);
  return formatRfc5424({
    severity: 6,
    timestamp: c.ts,
    hostname: options.hostname,
    appName: 'trustdesk',
    msgId: CHECKPOINT_ACTION,
    structuredData: [{ id: SD_ID, params }],
    msg: format === 'cef' ? checkpointCef(c, options) : JSON.stringify(checkpointOcsf(c, options)),
  });
}

/**
 * CEF: the same header as an entry (action `audit.checkpoint`, severity 3); `cn2` prev as for entries, `cn3` the
 * tree size, `cs1` root hash, `cs2` organisation (as for entries), `cs3` key id, `cs4` signature, `cs5` origin,
 * `msg` the signed note (line breaks written `\n`, undone by any CEF parser).
 */
export function checkpointCef(c: SiemCheckpoint, options: Pick<FormatOptions, 'productVersion'>): string {
  const header = ['CEF:0', 'Trustdesk', 'Trustdesk', escapeCefHeader(options.productVersion), CHECKPOINT_ACTION, CHECKPOINT_ACTION, '3'];
  const ext: Array<[string, string | number | null]> = [
    ['rt', c.ts.getTime()],
    ['externalId', `checkpoint-${c.treeSize}`],
    ['act', CHECKPOINT_ACTION],
    ['outcome', 'success'],
    ['cn2', c.prev],
    ['cn2Label', c.prev === null ? null : 'prev'],
    ['cn3', c.treeSize],
    ['cn3Label', 'treeSize'],
    ['cs1', c.rootHash],
    ['cs1Label', 'rootHash'],
    ['cs2', c.orgId],
    ['cs2Label', 'org'],
    ['cs3', c.keyId],
    ['cs3Label', 'keyId'],
    ['cs4', c.signature],
    ['cs4Label', 'signature'],
    ['cs5', c.origin],
    ['cs5Label', 'origin'],
    ['msg', c.note],
  ];
  const pairs = ext.filter((p): p is [string, string | number] => p[1] !== null).map(([k, v]) => `${k}=${escapeCefExtension(String(v))}`);
  return `${header.join('|')}|${pairs.join(' ')}`;
}

/** OCSF: classed like any other action (API Activity, activity by its verb), the checkpoint under `unmapped.checkpoint`. */
export function checkpointOcsf(c: SiemCheckpoint, options: Pick<FormatOptions, 'productVersion'>): Record<string, unknown> {
  const { cls, activityId, activityName } = ocsfClassOf(CHECKPOINT_ACTION);
  const k = OCSF_CLASSES[cls];
  return JSON.parse(
    JSON.stringify({
      class_uid: k.class_uid,
      class_name: k.class_name,
      category_uid: k.category_uid,
      category_name: k.category_name,
      activity_id: activityId,
      activity_name: activityName,
      type_uid: k.class_uid * 100 + activityId,
      time: c.ts.getTime(),
      severity_id: 1,
      severity: 'Informational',
      status_id: 1,
      status: 'Success',
      message: CHECKPOINT_ACTION,
      metadata: {
        version: OCSF_VERSION,
        uid: `checkpoint-${c.treeSize}`,
        product: { name: 'Trustdesk', vendor_name: 'Trustdesk', version: options.productVersion },
        log_name: 'audit',
        tenant_uid: c.orgId,
      },
      actor: { user: { type: 'system' } },
      api: { operation: CHECKPOINT_ACTION },
      src_endpoint: {},
      unmapped: {
        prev: c.prev ?? undefined,
        checkpoint: { origin: c.origin, size: c.treeSize, root_hash: c.rootHash, key_id: c.keyId, signature: c.signature, note: c.note },
      },
    }),
  ) as Record<string, unknown>;
}

/** The syslog message for anything the stream carries. */
export function syslogFor(m: SiemMessage, format: PayloadFormat, options: FormatOptions): string {
  return isCheckpoint(m) ? syslogForCheckpoint(m, format, options) : syslogForEvent(m, format, options);
}

/** One HTTP Event Collector object: `fields` has `seq` for an entry, `checkpoint` (the tree size) for a checkpoint. */
export function hecObject(m: SiemMessage, format: PayloadFormat, options: FormatOptions): Record<string, unknown> {
  const common = { time: m.ts.getTime() / 1000, host: options.hostname, source: 'trustdesk', sourcetype: format === 'cef' ? 'trustdesk:cef' : 'trustdesk:ocsf' };
  if (isCheckpoint(m)) {
    return {
      ...common,
      event: format === 'cef' ? checkpointCef(m, options) : checkpointOcsf(m, options),
      fields: { checkpoint: m.treeSize, ...(m.prev !== null ? { prev: m.prev } : {}), org: m.orgId },
    };
  }
  return {
    ...common,
    event: format === 'cef' ? formatCef(m, options) : toOcsf(m, options),
    fields: { seq: m.seq, ...(m.prev !== null ? { prev: m.prev } : {}), ...(m.orgId ? { org: m.orgId } : {}) },
  };
}
