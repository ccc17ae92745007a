/**
 * "Verify customer": a one-time code to the customer's registered email or
 * phone; the customer reads it back to the agent or enters it in the portal.
 * The outcome is a row on the ticket plus an audit event in one transaction.
 * Attempts are counted in their own committed statement before comparing
 * (consume first), so guesses are capped even when the request fails.
 * Policy: an organisation can require a recent verification before reveals.
 */
import { brandName } from '../branding/branding.service.js';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import type { Db } from '../../platform/db/database.js';
import { maskEmail, maskPhone } from '../customers/masking.js';
import { registeredEmail } from '../portal/challenges.js';
import type { PortalDeps } from '../portal/deps.js';
import { codeHmac, newOneTimeCode, sameCode } from '../portal/keys.js';
import { customerActor, type PortalCustomer } from '../portal/sessions.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import { refuseIfHeld } from '../tickets/hold.js';
import { loadTicketForAction } from '../tickets/tickets.service.js';
import type { VerificationStatus } from '../portal/schema.js';
import '../portal/schema.js';
import { withSecureWayFooter } from '../../identity/policies/public.service.js';

const PURPOSE = 'verify';
const CODE_TTL_MS = 10 * 60_000;

export interface VerificationView {
  id: string;
  ticketId: string;
  channel: 'email' | 'sms';
  status: VerificationStatus;
  verifiedVia: 'agent' | 'portal' | 'chat' | null;
  attempts: number;
  expiresAt: string;
  decidedAt: string | null;
  createdAt: string;
}

async function registeredPhone(deps: PortalDeps, customerId: string): Promise<string | null> {
  const row = await deps.db.selectFrom('customer_contacts').where('customer_id', '=', customerId).where('kind', '=', 'phone').select(['id', 'value_enc']).orderBy('created_at').executeTakeFirst();
  return row ? deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: row.id }, row.value_enc) : null;
}

export async function startVerification(deps: PortalDeps, ctx: AgentContext, input: { ticketId: string; channel: 'email' | 'sms' }): Promise<{ verificationId: string; channel: 'email' | 'sms'; sentTo: string; expiresAt: string }> {
  const t = await deps.db.transaction().execute(async (trx) => {
    const row = await loadTicketForAction(trx, ctx, input.ticketId, 'customers.verify');
    await refuseIfHeld(trx, row.id, 'verify');
    return row;
  });
  if (!t.requester_id) throw new AppError('conflict', 'This ticket has no requester to verify.');
  const customerId = t.requester_id;
  const destination = input.channel === 'email' ? await registeredEmail(deps.db, deps, customerId) : await registeredPhone(deps, customerId);
  if (!destination) throw new AppError('conflict', input.channel === 'email' ? 'The customer has no registered email address.' : 'The customer has no registered phone number.');
  const id = randomUUID();
  const code = newOneTimeCode();
  const expiresAt = new Date(Date.now() + CODE_TTL_MS);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('customer_verifications')
      .values({ id, org_id: t.org_id, ticket_id: t.id, customer_id: customerId, channel: input.channel, code_hmac: codeHmac(deps.keys, PURPOSE, id, code), requested_by: ctx.principal.userId, expires_at: expiresAt, max_attempts: deps.policy.maxCodeAttempts })
      .execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'customer.verify.start', object: { type: 'verification', id }, subjectCustomerId: customerId, result: 'success', details: { ticketId: t.id, channel: input.channel } });
  });
  const brand = await brandName(deps.db, t.org_id);
  const text = `Your ${brand} verification code is ${code}. Read it to the person helping you, or enter it in the portal. It expires in 10 minutes. We will never ask for anything else.`;
  if (input.channel === 'email') await deps.mailer.send({ to: destination, fromName: brand, subject: `Your ${brand} verification code`, text: await withSecureWayFooter(deps.db, deps.publicUrl, t.org_id, text) });
  else await deps.sms.send({ orgId: t.org_id, to: destination, body: text });
  return { verificationId: id, channel: input.channel, sentTo: input.channel === 'email' ? maskEmail(destination) : maskPhone(destination), expiresAt: expiresAt.toISOString() };
}

type CustomerCaller = Pick<PortalCustomer, 'orgId' | 'customerId' | 'ip' | 'requestId'>;
type Actor = { kind: 'agent'; ctx: AgentContext } | { kind: 'portal' | 'chat'; customer: CustomerCaller };

/** Counts the attempt, compares, and records the outcome with its audit event. */
async function checkCode(deps: PortalDeps, who: Actor, row: { id: string; org_id: string; ticket_id: string; customer_id: string }, code: string): Promise<VerificationStatus> {
  const counted = await deps.db
    .updateTable('customer_verifications')
    .set({ attempts: sql`attempts + 1` })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', new Date())
    .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
    .returning(['attempts', 'max_attempts', 'code_hmac'])
    .executeTakeFirst();
  if (!counted) throw new AppError('gone', 'This verification has expired or is finished. Start a new one.');
  const ok = sameCode(deps.keys, PURPOSE, row.id, code, counted.code_hmac);
  const exhausted = !ok && counted.attempts >= counted.max_attempts;
  const actor = who.kind === 'agent' ? actingFromAgent(who.ctx) : customerActor(who.customer);
  return deps.db.transaction().execute(async (trx) => {
    if (ok || exhausted) {
      const r = await trx
        .updateTable('customer_verifications')
        .set({ status: ok ? 'verified' : 'failed', verified_via: ok ? who.kind : null, decided_at: new Date() })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new AppError('gone', 'This verification has expired or is finished. Start a new one.');
    }
    await deps.audit.append(trx, {
      ...actor,
      action: 'customer.verify',
      object: { type: 'verification', id: row.id },
      subjectCustomerId: row.customer_id,
      result: ok ? 'success' : 'failure',
      details: { ticketId: row.ticket_id, via: who.kind, attempt: counted.attempts, final: ok || exhausted },
    });
    return ok ? 'verified' : exhausted ? 'failed' : 'pending';
  });
}

/** The agent types the code the customer reads back. */
export async function checkVerificationCode(deps: PortalDeps, ctx: AgentContext, input: { ticketId: string; verificationId: string; code: string }): Promise<{ status: VerificationStatus }> {
  const t = await deps.db.transaction().execute(async (trx) => {
    const row = await loadTicketForAction(trx, ctx, input.ticketId, 'customers.verify');
    await refuseIfHeld(trx, row.id, 'verify');
    return row;
  });
  const row = await deps.db.selectFrom('customer_verifications').where('id', '=', input.verificationId).where('ticket_id', '=', t.id).select(['id', 'org_id', 'ticket_id', 'customer_id']).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such verification.');
  return { status: await checkCode(deps, { kind: 'agent', ctx }, row, input.code) };
}

/** The customer enters the code in the portal; only their own verifications are found. */
export async function submitPortalVerification(deps: PortalDeps, customer: PortalCustomer, input: { verificationId: string; code: string }): Promise<{ status: VerificationStatus }> {
  const row = await deps.db.selectFrom('customer_verifications').where('id', '=', input.verificationId).where('org_id', '=', customer.orgId).where('customer_id', '=', customer.customerId).select(['id', 'org_id', 'ticket_id', 'customer_id']).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such verification.');
  return { status: await checkCode(deps, { kind: 'portal', customer }, row, input.code) };
}

/**
 * The customer types the code into the live chat (src/helpdesk/chat): only a verification of this chat's
 * ticket and customer is found, and the code is never stored as a message.
 */
export async function submitChatVerification(deps: PortalDeps, visitor: CustomerCaller & { ticketId: string | null }, input: { verificationId: string; code: string }): Promise<{ status: VerificationStatus }> {
  const row = visitor.ticketId
    ? await deps.db
        .selectFrom('customer_verifications')
        .where('id', '=', input.verificationId)
        .where('org_id', '=', visitor.orgId)
        .where('customer_id', '=', visitor.customerId)
        .where('ticket_id', '=', visitor.ticketId)
        .select(['id', 'org_id', 'ticket_id', 'customer_id'])
        .executeTakeFirst()
    : undefined;
  if (!row) throw new AppError('not_found', 'No such verification.');
  return { status: await checkCode(deps, { kind: 'chat', customer: visitor }, row, input.code) };
}

/** A pending verification of a chat's ticket, as the chat shows it: where the code went (masked) and until when. */
export async function pendingChatVerification(deps: PortalDeps, input: { orgId: string; ticketId: string; verificationId: string }): Promise<{ verificationId: string; sentTo: string; expiresAt: string } | null> {
  const row = await deps.db
    .selectFrom('customer_verifications')
    .where('id', '=', input.verificationId)
    .where('org_id', '=', input.orgId)
    .where('ticket_id', '=', input.ticketId)
    .where('status', '=', 'pending')
    .select(['id', 'customer_id', 'channel', 'expires_at'])
    .executeTakeFirst();
  if (!row) return null;
  const destination = row.channel === 'email' ? await registeredEmail(deps.db, deps, row.customer_id) : await registeredPhone(deps, row.customer_id);
  if (!destination) return null;
  return { verificationId: row.id, sentTo: row.channel === 'email' ? maskEmail(destination) : maskPhone(destination), expiresAt: row.expires_at.toISOString() };
}

export async function listPendingPortalVerifications(deps: PortalDeps, customer: PortalCustomer): Promise<Array<{ id: string; ticketId: string; expiresAt: string }>> {
  const rows = await deps.db.selectFrom('customer_verifications').where('org_id', '=', customer.orgId).where('customer_id', '=', customer.customerId).where('status', '=', 'pending').where('expires_at', '>', new Date()).select(['id', 'ticket_id', 'expires_at']).orderBy('created_at', 'desc').limit(20).execute();
  return rows.map((r) => ({ id: r.id, ticketId: r.ticket_id, expiresAt: r.expires_at.toISOString() }));
}

export async function listVerifications(deps: PortalDeps, ctx: AgentContext, input: { ticketId: string }): Promise<VerificationView[]> {
  const t = await deps.db.transaction().execute((trx) => loadTicketForAction(trx, ctx, input.ticketId, 'tickets.read'));
  const rows = await deps.db.selectFrom('customer_verifications').where('ticket_id', '=', t.id).select(['id', 'ticket_id', 'channel', 'status', 'verified_via', 'attempts', 'expires_at', 'decided_at', 'created_at']).orderBy('created_at', 'desc').execute();
  return rows.map((r) => ({ id: r.id, ticketId: r.ticket_id, channel: r.channel, status: r.status, verifiedVia: r.verified_via, attempts: Number(r.attempts), expiresAt: r.expires_at.toISOString(), decidedAt: r.decided_at?.toISOString() ?? null, createdAt: new Date(r.created_at).toISOString() }));
}

export interface VerificationPolicy {
  requireBeforeReveal: boolean;
  /** How long a verification counts. */
  validMinutes: number;
}

export const DEFAULT_VERIFICATION_POLICY: VerificationPolicy = { requireBeforeReveal: false, validMinutes: 60 };

export function verificationPolicyOf(settings: Record<string, unknown> | null | undefined): VerificationPolicy {
  const v = (settings?.verification ?? {}) as Partial<VerificationPolicy>;
  return {
    requireBeforeReveal: v.requireBeforeReveal === true,
    validMinutes: typeof v.validMinutes === 'number' && v.validMinutes >= 1 && v.validMinutes <= 24 * 60 ? v.validMinutes : DEFAULT_VERIFICATION_POLICY.validMinutes,
  };
}

export async function setVerificationPolicy(deps: PortalDeps, ctx: AgentContext, policy: VerificationPolicy): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const org = await trx.selectFrom('organizations').where('id', '=', ctx.principal.orgId).select(['settings']).forUpdate().executeTakeFirstOrThrow();
    const settings = { ...(org.settings ?? {}), verification: policy };
    await trx.updateTable('organizations').set({ settings: JSON.stringify(settings) }).where('id', '=', ctx.principal.orgId).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'policy.verification.change', result: 'success', details: { ...policy } });
  });
}

/**
 * The reveal gate. Call before `revealCustomerField`: when the organisation
 * requires it, there must be a verification of this customer that succeeded
 * within the policy's window — on `ticketId` when given, else on any ticket.
 */
export async function requireVerificationForReveal(db: Db, input: { orgId: string; customerId: string; ticketId?: string | null; now?: Date }): Promise<void> {
  const org = await db.selectFrom('organizations').where('id', '=', input.orgId).select('settings').executeTakeFirst();
  const policy = verificationPolicyOf(org?.settings);
  // An incident may require it for one customer (requireCustomerVerification): then a verification after that counts.
  const customer = await db.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', input.orgId).select('verification_required_at').executeTakeFirst();
  const requiredAt = customer?.verification_required_at ? new Date(customer.verification_required_at) : null;
  if (!policy.requireBeforeReveal && !requiredAt) return;
  const windowStart = new Date((input.now ?? new Date()).getTime() - policy.validMinutes * 60_000);
  const since = requiredAt && requiredAt > windowStart ? requiredAt : windowStart;
  let q = db.selectFrom('customer_verifications').where('org_id', '=', input.orgId).where('customer_id', '=', input.customerId).where('status', '=', 'verified').where('decided_at', '>', since);
  if (input.ticketId) q = q.where('ticket_id', '=', input.ticketId);
  const hit = await q.select('id').executeTakeFirst();
  if (!hit) throw new AppError('forbidden', 'Verify the customer on this ticket before revealing this field.', { extra: { verificationRequired: true } });
}

/**
 * From now on, nothing about this customer is revealed until they pass a new
 * identity verification, whatever the organisation's policy (an incident's
 * containment: their account may be in someone else's hands). Audited.
 */
export async function requireCustomerVerification(deps: Pick<PortalDeps, 'db' | 'audit'>, ctx: AgentContext, input: { customerId: string; reason: string; now?: Date }): Promise<{ requiredAt: string }> {
  const at = input.now ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('customers').set({ verification_required_at: at }).where('id', '=', input.customerId).where('org_id', '=', ctx.principal.orgId).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new AppError('not_found', 'No such customer.');
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'customer.verification.require', object: { type: 'customer', id: input.customerId }, subjectCustomerId: input.customerId, purpose: input.reason, result: 'success' });
    return { requiredAt: at.toISOString() };
  });
}
