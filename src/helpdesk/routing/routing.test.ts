import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail } from '../ingest/pipeline.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { seedMailbox } from '../tickets/testing.js';
import { decideRouting, ruleMatches, type RoutingRule } from './routing.js';

const rule = (over: Partial<RoutingRule>): RoutingRule => ({
  id: 'r', org_id: 'o', name: 'n', position: 0, enabled: true, match_mailbox_id: null, match_sender_domain: null, match_subject_words: [],
  set_team_id: null, set_assignee_id: null, set_priority: null, add_tags: [], assign_strategy: null, created_at: new Date(0), ...over,
});

describe('routing rule matching', () => {
  it('needs every condition; a domain matches its subdomains; subject words are alternatives, whole words only', () => {
    const input = { mailboxId: 'm1', senderAddress: 'Ann@Billing.BigCorp.example', subject: 'Refund for order 12' };
    expect(ruleMatches(rule({ match_sender_domain: 'bigcorp.example' }), input)).toBe(true);
    expect(ruleMatches(rule({ match_sender_domain: 'corp.example' }), input)).toBe(false);
    expect(ruleMatches(rule({ match_subject_words: ['chargeback', 'refund'] }), input)).toBe(true);
    expect(ruleMatches(rule({ match_subject_words: ['fund'] }), input)).toBe(false);
    expect(ruleMatches(rule({ match_mailbox_id: 'm2', match_subject_words: ['refund'] }), input)).toBe(false);
    expect(ruleMatches(rule({ enabled: false }), input)).toBe(false);
  });

  it('applies the first matching rule by position', () => {
    const d = decideRouting([rule({ id: 'b', position: 2, set_priority: 'low' }), rule({ id: 'a', position: 1, match_subject_words: ['refund'], set_priority: 'high', add_tags: ['billing'] })], { mailboxId: null, senderAddress: null, subject: 'refund please' });
    expect(d).toEqual({ ruleId: 'a', priority: 'high', tags: ['billing'] });
  });
});

describe.each(testDatabaseKinds)('routing inbound tickets on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('routes a new ticket to the rule’s team, person, priority and tags; only administrators manage rules', async () => {
    const general = await buildTeam(services, org);
    const billing = await buildTeam(services, org);
    const person = await buildUser(services, org, { teamIds: [billing] });
    const address = `help-${kind}@routing.example`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, general);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [general] });
    const body = { name: 'Billing', position: 1, enabled: true, matchMailboxId: mailboxId, matchSenderDomain: null, matchSubjectWords: ['refund', 'invoice'], setTeamId: billing, setAssigneeId: person.userId, setPriority: 'high', addTags: ['billing'] };
    expect((await app.inject({ method: 'POST', url: '/api/routing-rules', headers: agent.headers, payload: body })).statusCode).toBe(403);
    const created = await app.inject({ method: 'POST', url: '/api/routing-rules', headers: admin.headers, payload: body });
    expect(created.statusCode).toBe(201);
    const stranger = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ method: 'DELETE', url: `/api/routing-rules/${created.json().id}`, headers: stranger.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/routing-rules', headers: stranger.headers, payload: body })).statusCode).toBe(400);

    const deps = await createHelpdeskDeps(services);
    const send = async (subject: string) => {
      const raw = Buffer.from(`From: Cust <cust@shop.example>\r\nTo: ${address}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}-${kind}@shop.example>\r\n\r\nHello\r\n`);
      const [o] = await ingestInboundEmail(deps, { hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: 'cust@shop.example', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId: general }]);
      return services.database.db.selectFrom('tickets').where('id', '=', (o as { ticketId: string }).ticketId).select(['team_id', 'assignee_id', 'priority', 'tags']).executeTakeFirstOrThrow();
    };
    expect(await send('Refund for my order')).toMatchObject({ team_id: billing, assignee_id: person.userId, priority: 'high', tags: ['billing'] });
    expect(await send('Where is my parcel')).toMatchObject({ team_id: general, assignee_id: null, priority: 'normal' });
  });
});
