/**
 * The SIEM wire formats, pure: RFC 5424 (header fields, SD-PARAM escaping, NILVALUE, lengths), RFC 6587 octet
 * counting, CEF escaping in header and extensions, the OCSF classes chosen for each kind of action, and the shapes of
 * a signed audit checkpoint (which a receiver can verify from what it got).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEd25519Signer, formatCheckpoint, openCheckpoint, signNote, verifierKeyString } from '../audit/checkpoint.js';
import { checkpointCef, checkpointMessage, checkpointOcsf, hecObject, syslogFor } from './checkpoint-event.js';
import {
  OCSF_CLASSES,
  escapeCefExtension,
  escapeCefHeader,
  escapeSdValue,
  formatCef,
  formatRfc5424,
  frameOctetCounted,
  ocsfClassOf,
  readOctetCountedFrames,
  syslogForEvent,
  toOcsf,
  type SiemEvent,
} from './format.js';

const opts = { hostname: 'help.example.com', productVersion: '1.2.3' };
const event = (over: Partial<SiemEvent> = {}): SiemEvent => ({
  seq: 123,
  prev: 120,
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  ts: new Date('2026-12-03T10:11:12.345Z'),
  orgId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  actorType: 'user',
  actorId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  action: 'customer.field.reveal',
  objectType: 'customer',
  objectId: 'c56a4180-65aa-42ec-a945-5fd21dec0538',
  subject: 'cs1:0123456789abcdef0123456789abcdef01234567',
  result: 'success',
  requestId: 'req-1',
  sourceIp: '198.51.100.7',
  ...over,
});

/** A strict RFC 5424 reader for the parts Trustdesk writes (the e2e test uses the same shape). */
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[[^ \]]+(?: [^= \]"]+="(?:[^"\\\]]|\\["\\\]])*")*\])+)(?: (.*))?$/s;

describe('RFC 5424', () => {
  it('writes PRI from facility 13 (log audit) and the severity, the header fields and one SD-ELEMENT with the sequence number', () => {
    const line = syslogForEvent(event(), 'cef', opts);
    const m = RFC5424.exec(line);
    expect(m, line).not.toBeNull();
    expect(Number(m![1])).toBe(13 * 8 + 6);
    expect(m![2]).toBe('2026-12-03T10:11:12.345Z');
    expect(m![3]).toBe('help.example.com');
    expect(m![4]).toBe('trustdesk');
    expect(m![5]).toBe('-');
    expect(m![6]).toBe('customer.field.reveal');
    expect(m![7]).toBe('[trustdesk@32473 seq="123" prev="120" org="7c9e6679-7425-40de-944b-e07fc1f90ae7" entry="0f8fad5b-d9cb-469f-a165-70867728950e"]');
    expect(m![8]).toMatch(/^CEF:0\|/);
    // Denied is a warning (4), failure a notice (5).
    expect(syslogForEvent(event({ result: 'denied' }), 'cef', opts)).toMatch(/^<108>1 /);
    expect(syslogForEvent(event({ result: 'failure' }), 'cef', opts)).toMatch(/^<109>1 /);
  });

  it('escapes ", \\ and ] in SD-PARAM values, and only those', () => {
    expect(escapeSdValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    const line = formatRfc5424({ severity: 6, timestamp: new Date(0), hostname: 'h', appName: 'a', msgId: 'm', structuredData: [{ id: 'x@32473', params: [['v', 'say "hi" \\ ]end']] }] });
    expect(line).toBe('<110>1 1970-01-01T00:00:00.000Z h a - m [x@32473 v="say \\"hi\\" \\\\ \\]end"]');
    expect(RFC5424.test(line)).toBe(true);
  });

  it('writes NILVALUE for empty header fields and no structured data, and no MSG when there is none', () => {
    const line = formatRfc5424({ severity: 6, timestamp: new Date(0), hostname: '', appName: 'a', msgId: null, structuredData: [] });
    expect(line).toBe('<110>1 1970-01-01T00:00:00.000Z - a - - -');
  });

  it('keeps header fields to printable ASCII and their maximum lengths; refuses a bad SD-NAME', () => {
    const line = formatRfc5424({ severity: 6, timestamp: new Date(0), hostname: 'h ö\tst'.padEnd(300, 'x'), appName: 'a'.repeat(60), msgId: 'm'.repeat(40), structuredData: [] });
    const [, , host, app, , msgid] = line.split(' ');
    expect(host).toMatch(/^hstx+$/);
    expect(host!.length).toBe(255);
    expect(app!.length).toBe(48);
    expect(msgid!.length).toBe(32);
    expect(() => formatRfc5424({ severity: 6, timestamp: new Date(0), hostname: 'h', appName: 'a', msgId: 'm', structuredData: [{ id: 'bad id', params: [] }] })).toThrow(/SD-NAME/);
    expect(() => formatRfc5424({ severity: 8, timestamp: new Date(0), hostname: 'h', appName: 'a', msgId: 'm', structuredData: [] })).toThrow();
  });

  it('stays well under 8 KiB (RFC 5425 receivers must take 2 KiB, should take 8 KiB) with the longest fields', () => {
    const long = event({ actorId: 'x'.repeat(200), objectId: 'y'.repeat(200), objectType: 'z'.repeat(100), requestId: 'r'.repeat(100), sourceIp: 'i'.repeat(100) });
    expect(Buffer.byteLength(syslogForEvent(long, 'cef', opts))).toBeLessThan(2048);
    expect(Buffer.byteLength(syslogForEvent(long, 'ocsf', opts))).toBeLessThan(4096);
  });

  it('marks a test message test="true" without a sequence number', () => {
    const line = syslogForEvent(event({ seq: null, prev: null, action: 'siem.destination.test' }), 'cef', opts);
    expect(line).toContain('[trustdesk@32473 test="true" org=');
    expect(line).not.toContain('seq=');
    expect(line).not.toContain('cn1=');
  });
});

describe('RFC 6587 octet counting', () => {
  it('prefixes the length in octets (not characters) and a space; frames read back across chunk boundaries', () => {
    const a = 'é€ message';
    const framed = frameOctetCounted(a);
    expect(framed.toString('utf8')).toBe(`${Buffer.byteLength(a)} ${a}`);
    expect(Buffer.byteLength(a)).toBeGreaterThan(a.length);
    const stream = Buffer.concat([frameOctetCounted('one'), frameOctetCounted('two with spaces'), frameOctetCounted('three')]);
    const first = readOctetCountedFrames(stream.subarray(0, 12));
    expect(first.frames).toEqual(['one']);
    const rest = readOctetCountedFrames(Buffer.concat([first.rest, stream.subarray(12)]));
    expect(rest.frames).toEqual(['two with spaces', 'three']);
    expect(rest.rest.length).toBe(0);
    expect(() => readOctetCountedFrames(Buffer.from('x1 a'))).toThrow(/bad frame length/);
  });
});

describe('CEF', () => {
  it('escapes | and \\ in header fields and turns line breaks into spaces', () => {
    expect(escapeCefHeader('a|b\\c\r\nd\ne')).toBe('a\\|b\\\\c d e');
  });

  it('escapes = and \\ in extension values and writes line breaks as \\n and \\r', () => {
    expect(escapeCefExtension('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
  });

  it('writes the header and labelled extensions with the sequence number; hostile values stay inside their field', () => {
    const cef = formatCef(event({ objectId: 'x=1 act=forged\nsuid=evil', requestId: 'r|1\\' }), { productVersion: '1|2' });
    // The header is the first seven unescaped `|`; a `|` in the extension needs no escape.
    const parts = cef.split(/(?<!\\)\|/);
    expect(parts[0]).toBe('CEF:0');
    expect(parts.slice(1, 7)).toEqual(['Trustdesk', 'Trustdesk', '1\\|2', 'customer.field.reveal', 'customer.field.reveal', '3']);
    const extension = parts.slice(7).join('|');
    expect(extension).toContain(`rt=${Date.parse('2026-12-03T10:11:12.345Z')} externalId=${event().id} act=customer.field.reveal outcome=success`);
    expect(extension).toContain('cn1=123 cn1Label=seq cn2=120 cn2Label=prev');
    expect(extension).toContain('cs4=x\\=1 act\\=forged\\nsuid\\=evil cs4Label=objectId');
    expect(extension).toContain('cs6=r|1\\\\ cs6Label=requestId');
    // Unescaped `key=` pairs: exactly the ones written, none forged by a value.
    const keys = [...extension.matchAll(/(?:^| )([A-Za-z0-9]+)=/g)].map((m) => m[1]);
    expect(keys).toEqual(['rt', 'externalId', 'act', 'outcome', 'suid', 'src', 'cn1', 'cn1Label', 'cn2', 'cn2Label', 'cs1', 'cs1Label', 'cs2', 'cs2Label', 'cs3', 'cs3Label', 'cs4', 'cs4Label', 'cs5', 'cs5Label', 'cs6', 'cs6Label']);
  });

  it('leaves out empty fields and a source that is not an IP address; severity follows the result', () => {
    const cef = formatCef(event({ sourceIp: 'not-an-ip', objectType: null, objectId: null, subject: null, prev: null, result: 'denied' }), opts);
    expect(cef).not.toContain('src=');
    expect(cef).not.toContain('cs3');
    expect(cef).not.toContain('cn2');
    expect(cef.split('|')[6]).toBe('7');
  });
});

describe('OCSF', () => {
  it('maps sign-in and sign-out to Authentication (3002), password and account changes to Account Change (3001), the rest to API Activity (6003)', () => {
    expect(ocsfClassOf('auth.signin')).toMatchObject({ cls: 'authentication', activityId: 1 });
    expect(ocsfClassOf('auth.signout')).toMatchObject({ cls: 'authentication', activityId: 2 });
    expect(ocsfClassOf('mfa.code.send')).toMatchObject({ cls: 'authentication', activityId: 99 });
    expect(ocsfClassOf('auth.password_change')).toMatchObject({ cls: 'account_change', activityId: 3 });
    expect(ocsfClassOf('auth.password_reset')).toMatchObject({ cls: 'account_change', activityId: 4 });
    expect(ocsfClassOf('mfa.enrol')).toMatchObject({ cls: 'account_change', activityId: 10 });
    expect(ocsfClassOf('mfa.remove')).toMatchObject({ cls: 'account_change', activityId: 11 });
    expect(ocsfClassOf('user.invite')).toMatchObject({ cls: 'account_change', activityId: 1 });
    expect(ocsfClassOf('user.deactivate')).toMatchObject({ cls: 'account_change', activityId: 5 });
    expect(ocsfClassOf('user.roles_change')).toMatchObject({ cls: 'account_change', activityId: 99 });
    expect(ocsfClassOf('ticket.read')).toMatchObject({ cls: 'api_activity', activityId: 2 });
    expect(ocsfClassOf('customer.field.reveal')).toMatchObject({ cls: 'api_activity', activityId: 2 });
    expect(ocsfClassOf('webhook.create')).toMatchObject({ cls: 'api_activity', activityId: 1 });
    expect(ocsfClassOf('ticket.update')).toMatchObject({ cls: 'api_activity', activityId: 3 });
    expect(ocsfClassOf('customer.erase')).toMatchObject({ cls: 'api_activity', activityId: 4 });
    expect(ocsfClassOf('siem.lag.alert')).toMatchObject({ cls: 'api_activity', activityId: 99 });
  });

  it('fills the base attributes, type_uid = class_uid·100 + activity_id, the sequence number in metadata, and the class’s objects', () => {
    const o = toOcsf(event(), opts) as Record<string, any>;
    expect(o).toMatchObject({
      class_uid: 6003,
      category_uid: 6,
      activity_id: 2,
      type_uid: 600302,
      time: Date.parse('2026-12-03T10:11:12.345Z'),
      severity_id: 1,
      status_id: 1,
      metadata: { version: '1.1.0', uid: event().id, sequence: 123, correlation_uid: 'req-1', product: { name: 'Trustdesk', version: '1.2.3' }, tenant_uid: event().orgId },
      actor: { user: { uid: event().actorId, type: 'user' } },
      src_endpoint: { ip: '198.51.100.7' },
      api: { operation: 'customer.field.reveal', request: { uid: 'req-1' } },
      unmapped: { prev: 120, object_type: 'customer', object_id: event().objectId, customer: event().subject },
    });
    const signin = toOcsf(event({ action: 'auth.signin', result: 'failure' }), opts) as Record<string, any>;
    expect(signin).toMatchObject({ class_uid: OCSF_CLASSES.authentication.class_uid, category_uid: 3, type_uid: 300201, status_id: 2, status_detail: 'failure', user: { uid: event().actorId } });
    const invite = toOcsf(event({ action: 'user.invite', objectType: 'user', objectId: 'u-1' }), opts) as Record<string, any>;
    expect(invite).toMatchObject({ class_uid: 3001, type_uid: 300101, user: { uid: 'u-1' } });
    // The OCSF payload is one line of JSON inside the syslog message.
    const line = syslogForEvent(event(), 'ocsf', opts);
    expect(JSON.parse(line.slice(line.indexOf('] ') + 2))).toEqual(o);
  });
});

describe('signed checkpoints', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const note = signNote(formatCheckpoint({ origin: 'help.example.com/audit', size: 4096, rootHash: Buffer.alloc(32, 7) }), [createEd25519Signer('help.example.com', privateKey)]);
  const vkey = verifierKeyString('help.example.com', publicKey);
  const cp = checkpointMessage({ note, createdAt: new Date('2026-12-03T10:11:12.345Z') }, '7c9e6679-7425-40de-944b-e07fc1f90ae7', 4095);
  /** Undoes CEF extension escaping (what a CEF parser does). */
  const unescapeCef = (v: string) => v.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r' })[c] ?? c);

  it('reads the tree size, root hash, key id and signature from the signed note', () => {
    expect(cp).toMatchObject({ kind: 'checkpoint', origin: 'help.example.com/audit', treeSize: 4096, rootHash: Buffer.alloc(32, 7).toString('base64'), prev: 4095 });
    expect(vkey.startsWith(`${cp.keyId}+`)).toBe(true);
    expect(note).toContain(`\u2014 help.example.com ${cp.signature}\n`);
  });

  it('RFC 5424: MSGID audit.checkpoint, no seq (gap counting skips it), size, root, key, signature, prev and org', () => {
    const line = syslogFor(cp, 'cef', opts);
    expect(line).toMatch(/^<110>1 2026-12-03T10:11:12.345Z help.example.com trustdesk - audit.checkpoint \[trustdesk@32473 size="4096" root="[A-Za-z0-9+/=]{44}" key="help.example.com\+[0-9a-f]{8}" sig="[A-Za-z0-9+/=]+" prev="4095" org="7c9e[^"]+"\] CEF:0\|/);
    expect(line).not.toMatch(/ seq="/);
  });

  it('CEF: the signed note travels whole in msg, and a receiver that unescapes it can verify it', () => {
    const cef = checkpointCef(cp, opts);
    expect(cef).toMatch(/^CEF:0\|Trustdesk\|Trustdesk\|1.2.3\|audit.checkpoint\|audit.checkpoint\|3\|rt=1796292672345 externalId=checkpoint-4096 act=audit.checkpoint outcome=success cn2=4095 cn2Label=prev cn3=4096 cn3Label=treeSize cs1=/);
    expect(cef).not.toContain('\n');
    const msg = unescapeCef(/ msg=(.*)$/.exec(cef)![1]!);
    expect(msg).toBe(note);
    expect(openCheckpoint(msg, { verifierKeys: [vkey] }).checkpoint.size).toBe(4096);
  });

  it('OCSF and HTTPS: API Activity like other actions, the checkpoint under unmapped, `checkpoint` instead of `seq` in the collector fields', () => {
    const ocsf = checkpointOcsf(cp, opts) as { class_uid: number; metadata: Record<string, unknown>; unmapped: { checkpoint: Record<string, unknown> } };
    expect(ocsf).toMatchObject({ class_uid: 6003, type_uid: 600399, metadata: { uid: 'checkpoint-4096', tenant_uid: cp.orgId }, unmapped: { prev: 4095, checkpoint: { size: 4096, root_hash: cp.rootHash, key_id: cp.keyId, signature: cp.signature, note } } });
    expect(ocsf.metadata.sequence).toBeUndefined();
    expect(openCheckpoint(ocsf.unmapped.checkpoint.note as string, { verifierKeys: [vkey] }).checkpoint.rootHash.toString('base64')).toBe(cp.rootHash);
    const hec = hecObject(cp, 'ocsf', opts) as { fields: Record<string, unknown> };
    expect(hec.fields).toEqual({ checkpoint: 4096, prev: 4095, org: cp.orgId });
    expect(hecObject(event(), 'cef', opts)).toMatchObject({ fields: { seq: 123, prev: 120 } });
  });
});
