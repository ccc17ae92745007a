/**
 * Pure: an audit entry as the SIEM sees it (decision 0193). Only identifiers leave: the entry's id, action,
 * actor id and type, object type and id, result, request id, source IP, the customer's keyed hash and the
 * audit sequence number. Never `details` or `purpose` (free text), never anything decrypted.
 *
 *   - RFC 5424 syslog messages (header, one SD-ELEMENT with the sequence number, MSG = CEF or OCSF JSON)
 *   - RFC 6587 octet-counting framing for TCP and TLS (RFC 5425)
 *   - CEF (ArcSight Common Event Format, version 0) and OCSF 1.1 JSON
 */
import { isIP } from 'node:net';

/** The fields of an audit entry that may leave; built from a sequenced audit_log row. */
export interface SiemEvent {
  /** The audit sequence number (`idx`): position in the trail; null for a destination's test message. */
  seq: number | null;
  /** The previous entry of the same organisation in the trail (what the receiver must have seen), or null at the stream's start. */
  prev: number | null;
  id: string;
  ts: Date;
  orgId: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  /** The customer touched, as the audit trail's keyed hash (`cs1:…`), never an id or a name. */
  subject: string | null;
  result: string;
  requestId: string | null;
  sourceIp: string | null;
}

export type PayloadFormat = 'cef' | 'ocsf';

export interface FormatOptions {
  /** HOSTNAME of the syslog header (the installation's public host name). */
  hostname: string;
  /** Trustdesk's version, for CEF's Device Version and OCSF's metadata.product.version. */
  productVersion: string;
}

/** RFC 5424 facility 13, "log audit". */
export const SYSLOG_FACILITY = 13;
/** The SD-ID's enterprise number: 32473 is the number RFC 5612 reserves for documentation and examples. */
export const SD_ID = 'trustdesk@32473';
const NIL = '-';

/** Syslog severity (RFC 5424 §6.2.1): denied → warning (4), failure → notice (5), success → informational (6). */
export function syslogSeverity(e: Pick<SiemEvent, 'result' | 'action'>): number {
  if (e.action.startsWith('siem.') && e.action.endsWith('.alert')) return 4;
  if (e.result === 'denied') return 4;
  if (e.result === 'failure') return 5;
  return 6;
}

/** CEF severity 0–10. */
export function cefSeverity(e: Pick<SiemEvent, 'result' | 'action'>): number {
  return { 4: 7, 5: 5, 6: 3 }[syslogSeverity(e)] ?? 3;
}

// ---------------------------------------------------------------------------------------------- RFC 5424

/** PRINTUSASCII (%d33-126) only, at most `max` characters; empty → NILVALUE. */
export function headerField(value: string | null | undefined, max: number): string {
  const clean = (value ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean.length ? clean : NIL;
}

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` take a backslash. */
export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** SD-NAME: PRINTUSASCII except `=`, space, `]`, `"`; 1–32 characters. */
export function checkSdName(name: string): string {
  if (!/^[\x21-\x7e]{1,32}$/.test(name) || /[= \]"]/.test(name)) throw new Error(`not an SD-NAME: ${JSON.stringify(name)}`);
  return name;
}

export interface SyslogMessage {
  severity: number;
  timestamp: Date;
  hostname: string;
  appName: string;
  procId?: string | null;
  msgId: string | null;
  /** One SD-ELEMENT per entry; params in the order given; none → NILVALUE. */
  structuredData: Array<{ id: string; params: Array<[string, string]> }>;
  msg?: string | null;
}

/** One RFC 5424 SYSLOG-MSG (no BOM: MSG-ANY, which CEF and JSON parsers read as is). */
export function formatRfc5424(m: SyslogMessage): string {
  if (!Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7) throw new Error('severity must be 0–7');
  const pri = SYSLOG_FACILITY * 8 + m.severity;
  const sd = m.structuredData.length
    ? m.structuredData.map((el) => `[${checkSdName(el.id)}${el.params.map(([k, v]) => ` ${checkSdName(k)}="${escapeSdValue(v)}"`).join('')}]`).join('')
    : NIL;
  const header = [
    `<${pri}>1`,
    m.timestamp.toISOString(),
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
  ].join(' ');
  return m.msg == null || m.msg === '' ? `${header} ${sd}` : `${header} ${sd} ${m.msg}`;
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in octets of the UTF-8 message. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Splits a stream of octet-counted frames (the receiver's side; tests and the e2e reader). Returns frames and the unread rest. */
export function readOctetCountedFrames(data: Buffer): { frames: string[]; rest: Buffer } {
  const frames: string[] = [];
  let at = 0;
  for (;;) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) throw new Error(`bad frame length at ${at}`);
    if (space + 1 + len > data.length) break;
    frames.push(data.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return { frames, rest: data.subarray(at) };
}

/** The SD-ELEMENT every Trustdesk message carries: the sequence number, the previous one and the organisation. */
export function sequenceElement(e: Pick<SiemEvent, 'seq' | 'prev' | 'orgId' | 'id'>): { id: string; params: Array<[string, string]> } {
  // A test message carries test="true" instead of a sequence number, so gap detection never counts it.
  const params: Array<[string, string]> = e.seq === null ? [['test', 'true']] : [['seq', String(e.seq)]];
  if (e.prev !== null) params.push(['prev', String(e.prev)]);
  if (e.orgId) params.push(['org', e.orgId]);
  params.push(['entry', e.id]);
  return { id: SD_ID, params };
}

/** The whole syslog message for one audit event. */
export function syslogForEvent(e: SiemEvent, format: PayloadFormat, options: FormatOptions): string {
  return formatRfc5424({
    severity: syslogSeverity(e),
    timestamp: e.ts,
    hostname: options.hostname,
    appName: 'trustdesk',
    msgId: e.action,
    structuredData: [sequenceElement(e)],
    msg: format === 'cef' ? formatCef(e, options) : JSON.stringify(toOcsf(e, options)),
  });
}

// ---------------------------------------------------------------------------------------------- CEF

/** Header fields: `\` and `|` take a backslash; line breaks become spaces (a header is one line). */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

/** Extension values: `\` and `=` take a backslash; CR and LF are written `\r` and `\n`. */
export function escapeCefExtension(value: string): string {
  return value.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

const MAX_CEF_VALUE = 1023;

/**
 * `CEF:0|Trustdesk|Trustdesk|<version>|<action>|<action>|<severity>|<extensions>`. Extensions use CEF's own keys
 * where one fits (rt, act, outcome, suid, src, externalId, requestContext) and labelled custom fields for the rest:
 * cn1 = seq, cn2 = prev, cs1 = actor type, cs2 = organisation, cs3 = object type, cs4 = object id, cs5 = customer
 * (keyed hash), cs6 = request id.
 */
export function formatCef(e: SiemEvent, options: Pick<FormatOptions, 'productVersion'>): string {
  const header = ['CEF:0', 'Trustdesk', 'Trustdesk', options.productVersion, e.action, e.action, String(cefSeverity(e))].map((v, i) => (i === 0 ? v : escapeCefHeader(v)));
  const ext: Array<[string, string | number | null]> = [
    ['rt', e.ts.getTime()],
    ['externalId', e.id],
    ['act', e.action],
    ['outcome', e.result],
    ['suid', e.actorId],
    ['src', e.sourceIp && isIP(e.sourceIp) ? e.sourceIp : null],
    ['cn1', e.seq],
    ['cn1Label', e.seq === null ? null : 'seq'],
    ['cn2', e.prev],
    ['cn2Label', e.prev === null ? null : 'prev'],
    ['cs1', e.actorType],
    ['cs1Label', 'actorType'],
    ['cs2', e.orgId],
    ['cs2Label', e.orgId ? 'org' : null],
    ['cs3', e.objectType],
    ['cs3Label', e.objectType ? 'objectType' : null],
    ['cs4', e.objectId],
    ['cs4Label', e.objectId ? 'objectId' : null],
    ['cs5', e.subject],
    ['cs5Label', e.subject ? 'customer' : null],
    ['cs6', e.requestId],
    ['cs6Label', e.requestId ? 'requestId' : null],
  ];
  const pairs = ext.filter((p): p is [string, string | number] => p[1] !== null && p[1] !== '').map(([k, v]) => `${k}=${escapeCefExtension(String(v).slice(0, MAX_CEF_VALUE))}`);
  return `${header.join('|')}|${pairs.join(' ')}`;
}

// ---------------------------------------------------------------------------------------------- OCSF

export const OCSF_VERSION = '1.1.0';

/** The OCSF classes used (category 3 Identity & Access Management, 6 Application Activity). */
export const OCSF_CLASSES = {
  account_change: { class_uid: 3001, category_uid: 3, class_name: 'Account Change', category_name: 'Identity & Access Management' },
  authentication: { class_uid: 3002, category_uid: 3, class_name: 'Authentication', category_name: 'Identity & Access Management' },
  api_activity: { class_uid: 6003, category_uid: 6, class_name: 'API Activity', category_name: 'Application Activity' },
} as const;

type OcsfClass = keyof typeof OCSF_CLASSES;

/** Which class and activity an action is. */
export function ocsfClassOf(action: string): { cls: OcsfClass; activityId: number; activityName: string } {
  const parts = action.split('.');
  const area = parts[0] ?? '';
  const verb = parts[parts.length - 1] ?? '';
  if (area === 'auth' && /^(signin|sign_in|login)$/.test(parts[1] ?? '')) return { cls: 'authentication', activityId: 1, activityName: 'Logon' };
  if (area === 'auth' && /^(signout|sign_out|logout)$/.test(parts[1] ?? '')) return { cls: 'authentication', activityId: 2, activityName: 'Logoff' };
  // Account Change activities: 1 Create, 3 Password Change, 4 Password Reset, 5 Disable, 6 Delete, 10/11 MFA Factor Enable/Disable, 99 Other.
  const account = (activityId: number, activityName: string) => ({ cls: 'account_change' as const, activityId, activityName });
  if (area === 'auth' && parts[1] === 'password_change') return account(3, 'Password Change');
  if (area === 'auth' && parts[1] === 'password_reset') return account(4, 'Password Reset');
  if (area === 'auth' && parts[1]?.startsWith('password')) return account(99, 'Other');
  if (area === 'mfa' && parts[1] === 'enrol' && parts.length === 2) return account(10, 'MFA Factor Enable');
  if (area === 'mfa' && /^(remove|reset)$/.test(parts[1] ?? '')) return account(11, 'MFA Factor Disable');
  if (area === 'mfa' || area === 'auth') return { cls: 'authentication', activityId: 99, activityName: 'Other' };
  if (area === 'user' || area === 'users') {
    if (/^(create|invite|add)$/.test(verb)) return account(1, 'Create');
    if (/^(deactivate|disable)$/.test(verb)) return account(5, 'Disable');
    if (/^(delete|remove)$/.test(verb)) return account(6, 'Delete');
    return account(99, 'Other');
  }
  // API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
  if (/^(create|add|start|import|send|record)$/.test(verb)) return { cls: 'api_activity', activityId: 1, activityName: 'Create' };
  if (/^(read|view|list|search|reveal|export|show|get|download|open)$/.test(verb)) return { cls: 'api_activity', activityId: 2, activityName: 'Read' };
  if (/^(update|change|set|rename|assign|edit|rotate|release|close|merge|split|decide)$/.test(verb)) return { cls: 'api_activity', activityId: 3, activityName: 'Update' };
  if (/^(delete|remove|erase|revoke|shred|purge)$/.test(verb)) return { cls: 'api_activity', activityId: 4, activityName: 'Delete' };
  return { cls: 'api_activity', activityId: 99, activityName: 'Other' };
}

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium. */
function ocsfSeverity(e: SiemEvent): { severity_id: number; severity: string } {
  const s = syslogSeverity(e);
  return s === 4 ? { severity_id: 3, severity: 'Medium' } : s === 5 ? { severity_id: 2, severity: 'Low' } : { severity_id: 1, severity: 'Informational' };
}

/** An OCSF 1.1 event: the base attributes, the class's required objects, and the rest under `unmapped`. */
export function toOcsf(e: SiemEvent, options: Pick<FormatOptions, 'productVersion'>): Record<string, unknown> {
  const { cls, activityId, activityName } = ocsfClassOf(e.action);
  const c = OCSF_CLASSES[cls];
  const status = e.result === 'success' ? { status_id: 1, status: 'Success' } : { status_id: 2, status: 'Failure', status_detail: e.result };
  const actor = { user: { uid: e.actorId ?? undefined, type: e.actorType } };
  const srcEndpoint = e.sourceIp ? { ip: e.sourceIp } : {};
  const out: Record<string, unknown> = {
    class_uid: c.class_uid,
    class_name: c.class_name,
    category_uid: c.category_uid,
    category_name: c.category_name,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: c.class_uid * 100 + activityId,
    time: e.ts.getTime(),
    ...ocsfSeverity(e),
    ...status,
    message: e.action,
    metadata: {
      version: OCSF_VERSION,
      uid: e.id,
      sequence: e.seq ?? undefined,
      correlation_uid: e.requestId ?? undefined,
      product: { name: 'Trustdesk', vendor_name: 'Trustdesk', version: options.productVersion },
      log_name: 'audit',
      tenant_uid: e.orgId ?? undefined,
    },
    actor,
    src_endpoint: srcEndpoint,
    unmapped: {
      prev: e.prev ?? undefined,
      object_type: e.objectType ?? undefined,
      object_id: e.objectId ?? undefined,
      customer: e.subject ?? undefined,
    },
  };
  if (cls === 'api_activity') out.api = { operation: e.action, request: e.requestId ? { uid: e.requestId } : undefined };
  if (cls === 'authentication') out.user = { uid: e.actorId ?? undefined, type: e.actorType };
  if (cls === 'account_change') out.user = { uid: e.objectType === 'user' ? (e.objectId ?? undefined) : undefined };
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}
