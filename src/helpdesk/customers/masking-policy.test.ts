import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { READ_ONLY_PERMISSIONS } from '../../identity/auth/permissions.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildCustomerWithTicket, buildPortalApp } from '../portal/testing.js';
import { updateCustomerFields } from './customer-fields.js';
import { eraseCustomer } from './customers.service.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { clearFieldsFor, DEFAULT_MASKING_POLICY, parseMaskingPolicy, revealReasonProblemUnder, validateMaskingPolicy, type MaskingPolicy } from './masking-policy.js';

const policy = (over: Partial<MaskingPolicy> = {}): MaskingPolicy => ({ ...structuredClone(DEFAULT_MASKING_POLICY), ...over });

describe('masking policy rules (pure)', () => {
  it('shows the name in clear to every role by default, custom roles included, and nothing else', () => {
    expect([...clearFieldsFor(DEFAULT_MASKING_POLICY, ['agent'])]).toEqual(['name']);
    expect([...clearFieldsFor(DEFAULT_MASKING_POLICY, ['night_shift'])]).toEqual(['name']);
    expect([...clearFieldsFor(DEFAULT_MASKING_POLICY, [])]).toEqual([]);
    expect(DEFAULT_MASKING_POLICY.stepUp).toEqual(['name', 'email', 'address', 'notes', 'phones', 'emails', 'customFields']);
  });

  it('takes the union over a person’s roles; an explicit empty list masks everything for that role', () => {
    const p = policy({ clear: { agent: [], supervisor: ['email', 'phones'] } });
    expect([...clearFieldsFor(p, ['agent'])]).toEqual([]);
    expect([...clearFieldsFor(p, ['agent', 'supervisor'])].sort()).toEqual(['email', 'phones']);
    expect([...clearFieldsFor(p, ['agent', 'night_shift'])]).toEqual(['name']);
  });

  it('falls back to the strict default when the stored policy is missing or no longer valid', () => {
    expect(parseMaskingPolicy(undefined)).toEqual(DEFAULT_MASKING_POLICY);
    expect(parseMaskingPolicy({ clear: { agent: ['ssn'] }, stepUp: [], reasons: { minLength: 10, categories: [] } })).toEqual(DEFAULT_MASKING_POLICY);
    expect(parseMaskingPolicy({ clear: {}, stepUp: [], reasons: { minLength: 3, categories: [] } })).toEqual(DEFAULT_MASKING_POLICY);
    expect(parseMaskingPolicy('everything in clear')).toEqual(DEFAULT_MASKING_POLICY);
  });

  it('checks reasons against the policy: decision 0109’s rule, a longer minimum, categories', () => {
    expect(revealReasonProblemUnder(DEFAULT_MASKING_POLICY, 'aaaaaaaaaaaa', undefined)).toContain('repeated');
    expect(revealReasonProblemUnder(DEFAULT_MASKING_POLICY, 'refund check', undefined)).toBeNull();
    const strict = policy({ reasons: { minLength: 20, categories: ['Refund', 'Delivery'] } });
    expect(revealReasonProblemUnder(strict, 'refund check', 'Refund')).toContain('20');
    expect(revealReasonProblemUnder(strict, 'customer asked for a refund by phone', undefined)).toContain('Refund, Delivery');
    expect(revealReasonProblemUnder(strict, 'customer asked for a refund by phone', 'Other')).toContain('categories');
    expect(revealReasonProblemUnder(strict, 'customer asked for a refund by phone', 'Refund')).toBeNull();
    expect(revealReasonProblemUnder(DEFAULT_MASKING_POLICY, 'customer asked for a refund', 'Refund')).toContain('no reason categories');
  });

  it('refuses unknown roles and duplicate categories', () => {
    expect(() => validateMaskingPolicy(policy({ clear: { ghost: ['name'] } }), ['agent'])).toThrow(/Unknown role: ghost/);
    expect(() => validateMaskingPolicy(policy({ reasons: { minLength: 10, categories: ['Refund', ' Refund'] } }), ['agent'])).toThrow(/differ/);
    expect(validateMaskingPolicy(policy({ clear: { agent: ['phones', 'name'] } }), ['agent']).clear).toEqual({ agent: ['name', 'phones'] });
  });
});

describe.each(testDatabaseKinds)('masking policy on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  let team: string;
  let admin: SignedIn;
  let agent: SignedIn;
  let c: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  const URL = '/api/organization/masking-policy';
  const put = (who: { headers: Record<string, string> }, payload: unknown) => app.inject({ method: 'PUT', url: URL, headers: who.headers, payload: payload as object });
  const auditOf = async (action: string) => {
    await services.audit.flush();
    return services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', action).select(['details', 'purpose']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    org = await buildOrg(services);
    other = await buildOrg(services);
    team = await buildTeam(services, org);
    c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'wilma.arden@customer.example', name: 'Wilma Arden', teamId: team, subject: 'Parcel never arrived' });
    await updateCustomerFields(await createHelpdeskDeps(services), { orgId: org.orgId, actor: { type: 'system' } }, { customerId: c.customerId, notes: 'Prefers mornings' });
    admin = await signIn(app, org, { roles: ['administrator'] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    // Another setting of the organisation that a policy change must leave alone.
    await services.database.db.updateTable('organizations').set({ settings: JSON.stringify({ verification: { requireBeforeReveal: false, validMinutes: 45 } }) }).where('id', '=', org.orgId).execute();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('by default: the requester’s name in clear in the list, search, ticket and customer panel; the reads say so', async () => {
    const view = await app.inject({ method: 'GET', url: URL, headers: agent.headers });
    expect(view.statusCode).toBe(200);
    expect(view.json().policy.clear).toMatchObject({ agent: ['name'], administrator: ['name'], auditor: ['name'] });
    expect(view.json().mine).toEqual(['name']);
    const list = await app.inject({ method: 'GET', url: '/api/tickets', headers: agent.headers });
    expect(list.json().items.find((t: { id: string }) => t.id === c.ticketId).requester).toEqual({ name: 'Wilma Arden', masked: false });
    expect((await auditOf('ticket.list')).details).toMatchObject({ clearFields: ['name'] });
    const search = await app.inject({ method: 'GET', url: '/api/search/tickets?q=parcel', headers: agent.headers });
    expect(search.json().items.map((t: { requester: unknown }) => t.requester)).toEqual([{ name: 'Wilma Arden', masked: false }]);
    expect((await auditOf('ticket.search')).details).toMatchObject({ clearFields: ['name'], subjects: [expect.stringMatching(/^cs1:/)] });
    const ticket = await app.inject({ method: 'GET', url: `/api/tickets/${c.ticketId}`, headers: agent.headers });
    expect(ticket.json().requester).toEqual({ name: 'Wilma Arden', masked: false });
    expect((await auditOf('ticket.read')).details).toEqual({ clearFields: ['name'] });
    const customer = await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}`, headers: agent.headers });
    expect(customer.json()).toMatchObject({ name: 'Wilma Arden', email: 'w•••@customer.example', clear: ['name'], hasNotes: true });
    expect(customer.json().notes).toBeUndefined();
    expect((await auditOf('customer.read_masked')).details).toEqual({ clearFields: ['name'] });
  });

  it('only policies.manage with a fresh second factor changes it; read-only tokens and another organisation change nothing', async () => {
    const body = { clear: { agent: ['email'] }, stepUp: ['name'], reasons: { minLength: 12, categories: [] } };
    expect((await put(agent, body)).statusCode).toBe(403);
    expect((await put(await signIn(app, org, { roles: ['supervisor'], teamIds: [team] }), body)).statusCode).toBe(403);
    expect((await put(await signIn(app, org, { roles: ['auditor'] }), body)).statusCode).toBe(403);
    const stale = await put(await signIn(app, org, { roles: ['administrator'], stepUp: false }), body);
    expect(stale.statusCode).toBe(401);
    expect(stale.json().code).toBe('step_up_required');
    const owner = await buildUser(services, org, { roles: ['administrator', 'security_officer'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'read-only', scopes: [...READ_ONLY_PERMISSIONS], expiresInDays: 1, kind: 'personal' });
    expect((await put({ headers: { authorization: `Bearer ${token}` } }, body)).statusCode).toBe(403);
    // Another organisation's administrator changes their own organisation's policy only.
    expect((await put(await signIn(app, other, { roles: ['administrator'] }), { ...body, clear: { agent: [] } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: URL, headers: agent.headers })).json().mine).toEqual(['name']);
    const none = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'policy.masking_change').select('id').execute();
    expect(none).toEqual([]);
  });

  it('refuses malformed policies, unknown roles and fields with 400', async () => {
    const ok = { clear: { agent: ['name'] }, stepUp: [], reasons: { minLength: 10, categories: [] } };
    const bad: unknown[] = [
      { ...ok, clear: { agent: ['ssn'] } },
      { ...ok, clear: { ghost_role: ['name'] } },
      { ...ok, clear: { 'Agent!': ['name'] } },
      { ...ok, clear: { agent: ['name', 'name'] } },
      { ...ok, stepUp: ['everything'] },
      { ...ok, reasons: { minLength: 9, categories: [] } },
      { ...ok, reasons: { minLength: 10, categories: Array.from({ length: 21 }, (_, i) => `Category ${i}`) } },
      { ...ok, reasons: { minLength: 10, categories: ['x'.repeat(61)] } },
      { ...ok, reasons: { minLength: 10, categories: ['   '] } },
      { ...ok, extra: true },
      { clear: ok.clear },
      [],
    ];
    for (const payload of bad) {
      const res = await put(admin, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await put(admin, { ...ok, clear: { ghost_role: ['name'] } })).json().detail).toContain('Unknown role: ghost_role');
  });

  it('an administrator shows agents the email and masks the name: every read follows, audited with before and after', async () => {
    const body = { clear: { agent: ['email', 'notes'] }, stepUp: ['name', 'email', 'address', 'phones', 'emails', 'customFields'], reasons: { minLength: 15, categories: ['Refund', 'Delivery problem'] } };
    expect((await put(admin, body)).statusCode).toBe(200);
    const change = await auditOf('policy.masking_change');
    expect(change.details).toMatchObject({ before: { clear: {}, reasons: { minLength: 10 } }, after: { clear: { agent: ['email', 'notes'] }, reasons: { categories: ['Refund', 'Delivery problem'] } } });
    const settings = await services.database.db.selectFrom('organizations').where('id', '=', org.orgId).select('settings').executeTakeFirstOrThrow();
    expect(settings.settings).toMatchObject({ verification: { validMinutes: 45 } });

    const list = await app.inject({ method: 'GET', url: '/api/tickets', headers: agent.headers });
    expect(list.json().items.find((t: { id: string }) => t.id === c.ticketId).requester).toEqual({ name: 'W••• A•••', masked: true });
    expect(list.body).not.toContain('Wilma');
    expect((await auditOf('ticket.list')).details).toMatchObject({ clearFields: [] });
    const search = await app.inject({ method: 'GET', url: '/api/search/tickets?q=parcel', headers: agent.headers });
    expect(search.json().items[0].requester).toEqual({ name: 'W••• A•••', masked: true });
    const customer = await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}`, headers: agent.headers });
    expect(customer.json()).toMatchObject({ name: 'W••• A•••', email: 'wilma.arden@customer.example', notes: 'Prefers mornings', clear: ['email', 'notes'] });
    expect((await auditOf('customer.read_masked')).details).toEqual({ clearFields: ['email', 'notes'] });
    // The administrator's own role was not named: still the default.
    const adminView = await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}`, headers: admin.headers });
    expect(adminView.json()).toMatchObject({ name: 'Wilma Arden', email: 'w•••@customer.example', clear: ['name'] });
  });

  it('reveals under the policy: category and minimum length required, step-up only for the fields that ask for it', async () => {
    const reveal = (who: SignedIn, payload: object) => app.inject({ method: 'POST', url: `/api/customers/${c.customerId}/reveal`, headers: who.headers, payload });
    expect((await reveal(agent, { field: 'name', reason: 'customer asked for a refund by phone' })).json().detail).toContain('Refund, Delivery problem');
    expect((await reveal(agent, { field: 'name', reason: 'refund check', category: 'Refund' })).json().detail).toContain('15');
    const ok = await reveal(agent, { field: 'name', reason: 'customer asked for a refund by phone', category: 'Refund' });
    expect(ok.json()).toEqual({ field: 'name', value: 'Wilma Arden' });
    expect(await auditOf('customer.field.reveal')).toMatchObject({ purpose: 'customer asked for a refund by phone', details: { field: 'name', category: 'Refund' } });
    const stale = await signIn(app, org, { roles: ['agent'], teamIds: [team], stepUp: false });
    expect((await reveal(stale, { field: 'name', reason: 'customer asked for a refund by phone', category: 'Refund' })).statusCode).toBe(401);
    // notes are not in stepUp: a reason is still required, a fresh second factor is not.
    expect((await reveal(stale, { field: 'notes', reason: 'customer asked for a refund by phone', category: 'Refund' })).json()).toEqual({ field: 'notes', value: 'Prefers mornings' });
    // …but an API token never reveals, whatever the policy.
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: agent.userId, name: 'agent token', scopes: ['customers.reveal', 'customers.read', 'tickets.read'], expiresInDays: 1, kind: 'personal' });
    expect((await app.inject({ method: 'POST', url: `/api/customers/${c.customerId}/reveal`, headers: { authorization: `Bearer ${token}` }, payload: { field: 'notes', reason: 'customer asked for a refund by phone', category: 'Refund' } })).statusCode).toBe(401);
    // Another team's agent still gets not found.
    const outsider = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await reveal(outsider, { field: 'notes', reason: 'customer asked for a refund by phone', category: 'Refund' })).statusCode).toBe(404);
  });
  it('orders concurrent changes: each audit entry’s before is what the change replaced', async () => {
    const a = { clear: { agent: ['phones'] }, stepUp: [], reasons: { minLength: 10, categories: [] } };
    const b = { clear: { agent: ['emails'] }, stepUp: [], reasons: { minLength: 11, categories: [] } };
    const [ra, rb] = await Promise.all([put(admin, a), put(admin, b)]);
    expect([ra.statusCode, rb.statusCode]).toEqual([200, 200]);
    await services.audit.flush();
    const entries = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'policy.masking_change').select('details').orderBy('seq', 'desc').limit(2).execute();
    const [last, previous] = entries.map((e) => e.details as { before: unknown; after: unknown });
    expect(last!.before).toEqual(previous!.after);
  });

  it('an erased requester shows as nobody in the list, and nothing in clear on their record', async () => {
    const gone = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'zed.quist@customer.example', name: 'Zed Quist', teamId: team, subject: 'Please forget me' });
    await eraseCustomer(await createHelpdeskDeps(services), { orgId: org.orgId, actor: { type: 'system' } }, { customerId: gone.customerId, purpose: 'erasure request by the customer' });
    const list = await app.inject({ method: 'GET', url: '/api/tickets', headers: admin.headers });
    expect(list.json().items.find((t: { id: string }) => t.id === gone.ticketId).requester).toBeNull();
    expect(list.body).not.toContain('Zed');
    const customer = await app.inject({ method: 'GET', url: `/api/customers/${gone.customerId}`, headers: admin.headers });
    expect(customer.json()).toMatchObject({ erased: true, name: '', clear: [] });
  });
});
