/**
 * /api/customers: find by email or phone (blind index), read masked, reveal one
 * field with a reason (step-up through requirePermission, the organisation's
 * verify-before-reveal policy through requireVerificationForReveal). A
 * team- or own-scoped caller reaches a customer only through a ticket they may
 * see. Register `customerRoutes`.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireFreshFactor, requirePermission, scopeOf, type Principal } from '../../identity/auth/access.js';
import type { Permission } from '../../identity/auth/permissions.js';
import { AppError } from '../../platform/errors.js';
import { ProblemRef, routeSchema } from '../../platform/http/schemas/common.js';
import { customerEndpoints as e } from '../../platform/http/schemas/customers.js';
import { createHelpdeskDeps, actingFromAgent, ticketScope, type HelpdeskDeps } from '../tickets/context.js';
import { requireVerificationForReveal } from '../verification/verification.service.js';
import { findCustomerIdsByContactEmail, findCustomerIdsByPhone, readMaskedCustomer, revealCustomerField } from './customer-fields.js';
import { findCustomerIdsByEmail } from './customers.service.js';
import { mergeCustomers } from './customer-merge.js';
import { loadMaskingPolicy, revealNeedsStepUp } from './masking-policy.js';

const doc = (summary: string) => ({ tags: ['customers'], summary, extraResponses: { 410: ProblemRef } });

function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return request.principal;
}

/** Object-level check: org scope sees the organisation's customers; narrower scopes only requesters of tickets they may see. */
async function assertCustomerVisible(deps: HelpdeskDeps, p: Principal, permission: Permission, customerId: string): Promise<void> {
  const scope = scopeOf(p, permission);
  const found = scope === 'org'
    ? await deps.db.selectFrom('customers').where('id', '=', customerId).where('org_id', '=', p.orgId).select('id').executeTakeFirst()
    : await deps.db.selectFrom('tickets').where('requester_id', '=', customerId).where(ticketScope(p, permission)).select('id').limit(1).executeTakeFirst();
  // Out of scope and missing look the same to the caller; either is recorded as a refusal (access.denied, decision 0194).
  if (!found) throw new AppError('not_found', 'No such customer.', { internal: `denied ${permission}` });
}

/** customers.reveal without the blanket step-up of requirePermission: the reveal route asks for it per field. */
async function requirePermissionPerField(request: FastifyRequest): Promise<void> {
  const p = principal(request);
  if (!scopeOf(p, 'customers.reveal')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing customers.reveal' });
}

export async function customerRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const ctx = (request: FastifyRequest) => actingFromAgent({ principal: principal(request), requestId: String(request.id), sourceIp: request.ip });

  r.get(e.find.url, {
    preHandler: requirePermission('customers.read'),
    schema: routeSchema(e.find, doc('Find customers by exact email or phone (blind index); results masked')),
  }, async (request) => {
    const p = principal(request);
    const { email, phone } = request.query;
    if (!email === !phone) throw new AppError('validation_failed', 'Give exactly one of email or phone.');
    const ids = email ? [...new Set([...(await findCustomerIdsByEmail(deps, ctx(request), email)), ...(await findCustomerIdsByContactEmail(deps, ctx(request), email))])] : await findCustomerIdsByPhone(deps, ctx(request), phone as string);
    const items = [];
    for (const id of ids.slice(0, 20)) {
      try {
        await assertCustomerVisible(deps, p, 'customers.read', id);
      } catch {
        continue;
      }
      items.push(await readMaskedCustomer(deps, ctx(request), { customerId: id, roleKeys: p.roleKeys }));
    }
    return { items };
  });

  r.get(e.read.url, {
    preHandler: requirePermission('customers.read'),
    schema: routeSchema(e.read, doc('A customer, fields masked or in clear as the masking policy says (audited with the fields shown in clear)')),
  }, async (request) => {
    const p = principal(request);
    await assertCustomerVisible(deps, p, 'customers.read', request.params.id);
    return readMaskedCustomer(deps, ctx(request), { customerId: request.params.id, roleKeys: p.roleKeys });
  });

  r.post(e.reveal.url, {
    // Step-up is asked per field below, as the masking policy says (by default for every field).
    preHandler: requirePermissionPerField,
    schema: routeSchema(e.reveal, doc('Reveal one field with a reason (step-up per the masking policy; verification first when policy requires)')),
  }, async (request) => {
    const p = principal(request);
    // Only sessions reveal: an API token cannot step up, and a reveal is a person's decision.
    if (p.kind !== 'session') throw new AppError('step_up_required', 'Confirm it is you with your second factor to continue.', { extra: { stepUp: true } });
    if (revealNeedsStepUp(await loadMaskingPolicy(deps.db, p.orgId), request.body.field)) requireFreshFactor(p, app.auth?.stepUpWindowMs);
    await assertCustomerVisible(deps, p, 'customers.reveal', request.params.id);
    await requireVerificationForReveal(deps.db, { orgId: p.orgId, customerId: request.params.id, ticketId: request.body.ticketId ?? null });
    // The object-level check is assertCustomerVisible above: revealCustomerField's own check with a
    // principal accepts only org scope (a customer has no team), so it is not given one here.
    return revealCustomerField(deps, ctx(request), { customerId: request.params.id, field: request.body.field, reason: request.body.reason, category: request.body.category });
  });

  r.post(e.merge.url, {
    preHandler: requirePermission('customers.write'),
    schema: routeSchema(e.merge, doc('Merge a duplicate into this customer: its tickets and address move here; erasing this customer erases both')),
  }, async (request) => {
    const p = principal(request);
    // Customer records have no team, so merging two of them needs organisation-wide customer access.
    if (scopeOf(p, 'customers.write') !== 'org') throw new AppError('forbidden', 'Merging customers needs organisation-wide customer access.');
    return mergeCustomers(deps, ctx(request), { sourceId: request.body.duplicateId, targetId: request.params.id, reason: request.body.reason });
  });
}
