/**
 * Data-handling policies (decisions 0212–0214) over HTTP on each test database: drafts and publishing (who may,
 * with a fresh factor), hostile Markdown shown as text, the generated part following a changed setting, another
 * organisation's policy not found, attestation (idempotent on replay, an old version never counting for the new
 * one), who has not attested, the public policy without signing in, and the email side: the footer on every
 * customer mail once a public policy is in force, and the sensitive-data notice once per customer.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import type { ComposedMail } from '../../helpdesk/mail/compose.js';
import { processOutboundQueue } from '../../helpdesk/mail/outbound-queue.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../auth/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { sendAttestationReminders } from './reminders.js';

describe.each(testDatabaseKinds)('data-handling policies on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  let team: string;
  let admin: SignedIn;
  let agent: SignedIn;
  let lead: SignedIn;
  let officer: SignedIn;
  let otherAdmin: SignedIn;

  const req = (who: SignedIn | null, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({ method, url, ...(who ? { headers: who.headers } : {}), ...(payload ? { payload } : {}) });
  const draft = (who: SignedIn, k: 'internal' | 'public', body: string, audience: string[] = []) => req(who, 'PUT', `/api/policies/${k}/draft`, { title: `${k} policy`, bodyMarkdown: body, audience });
  const publish = (who: SignedIn, k: 'internal' | 'public', effectiveAt = new Date().toISOString()) => req(who, 'POST', `/api/policies/${k}/publish`, { effectiveAt });
  const mine = async (who: SignedIn) => {
    const res = await req(who, 'GET', '/api/policies/me');
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { current: { id: string; version: number; html: string; generatedHtml: string } | null; pending: boolean; attestations: Array<{ version: number }> };
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
    other = await buildOrg(services);
    team = await buildTeam(services, org);
    admin = await signIn(app, org, { roles: ['administrator'] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    otherAdmin = await signIn(app, other, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('only policies.manage writes and publishes, publishing needs a fresh factor, and hostile Markdown is shown as text', async () => {
    expect((await draft(agent, 'internal', 'x')).statusCode).toBe(403);
    expect((await draft(lead, 'internal', 'x')).statusCode).toBe(403);
    expect((await publish(agent, 'internal')).statusCode).toBe(403);
    expect((await req(officer, 'GET', '/api/policies')).statusCode).toBe(403);
    expect((await publish(admin, 'internal')).statusCode).toBe(409); // nothing drafted yet
    const hostile = '# Handling data\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n- **Lock** your screen';
    const saved = await draft(admin, 'internal', hostile, ['agent', 'supervisor']);
    expect(saved.statusCode, saved.body).toBe(200);
    const html = saved.json().html as string;
    // Shown as text: no element or attribute of the author's survives, only escaped characters.
    expect(html).not.toMatch(/<script|<img|href="javascript:|<[^>]*onerror/i);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<strong>Lock</strong>');
    expect((await draft(admin, 'internal', 'x', ['no_such_role'])).statusCode).toBe(400);
    expect((await draft(admin, 'public', 'x', ['agent'])).statusCode).toBe(400);
    expect((await publish(admin, 'internal', new Date(Date.now() - 3 * 86_400_000).toISOString())).statusCode).toBe(400);
    const stale = await signIn(app, org, { roles: ['administrator'], stepUp: false });
    expect((await publish(stale, 'internal')).json().code).toBe('step_up_required');
    const v1 = await publish(admin, 'internal');
    expect(v1.statusCode, v1.body).toBe(201);
    expect(v1.json()).toMatchObject({ version: 1, state: 'in_force', kind: 'internal' });
    expect(v1.json().html).not.toMatch(/<script|<img/i);
    const audit = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'policy.document.publish').select('object_id').execute();
    expect(audit.map((a) => a.object_id)).toEqual([v1.json().id]);
    // Published means immutable, even to a direct write.
    await expect(services.database.db.updateTable('data_policy_versions').set({ body_md: 'changed' }).where('id', '=', v1.json().id).execute()).rejects.toThrow(/immutable/);
  });

  it('another organisation’s policy is not found, and its staff are asked nothing', async () => {
    const { items } = (await req(admin, 'GET', '/api/policies')).json() as { items: Array<{ kind: string; versions: Array<{ id: string }> }> };
    const id = items.find((i) => i.kind === 'internal')!.versions[0]!.id;
    expect((await req(otherAdmin, 'GET', `/api/policies/versions/${id}`)).statusCode).toBe(404);
    expect((await req(otherAdmin, 'POST', '/api/policies/attestations', { versionId: id })).statusCode).toBe(404);
    expect((await mine(otherAdmin))).toMatchObject({ current: null, pending: false });
    expect((await req(admin, 'GET', `/api/policies/versions/${id}`)).statusCode).toBe(200);
  });

  it('an agent must attest; a replay records nothing new; an old version never counts for the new one', async () => {
    const before = await mine(agent);
    expect(before.pending).toBe(true);
    expect(before.current?.generatedHtml).toContain('Who sees which customer fields in clear');
    // The officer is not in the audience (agents and team leads): not asked.
    expect((await mine(officer)).pending).toBe(false);
    const v1 = before.current!.id;
    const first = await req(agent, 'POST', '/api/policies/attestations', { versionId: v1 });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ version: 1, already: false });
    const replay = await req(agent, 'POST', '/api/policies/attestations', { versionId: v1 });
    expect(replay.json()).toMatchObject({ already: true, attestedAt: first.json().attestedAt });
    expect((await mine(agent)).pending).toBe(false);
    const rows = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'attestation.record').where('actor_id', '=', agent.userId).select('object_id').execute();
    expect(rows.map((r) => r.object_id)).toEqual([v1]);

    // The lead sees who has not attested in their team; the agent may not look.
    const outstanding = await req(lead, 'GET', '/api/policies/attestations/outstanding');
    expect(outstanding.statusCode, outstanding.body).toBe(200);
    expect(outstanding.json().items.map((i: { userId: string }) => i.userId)).toEqual([lead.userId]);
    expect(outstanding.json().items[0].overdue).toBe(false);
    expect((await req(agent, 'GET', '/api/policies/attestations/outstanding')).statusCode).toBe(403);
    const person = await req(officer, 'GET', `/api/policies/attestations/people/${agent.userId}`);
    expect(person.json().items.map((i: { version: number }) => i.version)).toEqual([1]);
    expect((await req(agent, 'GET', `/api/policies/attestations/people/${lead.userId}`)).statusCode).toBe(403);
    expect((await req(otherAdmin, 'GET', `/api/policies/attestations/people/${agent.userId}`)).statusCode).toBe(404);

    // Version 2: asked again; attesting version 1 (replayed) does not count and is refused.
    expect((await draft(admin, 'internal', 'Version two.', ['agent', 'supervisor'])).statusCode).toBe(200);
    expect((await publish(admin, 'internal')).statusCode).toBe(201);
    const now = await mine(agent);
    expect(now).toMatchObject({ pending: true, current: { version: 2 } });
    expect((await req(agent, 'POST', '/api/policies/attestations', { versionId: v1 })).statusCode).toBe(409);
    expect((await mine(agent)).pending).toBe(true);
    expect((await req(agent, 'POST', '/api/policies/attestations', { versionId: now.current!.id })).statusCode).toBe(201);
    expect((await mine(agent)).attestations.map((a) => a.version)).toEqual([2, 1]);
  });

  it('reminds once per person and version, in-app and by email', async () => {
    const first = await sendAttestationReminders({ db: services.database.db, mailer: services.mailer, publicUrl: 'https://desk.example' });
    expect(first.due).toBeGreaterThanOrEqual(1);
    const again = await sendAttestationReminders({ db: services.database.db, mailer: services.mailer, publicUrl: 'https://desk.example' });
    expect(again).toEqual({ due: 0, overdue: 0 });
    const leadNotes = await services.database.db.selectFrom('notifications').where('user_id', '=', lead.userId).where('kind', '=', 'policy_attestation').select('id').execute();
    expect(leadNotes).toHaveLength(1);
    const agentNotes = await services.database.db.selectFrom('notifications').where('user_id', '=', agent.userId).where('kind', '=', 'policy_attestation').select('id').execute();
    expect(agentNotes).toHaveLength(0);
    // A week after the version took effect: one overdue reminder each, once.
    const later = new Date(Date.now() + 8 * 86_400_000);
    const overdue = await sendAttestationReminders({ db: services.database.db, mailer: services.mailer, publicUrl: 'https://desk.example' }, later);
    expect(overdue.overdue).toBeGreaterThanOrEqual(1);
    expect(overdue.due).toBe(0);
    expect(await sendAttestationReminders({ db: services.database.db, mailer: services.mailer, publicUrl: 'https://desk.example' }, later)).toEqual({ due: 0, overdue: 0 });
    const leadNotesLater = await services.database.db.selectFrom('notifications').where('user_id', '=', lead.userId).where('kind', '=', 'policy_attestation').select('id').execute();
    expect(leadNotesLater).toHaveLength(2);
    // The officer is not in the audience: never reminded.
    const officerNotes = await services.database.db.selectFrom('notifications').where('user_id', '=', officer.userId).where('kind', '=', 'policy_attestation').select('id').execute();
    expect(officerNotes).toHaveLength(0);
  });

  it('the generated part changes when a setting changes', async () => {
    const read = async () => (await mine(agent)).current!.generatedHtml;
    const before = await read();
    expect(before).toContain('warned about');
    const res = await req(admin, 'PUT', '/api/organization/dlp-policy', { actions: {}, cardRedaction: 'last4', replyMode: 'block' });
    expect(res.statusCode, res.body).toBe(200);
    const after = await read();
    expect(after).not.toEqual(before);
    expect(after).toContain('blocked: it must go as a secure message');
    expect(after).toContain('last four digits');
  });

  it('the public policy is read without signing in; the footer and the sensitive-data notice follow it', async () => {
    expect((await req(null, 'GET', `/api/portal/policy?organizationId=${org.orgId}`)).json()).toMatchObject({ policy: null, guidance: expect.stringContaining('never ask for your full card number') });
    expect((await req(null, 'GET', `/api/portal/policy?organizationId=${randomUUID()}`)).statusCode).toBe(404);
    expect((await draft(admin, 'public', 'We keep your data **safe**. <iframe src=x></iframe>')).statusCode).toBe(200);
    expect((await publish(admin, 'public')).statusCode).toBe(201);
    const pub = (await req(null, 'GET', `/api/portal/policy?organizationId=${org.orgId}`)).json();
    expect(pub.policy.html).toContain('<strong>safe</strong>');
    expect(pub.policy.html).not.toMatch(/<iframe/i);
    expect((await req(null, 'GET', `/api/portal/policy?organizationId=${other.orgId}`)).json().policy).toBeNull();

    const address = `desk-${kind}-${randomUUID().slice(0, 6)}@policy.example`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, team);
    const deps = await createHelpdeskDeps(services);
    const hooks = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 0, verdict: 'clean' as const, reasons: [] }) };
    const ingest = (n: number, body: string) => ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, {
      raw: Buffer.from(`From: Ada <ada-${kind}@reader.example>\r\nTo: ${address}\r\nSubject: My order ${n}\r\nMessage-ID: <policy-${kind}-${n}@reader.example>\r\n\r\n${body}\r\n`),
      mailFrom: `ada-${kind}@reader.example`, rcptTo: [address],
    }, [{ id: mailboxId, orgId: org.orgId, address, teamId: team }]);
    const [first] = await ingest(1, 'My card is 4111 1111 1111 1111, please refund.');
    await ingest(2, 'And my other card 5555 5555 5555 4444.');
    await ingest(3, 'Just a question, nothing sensitive.');
    const sent: ComposedMail[] = [];
    await processOutboundQueue(deps, { send: async (m) => (sent.push(m), { delivery: 'sent' as const }) }, { limit: 100, blobs: new MemoryBlobStore() });
    const notices = sent.filter((m) => m.text.includes('We removed it before storing your message'));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.headers['Auto-Submitted']).toBe('auto-replied');
    // Every customer mail ends with the guidance and the policy's address.
    const link = `/portal/policy?org=${org.orgId}`;
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const m of sent) expect(m.text).toContain(link);
    expect(sent.map((m) => m.text).join('\n')).not.toMatch(/4111 1111 1111 1111|5555 5555 5555 4444/);
    // Mail sent outside the queue (a verification code) carries the same footer.
    const verify = await req(agent, 'POST', `/api/tickets/${first && 'ticketId' in first ? first.ticketId : ''}/verifications`, { channel: 'email' });
    expect(verify.statusCode, verify.body).toBe(201);
    expect((services.mailer as MemoryMailer).last(`ada-${kind}@reader.example`)?.text).toContain(link);
  });
});
