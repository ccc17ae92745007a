/**
 * The access export of a data-subject request (decision 0205). Built in the transaction that approves the request:
 * everything held about the customer and their merged duplicates — profile, tickets and messages (live chats are
 * messages of their tickets), attachments, identity checks, secure messages, and the staff accesses to their data
 * from the audit trail — read under one share lock on the customer row (an erasure, which takes the row for update,
 * waits for it or makes it fail), audited as one `privacy.export.build` event with counts, zipped (bundle.ts),
 * encrypted under the customer's data key and stored with an expiry. An erasure destroys that key and removes the
 * row, so it takes the bundle with it.
 *
 * Delivery reuses the secure-message mechanism: the customer's registered address gets a link (a bearer token
 * stored as a hash) and nothing else; opening it sends a one-time code (a portal challenge of purpose
 * `privacy_export`: HMAC-stored, attempts counted before comparing, single use); the right code with the link
 * gives the bundle once. At most MAX_CODES_PER_EXPORT codes per export. Every download is audited.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { decryptField, readCiphertextHeader } from '../../protection/crypto/field-cipher.js';
import { openAttachment } from '../../protection/blobs/attachments.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import { hashSecret } from '../../identity/auth/secrets.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import type { AuditEvent } from '../../protection/audit/entry.js';
import { brandName } from '../branding/branding.service.js';
import { mergedFamily } from '../customers/customers.service.js';
import { checkChallengeCode, consumeChallenge, createChallenge, registeredEmail } from '../portal/challenges.js';
import type { ClientInfo, PortalDeps } from '../portal/deps.js';
import { looksLikePortalToken, newPortalToken } from '../portal/keys.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import '../chat/schema.js';
import '../portal/schema.js';
import { EXPORT_FORMAT, safeName, zipExport, type AccessExport, type ExportAttachment, type ExportCounts, type ExportMessage, type ExportStaffAccess, type ExportTicket } from './bundle.js';
import './schema.js';
import { withSecureWayFooter } from '../../identity/policies/public.service.js';
import { customerBaseUrl } from '../../identity/organizations/hosts.js';

type AuditActor = AuditEvent['actor'];

/** Codes one export link may have sent; each code gives one download. */
export const MAX_CODES_PER_EXPORT = 5;
export const DEFAULT_EXPORT_DAYS = 30;
const BUNDLE_FIELD = (id: string) => ({ table: 'privacy_exports', column: 'bundle_enc', rowId: id });

export function exportLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/portal/export?token=${token}`;
}

export interface ExportActing {
  orgId: string;
  actor: AuditActor;
  requestId?: string | null;
  sourceIp?: string | null;
}

export interface ExportInput {
  requestId: string;
  customerId: string;
  receivedAt: Date;
  approvedAt: Date;
  /** Name staff in the list of accesses (the organisation's setting); otherwise roles only. */
  staffNames: boolean;
  expiresAt: Date | null;
}

const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());

async function decryptOrNull(deps: HelpdeskDeps, trx: Executor, ctx: { table: string; column: string; rowId: string }, ct: Uint8Array | null): Promise<string | null> {
  if (!ct) return null;
  try {
    return await deps.keyring.decrypt(ctx, ct, trx);
  } catch (err) {
    if (err instanceof KeyDestroyedError) return null;
    throw err;
  }
}

/**
 * Reads everything of the customer inside `trx`, with a share lock on the customer row (an erasure waits, or has
 * already destroyed the keys and this fails with a conflict). Messages other customers wrote on the customer's
 * tickets (copied recipients) are left out: nothing of another customer goes into the bundle.
 */
export async function collectExport(deps: HelpdeskDeps, trx: Executor, acting: ExportActing, input: ExportInput, blobs: BlobStore | undefined): Promise<{ doc: AccessExport; files: Map<string, Uint8Array> }> {
  const orgId = acting.orgId;
  const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', orgId).select(['id', 'name_enc', 'email_enc', 'address_enc', 'notes_enc', 'custom_fields_enc', 'merged_into', 'created_at']).forShare().executeTakeFirst();
  if (!customer) throw new AppError('not_found', 'No such customer.');
  if (customer.merged_into) throw new AppError('conflict', 'This record was merged into another customer: export that customer.', { extra: { customerId: customer.merged_into } });
  const erased = await trx.selectFrom('privacy_requests').where('org_id', '=', orgId).where('customer_id', '=', customer.id).where('kind', '=', 'erasure').where('status', '=', 'done').select('id').executeTakeFirst();
  if (erased) throw new AppError('conflict', 'This customer has been erased: there is nothing left to export.', { extra: { requestId: erased.id } });
  const family = await mergedFamily(trx, orgId, customer.id);
  const field = (column: string) => ({ table: 'customers', column, rowId: customer.id });
  let profile: AccessExport['customer'];
  try {
    const dec = async (column: string, ct: Uint8Array | null) => (ct ? deps.keyring.decrypt(field(column), ct, trx) : null);
    const contacts: Array<{ kind: string; value: string }> = [];
    for (const c of await trx.selectFrom('customer_contacts').where('customer_id', 'in', family).select(['id', 'kind', 'value_enc']).orderBy('created_at').execute()) {
      contacts.push({ kind: c.kind, value: await deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: c.id }, c.value_enc, trx) });
    }
    for (const m of await trx.selectFrom('customers').where('id', 'in', family).where('id', '<>', customer.id).select(['id', 'email_enc']).execute()) {
      const email = await decryptOrNull(deps, trx, { table: 'customers', column: 'email_enc', rowId: m.id }, m.email_enc);
      if (email) contacts.push({ kind: 'email', value: email });
    }
    const custom = await dec('custom_fields_enc', customer.custom_fields_enc);
    profile = {
      id: customer.id,
      mergedRecordIds: family.filter((id) => id !== customer.id),
      name: await dec('name_enc', customer.name_enc),
      email: await dec('email_enc', customer.email_enc),
      contacts,
      address: await dec('address_enc', customer.address_enc),
      notes: await dec('notes_enc', customer.notes_enc),
      customFields: custom ? (JSON.parse(custom) as Record<string, string>) : {},
      createdAt: new Date(customer.created_at).toISOString(),
    };
  } catch (err) {
    if (err instanceof KeyDestroyedError) throw new AppError('conflict', 'This customer has been erased: there is nothing left to export.');
    throw err;
  }

  const ticketRows = await trx
    .selectFrom('tickets')
    .where('org_id', '=', orgId)
    .where('requester_id', 'in', family)
    .select(['id', 'number', 'subject_enc', 'status', 'priority', 'channel', 'tags', 'created_at', 'updated_at', 'solved_at', 'closed_at'])
    .orderBy('number')
    .execute();
  const messageRows = await trx
    .selectFrom('messages as m')
    .innerJoin('tickets as t', 't.id', 'm.ticket_id')
    .where('t.org_id', '=', orgId)
    .where('t.requester_id', 'in', family)
    .where((eb) => eb.or([eb('m.author_type', '<>', 'customer'), eb('m.customer_id', 'is', null), eb('m.customer_id', 'in', family)]))
    .select(['m.id', 'm.ticket_id', 'm.kind', 'm.author_type', 'm.body_enc', 'm.created_at'])
    .orderBy('m.created_at')
    .orderBy('m.id')
    .execute();
  const attachmentRows = await trx
    .selectFrom('attachments as a')
    .innerJoin('messages as m', 'm.id', 'a.message_id')
    .innerJoin('tickets as t', 't.id', 'm.ticket_id')
    .where('t.org_id', '=', orgId)
    .where('t.requester_id', 'in', family)
    .where((eb) => eb.or([eb('m.author_type', '<>', 'customer'), eb('m.customer_id', 'is', null), eb('m.customer_id', 'in', family)]))
    .select(['a.id', 'a.message_id', 'a.blob_key', 'a.content_key_enc', 'a.filename_enc', 'a.sniffed_type', 'a.size', 'a.status'])
    .orderBy('a.created_at')
    .execute();

  const files = new Map<string, Uint8Array>();
  const byMessage = new Map<string, ExportAttachment[]>();
  for (const a of attachmentRows) {
    const filename = await decryptOrNull(deps, trx, { table: 'attachments', column: 'filename_enc', rowId: a.id }, a.filename_enc);
    let path: string | null = null;
    let status: string = a.status;
    if (a.status === 'stored' && a.blob_key && a.content_key_enc) {
      if (!blobs) status = 'not_included';
      else {
        try {
          const bytes = await openAttachment({ store: blobs, keyring: deps.keyring, attachmentId: a.id, blobKey: a.blob_key, contentKeyEnc: a.content_key_enc, trx });
          path = `attachments/${a.id}/${safeName(filename, 'file')}`;
          files.set(path, bytes);
        } catch (err) {
          if (!(err instanceof KeyDestroyedError)) deps.logger.warn({ err, attachmentId: a.id }, 'access export: attachment not readable');
          status = 'unreadable';
        }
      }
    }
    const list = byMessage.get(a.message_id) ?? [];
    list.push({ id: a.id, filename, type: a.sniffed_type, size: Number(a.size), status, path });
    byMessage.set(a.message_id, list);
  }

  const byTicket = new Map<string, ExportMessage[]>();
  for (const m of messageRows) {
    const list = byTicket.get(m.ticket_id) ?? [];
    list.push({
      id: m.id,
      kind: m.kind,
      author: m.author_type === 'user' ? 'staff' : m.author_type,
      createdAt: new Date(m.created_at).toISOString(),
      body: await decryptOrNull(deps, trx, { table: 'messages', column: 'body_enc', rowId: m.id }, m.body_enc),
      attachments: byMessage.get(m.id) ?? [],
    });
    byTicket.set(m.ticket_id, list);
  }
  const tickets: ExportTicket[] = [];
  for (const t of ticketRows) {
    tickets.push({
      id: t.id,
      number: Number(t.number),
      subject: await decryptOrNull(deps, trx, { table: 'tickets', column: 'subject_enc', rowId: t.id }, t.subject_enc),
      status: t.status,
      priority: t.priority,
      channel: t.channel,
      tags: [...(t.tags ?? [])],
      createdAt: new Date(t.created_at).toISOString(),
      updatedAt: new Date(t.updated_at).toISOString(),
      solvedAt: iso(t.solved_at),
      closedAt: iso(t.closed_at),
      messages: byTicket.get(t.id) ?? [],
    });
  }

  const chats = (await trx.selectFrom('chat_conversations').where('org_id', '=', orgId).where('customer_id', 'in', family).select(['id', 'ticket_id', 'status', 'created_at', 'ended_at']).orderBy('created_at').execute())
    .map((c) => ({ id: c.id, ticketId: c.ticket_id, status: c.status, startedAt: new Date(c.created_at).toISOString(), endedAt: iso(c.ended_at) }));
  const verifications = (await trx.selectFrom('customer_verifications').where('org_id', '=', orgId).where('customer_id', 'in', family).select(['id', 'ticket_id', 'channel', 'status', 'verified_via', 'created_at', 'decided_at']).orderBy('created_at').execute())
    .map((v) => ({ id: v.id, ticketId: v.ticket_id, channel: v.channel, status: v.status, via: v.verified_via, requestedAt: new Date(v.created_at).toISOString(), decidedAt: iso(v.decided_at) }));
  const secureMessages = (await trx.selectFrom('secure_messages').where('org_id', '=', orgId).where('customer_id', 'in', family).select(['id', 'ticket_id', 'message_id', 'created_at', 'expires_at', 'first_read_at', 'read_count']).orderBy('created_at').execute())
    .map((s) => ({ id: s.id, ticketId: s.ticket_id, messageId: s.message_id, sentAt: new Date(s.created_at).toISOString(), linkExpiresAt: new Date(s.expires_at).toISOString(), firstReadAt: iso(s.first_read_at), readCount: Number(s.read_count) }));
  const staffAccesses = await staffAccessesOf(deps, trx, orgId, family, input.staffNames);

  const counts: ExportCounts = {
    customerRecords: family.length,
    tickets: tickets.length,
    messages: messageRows.length,
    attachments: files.size,
    chats: chats.length,
    verifications: verifications.length,
    secureMessages: secureMessages.length,
    staffAccesses: staffAccesses.length,
  };
  const org = await trx.selectFrom('organizations').where('id', '=', orgId).select('name').executeTakeFirstOrThrow();
  const doc: AccessExport = {
    format: EXPORT_FORMAT,
    generatedAt: new Date().toISOString(),
    expiresAt: iso(input.expiresAt),
    organization: { id: orgId, name: await brandName(trx, orgId).catch(() => org.name) },
    request: { id: input.requestId, receivedAt: input.receivedAt.toISOString(), approvedAt: input.approvedAt.toISOString() },
    customer: profile,
    tickets,
    chats,
    verifications,
    secureMessages,
    staffAccesses,
    counts,
  };
  return { doc, files };
}

/**
 * Staff reads and changes of the customer's data, from the audit trail (entries name the customer by a keyed hash).
 * Who: the staff member's roles, and their name where the organisation discloses names.
 */
async function staffAccessesOf(deps: HelpdeskDeps, trx: Executor, orgId: string, family: string[], names: boolean): Promise<ExportStaffAccess[]> {
  const subjects = family.map((id) => deps.audit.subject(id));
  const rows = await trx
    .selectFrom('audit_log')
    .where('org_id', '=', orgId)
    .where('subject', 'in', subjects)
    .where('actor_type', '=', 'user')
    .select(['ts', 'actor_id', 'action', 'purpose', 'result'])
    .orderBy('seq')
    .execute();
  const ids = [...new Set(rows.map((r) => r.actor_id).filter((x): x is string => !!x && /^[0-9a-f-]{36}$/.test(x)))];
  const roles = new Map<string, string[]>();
  const people = new Map<string, string>();
  if (ids.length) {
    for (const r of await trx.selectFrom('user_roles as ur').innerJoin('roles as r', 'r.id', 'ur.role_id').where('ur.user_id', 'in', ids).where('r.org_id', '=', orgId).select(['ur.user_id', 'r.name']).orderBy('r.name').execute()) {
      roles.set(r.user_id, [...(roles.get(r.user_id) ?? []), r.name]);
    }
    if (names) for (const u of await trx.selectFrom('users').where('id', 'in', ids).where('org_id', '=', orgId).select(['id', 'name']).execute()) people.set(u.id, u.name);
  }
  return rows.map((r) => ({
    at: new Date(r.ts).toISOString(),
    roles: r.actor_id ? (roles.get(r.actor_id) ?? []) : [],
    name: names && r.actor_id ? (people.get(r.actor_id) ?? null) : null,
    action: r.action,
    purpose: r.purpose,
    result: r.result,
  }));
}

export interface BuiltExport {
  exportId: string | null;
  token: string | null;
  expiresAt: Date | null;
  counts: ExportCounts;
  bytes: Uint8Array;
}

/**
 * Collects, zips and audits the export inside `trx`. With `store`, the zip is encrypted under the customer's key
 * and kept with a link (its token returned once, for the email); without (the operator's CLI), only returned.
 */
export async function buildAccessExport(deps: HelpdeskDeps, trx: Executor, acting: ExportActing, input: ExportInput & { store: boolean; via: string }, blobs: BlobStore | undefined): Promise<BuiltExport> {
  const { doc, files } = await collectExport(deps, trx, acting, input, blobs);
  const bytes = zipExport(doc, files);
  let exportId: string | null = null;
  let token: string | null = null;
  if (input.store) {
    exportId = randomUUID();
    token = newPortalToken('tdx');
    const bundle = await deps.keyring.encrypt({ type: 'customer', id: input.customerId }, BUNDLE_FIELD(exportId), bytes, trx);
    await trx.deleteFrom('privacy_exports').where('org_id', '=', acting.orgId).where('expires_at', '<=', new Date()).execute();
    await trx
      .insertInto('privacy_exports')
      .values({ id: exportId, org_id: acting.orgId, request_id: input.requestId, customer_id: input.customerId, bundle_enc: bundle, bundle_size: bytes.length, counts: JSON.stringify(doc.counts), link_hash: hashSecret(token), expires_at: input.expiresAt ?? new Date(Date.now() + DEFAULT_EXPORT_DAYS * 86_400_000) })
      .execute();
  }
  // One audit event for every read above, with what was read as counts.
  await deps.audit.append(trx, {
    orgId: acting.orgId,
    actor: acting.actor,
    requestId: acting.requestId ?? null,
    sourceIp: acting.sourceIp ?? null,
    action: 'privacy.export.build',
    object: { type: 'privacy_request', id: input.requestId },
    subjectCustomerId: input.customerId,
    purpose: `data-subject request ${input.requestId}`,
    result: 'success',
    details: { via: input.via, ...(exportId ? { exportId, expiresAt: input.expiresAt?.toISOString() ?? null } : {}), bytes: bytes.length, ...doc.counts },
  });
  return { exportId, token, expiresAt: input.expiresAt, counts: doc.counts, bytes };
}

/** After the approving commit: the link goes to the customer's registered address, alone (no data in the email). */
export async function sendExportLink(deps: PortalDeps, input: { orgId: string; customerId: string; token: string; expiresAt: Date }): Promise<boolean> {
  const email = await registeredEmail(deps.db, deps, input.customerId).catch((err: unknown) => {
    if (err instanceof KeyDestroyedError) return null;
    throw err;
  });
  if (!email) return false;
  const brand = await brandName(deps.db, input.orgId);
  await deps.mailer.send({
    to: email,
    fromName: brand,
    subject: `Your data from ${brand} is ready`,
    text: await withSecureWayFooter(deps.db, deps.publicUrl, input.orgId, [
      `You asked ${brand} for a copy of the data we hold about you. It is ready to download here:`,
      exportLinkUrl(await customerBaseUrl(deps, input.orgId), input.token),
      '',
      `The link works until ${input.expiresAt.toUTCString()}. You will be asked for a one-time code that we send to this address.`,
      'The download is a zip file: open index.html in it to read your data; data.json holds the same for programs.',
    ].join('\n')),
  });
  return true;
}

const DEAD_EXPORT = () => new AppError('gone', 'This download link has expired, or the data was erased. Ask us for a new copy if you still need one.');

async function liveExport(deps: PortalDeps, token: string) {
  if (!looksLikePortalToken(token, 'tdx')) return undefined;
  return deps.db.selectFrom('privacy_exports').where('link_hash', '=', hashSecret(token)).select(['id', 'org_id', 'customer_id', 'expires_at']).executeTakeFirst();
}

/** Whether a link can still be used (sends nothing, grants nothing). */
export async function checkExportLink(deps: PortalDeps, input: { token: string }): Promise<{ state: 'usable' | 'spent' }> {
  const e = await liveExport(deps, input.token);
  return { state: e && e.expires_at.getTime() > Date.now() ? 'usable' : 'spent' };
}

/** Opening the link sends a one-time code to the registered address; the link alone gives nothing. */
export async function openExportLink(deps: PortalDeps, client: ClientInfo, input: { token: string }): Promise<{ challengeId: string; expiresAt: string }> {
  const e = await liveExport(deps, input.token);
  if (!e || e.expires_at.getTime() <= Date.now()) {
    await deps.audit.record({ orgId: e?.org_id ?? null, actor: { type: 'anonymous' }, action: 'privacy.export.open', object: e ? { type: 'privacy_export', id: e.id } : null, result: 'denied', requestId: client.requestId, sourceIp: client.ip, details: { reason: e ? 'expired' : 'unknown' } });
    throw DEAD_EXPORT();
  }
  const sent = await deps.db.selectFrom('portal_challenges').where('privacy_export_id', '=', e.id).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  if (Number(sent.n) >= MAX_CODES_PER_EXPORT) throw new AppError('rate_limited', 'Too many codes were sent for this link. Ask us to send your data again.');
  const { challenge, email } = await deps.db.transaction().execute(async (trx) => {
    const email = await registeredEmail(trx, deps, e.customer_id).catch(() => null);
    if (!email) throw DEAD_EXPORT();
    const challenge = await createChallenge(trx, deps, { orgId: e.org_id, customerId: e.customer_id, purpose: 'privacy_export', privacyExportId: e.id });
    await deps.audit.append(trx, { orgId: e.org_id, actor: { type: 'anonymous' }, action: 'privacy.export.open', object: { type: 'privacy_export', id: e.id }, subjectCustomerId: e.customer_id, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    return { challenge, email };
  });
  const brand = await brandName(deps.db, e.org_id);
  await deps.mailer.send({
    to: email,
    fromName: brand,
    subject: `Your code to download your data from ${brand}`,
    text: await withSecureWayFooter(deps.db, deps.publicUrl, e.org_id, `Your code to download your data from ${brand} is ${challenge.code}. It expires in ${Math.round(deps.policy.codeTtlMs / 60_000)} minutes.\n\nIf you did not open a download link just now, ignore this email.`),
  });
  return { challengeId: challenge.id, expiresAt: challenge.expiresAt.toISOString() };
}

/**
 * The right code, with the link it was sent for, gives the bundle (decrypted with the customer's key). A wrong code
 * is counted before it is compared (checkChallengeCode); the challenge is used up with the download, in one
 * transaction that also audits it. An expired export, or one an erasure removed, answers 410.
 */
export async function downloadExport(
  deps: PortalDeps,
  client: ClientInfo,
  input: { token: string; challengeId: string; code: string },
  /** The organisation's customer second-factor requirement (decision 0220), checked once the code is right and before it is used up. */
  secondFactor?: (customer: { orgId: string; customerId: string }) => Promise<void>,
): Promise<{ filename: string; bytes: Uint8Array }> {
  const e = await liveExport(deps, input.token);
  if (!e) throw DEAD_EXPORT();
  const c = await checkChallengeCode(deps, { challengeId: input.challengeId, code: input.code, purpose: 'privacy_export', customerId: e.customer_id });
  if (c.privacy_export_id !== e.id) throw new AppError('unauthenticated', 'The code is wrong or has expired. Request a new one.');
  await secondFactor?.({ orgId: c.org_id, customerId: e.customer_id });
  return deps.db.transaction().execute(async (trx) => {
    await consumeChallenge(trx, c.id);
    const row = await trx
      .updateTable('privacy_exports')
      .set((eb) => ({ download_count: eb('download_count', '+', 1), last_download_at: new Date() }))
      .where('id', '=', e.id)
      .where('expires_at', '>', new Date())
      .returning(['id', 'org_id', 'customer_id', 'request_id', 'bundle_enc', 'bundle_size'])
      .executeTakeFirst();
    if (!row) throw DEAD_EXPORT();
    let bytes: Uint8Array;
    try {
      const header = readCiphertextHeader(row.bundle_enc);
      bytes = decryptField(await deps.keyring.key(header.keyId, header.keyVersion, trx), BUNDLE_FIELD(row.id), row.bundle_enc);
    } catch (err) {
      if (err instanceof KeyDestroyedError) throw DEAD_EXPORT();
      throw err;
    }
    await deps.audit.append(trx, { orgId: row.org_id, actor: { type: 'customer', id: row.customer_id }, action: 'privacy.export.download', object: { type: 'privacy_export', id: row.id }, subjectCustomerId: row.customer_id, result: 'success', requestId: client.requestId, sourceIp: client.ip, details: { request: row.request_id, bytes: row.bundle_size } });
    return { filename: `my-data-${new Date().toISOString().slice(0, 10)}.zip`, bytes };
  });
}

/** Exports past their expiry: removed (the bundle with them). Returns how many. */
export async function purgeExpiredExports(exec: Executor, now = new Date()): Promise<number> {
  const r = await exec.deleteFrom('privacy_exports').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Removes the exports of these customer records, inside an erasure's transaction. */
export async function removeExportsOf(trx: Executor, orgId: string, family: string[]): Promise<number> {
  const r = await sql<{ n: number }>`WITH gone AS (DELETE FROM privacy_exports WHERE org_id = ${orgId} AND customer_id = ANY (${family}::uuid[]) RETURNING 1) SELECT count(*)::int AS n FROM gone`.execute(trx);
  return Number(r.rows[0]?.n ?? 0);
}
