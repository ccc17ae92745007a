/**
 * The rest of a customer: phone numbers and further email addresses (blind
 * indexed), postal address, notes and custom fields, all under the customer's
 * own key. Agents see fields masked; `revealCustomerField` returns one field in
 * full and records which field and why, in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { authorize, type Principal } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { normalizers } from '../../protection/crypto/normalize.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import '../tickets/schema.js';
import type { ActingContext, CustomerDeps } from './customers.service.js';
import { maskEmail, maskName, maskPhone, maskText } from './masking.js';
import { clearFieldsFor, loadMaskingPolicy, orderedFields, revealReasonProblemUnder } from './masking-policy.js';

const owner = (id: string) => ({ type: 'customer' as const, id });
type CustomerColumn = 'name_enc' | 'email_enc' | 'address_enc' | 'notes_enc' | 'custom_fields_enc';

import { revealReasonProblem, type RevealableField } from '../../platform/http/schemas/customers.js';

export { REVEALABLE_FIELDS, type RevealableField } from '../../platform/http/schemas/customers.js';

export interface CustomerExtraFields {
  address?: string;
  notes?: string;
  customFields?: Record<string, string>;
}

function auditBase(ctx: ActingContext) {
  return { orgId: ctx.orgId, actor: ctx.actor, requestId: ctx.requestId ?? null, sourceIp: ctx.sourceIp ?? null };
}

/** Sets address, notes and custom fields (each only when given). */
export async function updateCustomerFields(deps: CustomerDeps, ctx: ActingContext, input: { customerId: string } & CustomerExtraFields): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', ctx.orgId).select(['id', 'merged_into']).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such customer.');
    if (row.merged_into) throw new AppError('conflict', 'This customer was merged into another record.');
    const enc = (column: CustomerColumn, value: string) => deps.keyring.encrypt(owner(row.id), { table: 'customers', column, rowId: row.id }, value, trx);
    const set: { address_enc?: Uint8Array; notes_enc?: Uint8Array; custom_fields_enc?: Uint8Array; updated_at: Date } = { updated_at: new Date() };
    if (input.address !== undefined) set.address_enc = await enc('address_enc', input.address);
    if (input.notes !== undefined) set.notes_enc = await enc('notes_enc', input.notes);
    if (input.customFields !== undefined) set.custom_fields_enc = await enc('custom_fields_enc', JSON.stringify(input.customFields));
    await trx.updateTable('customers').set(set).where('id', '=', row.id).execute();
    const fields = Object.keys(input).filter((k) => k !== 'customerId');
    await deps.audit.append(trx, { ...auditBase(ctx), action: 'customer.update', object: { type: 'customer', id: row.id }, subjectCustomerId: row.id, result: 'success', details: { fields } });
  });
}

async function contactIndex(deps: CustomerDeps, orgId: string, kind: 'email' | 'phone', value: string, trx?: Executor) {
  const normalized = kind === 'email' ? normalizers.email(value) : normalizers.phone(value);
  return deps.keyring.blindIndex(orgId, { table: 'customer_contacts', column: kind, domain: kind }, normalized, trx);
}

/** Adds a phone number or a further email address to a customer. */
export async function addCustomerContact(deps: CustomerDeps, ctx: ActingContext, input: { customerId: string; kind: 'email' | 'phone'; value: string }, trx?: Executor): Promise<{ id: string }> {
  const run = async (t: Executor) => {
    const row = await t.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', ctx.orgId).select('id').executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such customer.');
    const id = randomUUID();
    const value_enc = await deps.keyring.encrypt(owner(row.id), { table: 'customer_contacts', column: 'value_enc', rowId: id }, input.value, t);
    const value_bidx = await contactIndex(deps, ctx.orgId, input.kind, input.value, t);
    await t.insertInto('customer_contacts').values({ id, org_id: ctx.orgId, customer_id: row.id, kind: input.kind, value_enc, value_bidx }).execute();
    await deps.audit.append(t, { ...auditBase(ctx), action: 'customer.contact.add', object: { type: 'customer', id: row.id }, subjectCustomerId: row.id, result: 'success', details: { kind: input.kind } });
    return { id };
  };
  return trx ? run(trx) : deps.db.transaction().execute(run);
}

/** Customers with this phone number (blind-index candidates confirmed by decryption). */
export async function findCustomerIdsByPhone(deps: CustomerDeps, ctx: ActingContext, phone: string): Promise<string[]> {
  return findByContact(deps, ctx, 'phone', phone);
}

/** Customers with this address among their further email addresses. */
export async function findCustomerIdsByContactEmail(deps: CustomerDeps, ctx: ActingContext, email: string, trx?: Executor): Promise<string[]> {
  return findByContact(deps, ctx, 'email', email, trx);
}

async function findByContact(deps: CustomerDeps, ctx: ActingContext, kind: 'email' | 'phone', value: string, trx?: Executor): Promise<string[]> {
  const exec = trx ?? deps.db;
  const normalize = kind === 'email' ? normalizers.email : (v: string) => normalizers.phone(v);
  const wanted = normalize(value);
  const index = await contactIndex(deps, ctx.orgId, kind, value, trx);
  const rows = await exec
    .selectFrom('customer_contacts as c')
    .innerJoin('customers as cu', 'cu.id', 'c.customer_id')
    .where('c.org_id', '=', ctx.orgId)
    .where('c.kind', '=', kind)
    .where('c.value_bidx', '=', index)
    .where('cu.merged_into', 'is', null)
    .select(['c.id', 'c.customer_id', 'c.value_enc'])
    .execute();
  const ids = new Set<string>();
  for (const r of rows) {
    try {
      const v = await deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: r.id }, r.value_enc, exec);
      if (normalize(v) === wanted) ids.add(r.customer_id);
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
    }
  }
  return [...ids];
}

export interface MaskedCustomer {
  id: string;
  erased: boolean;
  mergedInto: string | null;
  name: string;
  email: string;
  phones: string[];
  emails: string[];
  hasAddress: boolean;
  hasNotes: boolean;
  /** The fields shown in clear (the masking policy for the caller's roles). */
  clear: RevealableField[];
  address?: string;
  notes?: string;
  customFields?: Record<string, string>;
}

interface DecryptedCustomer {
  name: string;
  email: string;
  address: string;
  notes: string;
  customFields: Record<string, string>;
  phones: string[];
  emails: string[];
}

async function decryptCustomer(deps: CustomerDeps, trx: Executor, orgId: string, customerId: string): Promise<{ merged_into: string | null; data: DecryptedCustomer | null }> {
  const row = await trx
    .selectFrom('customers')
    .where('id', '=', customerId)
    .where('org_id', '=', orgId)
    .select(['id', 'name_enc', 'email_enc', 'address_enc', 'notes_enc', 'custom_fields_enc', 'merged_into'])
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such customer.');
  const contacts = await trx.selectFrom('customer_contacts').where('customer_id', '=', row.id).select(['id', 'kind', 'value_enc']).orderBy('created_at').execute();
  const dec = async (column: CustomerColumn, ct: Uint8Array | null) => (ct ? deps.keyring.decrypt({ table: 'customers', column, rowId: row.id }, ct, trx) : '');
  try {
    const data: DecryptedCustomer = {
      name: await dec('name_enc', row.name_enc),
      email: await dec('email_enc', row.email_enc),
      address: await dec('address_enc', row.address_enc),
      notes: await dec('notes_enc', row.notes_enc),
      customFields: row.custom_fields_enc ? (JSON.parse(await dec('custom_fields_enc', row.custom_fields_enc)) as Record<string, string>) : {},
      phones: [],
      emails: [],
    };
    for (const c of contacts) {
      const v = await deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: c.id }, c.value_enc, trx);
      (c.kind === 'phone' ? data.phones : data.emails).push(v);
    }
    return { merged_into: row.merged_into, data };
  } catch (err) {
    if (err instanceof KeyDestroyedError) return { merged_into: row.merged_into, data: null };
    throw err;
  }
}

/**
 * The customer as the caller's roles may see them under the organisation's masking policy: fields the
 * policy shows in clear as they are, the rest masked (no roles given: everything masked). The read is
 * audited, with the fields shown in clear (names only, never values), in the same transaction.
 */
export async function readMaskedCustomer(deps: CustomerDeps, ctx: ActingContext, input: { customerId: string; roleKeys?: readonly string[] }): Promise<MaskedCustomer> {
  return deps.db.transaction().execute(async (trx) => {
    const { merged_into, data } = await decryptCustomer(deps, trx, ctx.orgId, input.customerId);
    const clear = data && input.roleKeys ? orderedFields(clearFieldsFor(await loadMaskingPolicy(trx, ctx.orgId), input.roleKeys)) : [];
    await deps.audit.append(trx, { ...auditBase(ctx), action: 'customer.read_masked', object: { type: 'customer', id: input.customerId }, subjectCustomerId: input.customerId, result: 'success', details: { clearFields: clear } });
    if (!data) return { id: input.customerId, erased: true, mergedInto: merged_into, name: '', email: '', phones: [], emails: [], hasAddress: false, hasNotes: false, clear };
    const inClear = new Set<RevealableField>(clear);
    return {
      id: input.customerId,
      erased: false,
      mergedInto: merged_into,
      name: inClear.has('name') ? data.name : maskName(data.name),
      email: inClear.has('email') ? data.email : maskEmail(data.email),
      phones: inClear.has('phones') ? data.phones : data.phones.map(maskPhone),
      emails: inClear.has('emails') ? data.emails : data.emails.map(maskEmail),
      hasAddress: data.address !== '',
      hasNotes: data.notes !== '',
      clear,
      ...(inClear.has('address') ? { address: data.address } : {}),
      ...(inClear.has('notes') ? { notes: data.notes } : {}),
      ...(inClear.has('customFields') ? { customFields: data.customFields } : {}),
    };
  });
}

/**
 * One field in full. The caller must hold `customers.reveal` over a ticket of
 * this customer (checked by the route, with step-up per policy); here the
 * reason is required and written to the audit trail with the field name.
 */
export async function revealCustomerField(
  deps: CustomerDeps,
  ctx: ActingContext & { principal?: Principal },
  input: { customerId: string; field: RevealableField; reason: string; category?: string },
): Promise<{ field: RevealableField; value: string | string[] | Record<string, string> }> {
  const reason = input.reason.trim();
  const problem = revealReasonProblem(reason);
  if (problem) throw new AppError('validation_failed', problem);
  if (ctx.principal) authorize(ctx.principal, 'customers.reveal', { orgId: ctx.orgId });
  return deps.db.transaction().execute(async (trx) => {
    // The organisation's reason rules (a longer minimum, categories) are read in the reveal's own transaction.
    const ruled = revealReasonProblemUnder(await loadMaskingPolicy(trx, ctx.orgId), reason, input.category);
    if (ruled) throw new AppError('validation_failed', ruled);
    const { data } = await decryptCustomer(deps, trx, ctx.orgId, input.customerId);
    await deps.audit.append(trx, {
      ...auditBase(ctx),
      action: 'customer.field.reveal',
      object: { type: 'customer', id: input.customerId },
      subjectCustomerId: input.customerId,
      purpose: reason,
      result: data ? 'success' : 'failure',
      details: input.category !== undefined ? { field: input.field, category: input.category } : { field: input.field },
    });
    if (!data) throw new KeyDestroyedError(input.customerId);
    return { field: input.field, value: data[input.field] };
  });
}
