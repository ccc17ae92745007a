/**
 * Containment from an incident: each action is done by the service that owns
 * it (sessions and suspension in identity, second factors in mfa, tokens in
 * tokens.service, sender blocking in the phishing lists, customer verification
 * in helpdesk/verification), which checks the organisation and its own rules
 * (not the last administrator, not oneself) and writes its own audit entry.
 * The incident then records the action on its timeline, with its audit entry
 * and an incident.updated event, and links the target as evidence.
 */
import { randomUUID } from 'node:crypto';
import { deactivateUser, type AuthDeps } from '../../identity/auth/auth.service.js';
import { resetUserFactors } from '../../identity/auth/mfa/manage.service.js';
import type { MfaDeps } from '../../identity/auth/mfa/context.js';
import { revokeUserApiTokens } from '../../identity/auth/tokens.service.js';
import { revokeSessionsOf } from '../../identity/users/users.service.js';
import { requireCustomerVerification } from '../../helpdesk/verification/verification.service.js';
import { AppError } from '../../platform/errors.js';
import type { ContainmentAction, EvidenceKind } from '../../platform/http/schemas/incidents.js';
import { addSenderEntry } from '../phishing-reports/sender-lists.js';
import { emitIncidentEvent, lockIncident, recordIncidentEvent, type IncidentActor, type IncidentDeps } from './incidents.service.js';

export interface ContainmentDeps extends IncidentDeps {
  auth: AuthDeps;
  mfa: MfaDeps;
}

export interface ContainmentInput {
  action: ContainmentAction;
  targetId?: string | undefined;
  value?: string | undefined;
  reason: string;
}

const needTarget = (input: ContainmentInput): string => {
  if (!input.targetId) throw new AppError('validation_failed', 'Choose whom this action applies to.');
  return input.targetId;
};

export async function containIncident(deps: ContainmentDeps, a: IncidentActor, incidentId: string, input: ContainmentInput): Promise<{ action: ContainmentAction; outcome: Record<string, unknown> }> {
  const p = a.principal;
  // The incident must exist in the caller's organisation before anything is done.
  await deps.db.transaction().execute(async (trx) => lockIncident(trx, p.orgId, incidentId));
  let outcome: Record<string, unknown>;
  let target: { kind: EvidenceKind; ref: string } | null = null;
  switch (input.action) {
    case 'end_sessions': {
      const userId = needTarget(input);
      outcome = { sessionsEnded: await revokeSessionsOf(deps, p, a.client, userId) };
      target = { kind: 'user', ref: userId };
      break;
    }
    case 'suspend_account': {
      const userId = needTarget(input);
      await deactivateUser(deps.auth, { userId: p.userId, orgId: p.orgId }, a.client, userId);
      outcome = { suspended: true };
      target = { kind: 'user', ref: userId };
      break;
    }
    case 'reset_factors': {
      const userId = needTarget(input);
      const r = await resetUserFactors(deps.mfa, p, a.client, userId);
      outcome = { removed: r.removed, sessionsEnded: r.sessionsEnded };
      target = { kind: 'user', ref: userId };
      break;
    }
    case 'revoke_tokens': {
      const userId = needTarget(input);
      outcome = { tokensRevoked: await revokeUserApiTokens(deps, { userId: p.userId, orgId: p.orgId, tokenId: p.tokenId }, a.client, userId) };
      target = { kind: 'user', ref: userId };
      break;
    }
    case 'block_sender': {
      if (!input.value) throw new AppError('validation_failed', 'Enter the domain or address to block.');
      const entry = await addSenderEntry(deps, p, a.client, { kind: 'block', value: input.value, reason: input.reason });
      // The value may be a customer's address: the timeline keeps the list entry's id, not the value.
      outcome = { senderListEntryId: entry.id, entryType: entry.value.includes('@') ? 'address' : 'domain' };
      break;
    }
    case 'require_verification': {
      const customerId = needTarget(input);
      outcome = await requireCustomerVerification(deps, { principal: p, requestId: a.client.requestId, sourceIp: a.client.ip }, { customerId, reason: input.reason });
      target = { kind: 'customer', ref: customerId };
      break;
    }
  }
  await deps.db.transaction().execute(async (trx) => {
    await lockIncident(trx, p.orgId, incidentId);
    if (target) {
      await trx.insertInto('incident_evidence').values({ id: randomUUID(), org_id: p.orgId, incident_id: incidentId, kind: target.kind, ref: target.ref, added_by: p.userId }).onConflict((oc) => oc.columns(['incident_id', 'kind', 'ref']).doNothing()).execute();
    }
    await recordIncidentEvent(deps, trx, a, {
      incidentId,
      kind: 'containment',
      action: 'incident.containment',
      detail: { action: input.action, ...(target ? { target } : {}), ...outcome },
      text: input.reason,
      purpose: input.reason,
      subjectCustomerId: target?.kind === 'customer' ? target.ref : null,
    });
    await emitIncidentEvent(deps, trx, incidentId, 'incident.updated', `containment:${input.action}`);
  });
  return { action: input.action, outcome };
}
