import { randomUUID } from 'node:crypto';
import { unzipSync, strFromU8 } from 'fflate';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { requireVerificationForReveal } from '../../helpdesk/verification/verification.service.js';
import { buildEvidenceBundle, zipBundle } from './bundle.js';
import { createIncident } from './incidents.service.js';
import { verifyBundleZip } from './testing.js';

const ADDRESS = 'support@incidents-test.example';
const message = (from: string, subject: string) =>
  Buffer.from([`From: ${from}`, `To: ${ADDRESS}`, `Subject: ${subject}`, `Message-ID: <${randomUUID()}@sender.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Please confirm your account details at the link.', ''].join('\r\n'));

describe.each(testDatabaseKinds)('security incidents on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  let agent: SignedIn;
  let officer: SignedIn;
  let auditor: SignedIn;
  let admin: SignedIn;
  let reportId: string;
  let ticketId: string;
  let otherTicketId: string;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: appRoutes });
    await app.ready();
    org = await buildOrg(services);
    other = await buildOrg(services);
    const team = await buildTeam(services, org);
    const mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    auditor = await signIn(app, org, { roles: ['auditor'] });
    admin = await signIn(app, org, { roles: ['administrator'] });
    const deps = await createHelpdeskDeps(services);
    const hooks = createDefaultHooks({ db: services.database.db, keyring: services.keyring, mailer: services.mailer });
    const ingest = async (orgId: string, box: string, teamId: string | null, raw: Buffer) =>
      (await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'x@sender.example', rcptTo: [ADDRESS] }, [{ id: box, orgId, address: ADDRESS, teamId }]))[0]!;
    const t = await ingest(org.orgId, mailbox, team, message('Billing <billing@pay-verify.example>', 'Your invoice'));
    if (!('messageId' in t)) throw new Error('expected a ticket');
    ticketId = t.ticketId;
    const rep = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/messages/${t.messageId}/report-phishing`, headers: agent.headers, payload: {} });
    expect(rep.statusCode).toBe(201);
    reportId = rep.json().reportId;
    const otherBox = await seedMailbox(services.database.db, other.orgId, 'help@other-org.example', null);
    const o = await ingest(other.orgId, otherBox, null, message('someone@else.example', 'Hello'));
    otherTicketId = (o as { ticketId: string }).ticketId;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const post = (who: SignedIn | Record<string, string>, url: string, payload?: unknown, method: 'POST' | 'PUT' | 'PATCH' = 'POST') =>
    app.inject({ method, url, headers: 'headers' in who ? (who as SignedIn).headers : (who as Record<string, string>), ...(payload === undefined ? {} : { payload: payload as object }) });

  it('opens an incident from a phishing report with its evidence, once per report, and audits every change', async () => {
    const res = await post(officer, '/api/incidents', { source: { kind: 'phishing_report', id: reportId } });
    expect(res.statusCode).toBe(201);
    const inc = res.json();
    expect(inc).toMatchObject({ type: 'phishing_reported', status: 'new', ownerId: officer.userId, sourceKind: 'phishing_report' });
    expect(inc.evidence.map((e: { kind: string }) => e.kind).sort()).toEqual(['phishing_report', 'quarantine', 'ticket', 'user']);
    expect(inc.evidence.find((e: { kind: string }) => e.kind === 'user').ref).toBe(agent.userId);
    // A second click opens the same incident.
    expect((await post(officer, '/api/incidents', { source: { kind: 'phishing_report', id: reportId } })).json().id).toBe(inc.id);
    // The auditor reads, never writes.
    expect((await app.inject({ url: `/api/incidents/${inc.id}`, headers: auditor.headers })).statusCode).toBe(200);
    expect((await post(auditor, `/api/incidents/${inc.id}/notes`, { text: 'x' })).statusCode).toBe(403);
    const note = await post(officer, `/api/incidents/${inc.id}/notes`, { text: 'Reporter says they did not click.' });
    expect(note.json().timeline.at(-1)).toMatchObject({ kind: 'note', text: 'Reporter says they did not click.', actorId: officer.userId });
    await services.audit.flush();
    const actions = await services.database.db.selectFrom('audit_log').where('object_type', '=', 'incident').where('object_id', '=', inc.id).select('action').execute();
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['incident.create', 'incident.note', 'incident.read']));
    // Notes are stored encrypted.
    const raw = await services.database.db.selectFrom('incident_events').where('incident_id', '=', inc.id).where('kind', '=', 'note').select('text_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(raw.text_enc!).toString('latin1')).not.toContain('did not click');
  });

  it('refuses another organisation’s evidence, invalid transitions and malformed input', async () => {
    const inc = (await post(officer, '/api/incidents', { type: 'data_exposure', severity: 'high', title: 'Spreadsheet sent to the wrong address' })).json();
    const foreign = await post(officer, `/api/incidents/${inc.id}/evidence`, { kind: 'ticket', ref: otherTicketId });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect((await post(officer, `/api/incidents/${inc.id}/evidence`, { kind: 'ticket', ref: randomUUID() })).statusCode).toBe(404);
    expect((await post(officer, '/api/incidents', { type: 'other', title: 'x y z', evidence: [{ kind: 'ticket', ref: otherTicketId }] })).statusCode).toBe(404);
    expect((await post(officer, `/api/incidents/${inc.id}/evidence`, { kind: 'ticket', ref: ticketId })).statusCode).toBe(200);
    expect((await post(officer, `/api/incidents/${inc.id}/evidence`, { kind: 'ticket', ref: ticketId })).statusCode).toBe(409);
    // An insider alert must be one of the organisation's, like everything else.
    expect((await post(officer, `/api/incidents/${inc.id}/evidence`, { kind: 'insider_alert', ref: randomUUID() })).statusCode).toBe(404);
    // Another organisation's officer cannot see or touch it.
    const stranger = await signIn(app, other, { roles: ['security_officer'] });
    expect((await app.inject({ url: `/api/incidents/${inc.id}`, headers: stranger.headers })).statusCode).toBe(404);
    expect((await post(stranger, `/api/incidents/${inc.id}/transition`, { to: 'triage', reason: 'mine now' })).statusCode).toBe(404);
    // Transitions: only the allowed moves, each with a reason; resolved → triage reopens.
    expect((await post(officer, `/api/incidents/${inc.id}/transition`, { to: 'triage' })).statusCode).toBe(400);
    expect((await post(officer, `/api/incidents/${inc.id}/transition`, { to: 'new', reason: 'back to start' })).statusCode).toBe(409);
    expect((await post(officer, `/api/incidents/${inc.id}/transition`, { to: 'resolved', reason: 'false alarm after all' })).json().status).toBe('resolved');
    expect((await post(officer, `/api/incidents/${inc.id}/transition`, { to: 'contained', reason: 'nope' })).statusCode).toBe(409);
    const reopened = (await post(officer, `/api/incidents/${inc.id}/transition`, { to: 'triage', reason: 'the recipient replied' })).json();
    expect(reopened).toMatchObject({ status: 'triage', resolvedAt: null });
    expect(reopened.timeline.filter((t: { kind: string }) => t.kind === 'status').map((t: { text: string }) => t.text)).toEqual(['false alarm after all', 'the recipient replied']);
    // Malformed input: unknown type, extra property, bad id.
    for (const body of [{ type: 'meteor', title: 'abc' }, { type: 'other', title: 'abc', admin: true }, { type: 'other', title: 'ab' }, { source: { kind: 'phishing_report', id: 'nope' } }]) {
      const bad = await post(officer, '/api/incidents', body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
    }
    expect((await app.inject({ url: '/api/incidents/not-a-uuid', headers: officer.headers })).statusCode).toBe(400);
    // Filters.
    const listed = (await app.inject({ url: '/api/incidents?severity=high&type=data_exposure', headers: auditor.headers })).json().items;
    expect(listed.map((i: { id: string }) => i.id)).toContain(inc.id);
    expect(listed.every((i: { severity: string }) => i.severity === 'high')).toBe(true);
  });

  it('refuses a write with a read-only API token', async () => {
    const owner = await buildUser(services, org, { roles: ['security_officer'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'ro', scopes: ['incidents.read'], expiresInDays: 1, kind: 'personal' });
    const headers = { authorization: `Bearer ${token}` };
    expect((await app.inject({ url: '/api/incidents', headers })).statusCode).toBe(200);
    expect((await post(headers, '/api/incidents', { type: 'other', title: 'from a token' })).statusCode).toBe(403);
  });

  it('contains: ends a session for real, refuses the last administrator and other organisations, blocks a sender, requires verification', async () => {
    const victim = await signIn(app, org, { roles: ['agent'] });
    const inc = (await post(officer, '/api/incidents', { type: 'account_compromise', title: 'Agent password phished' })).json();
    expect((await app.inject({ url: '/api/auth/me', headers: victim.headers })).statusCode).toBe(200);
    const ended = await post(officer, `/api/incidents/${inc.id}/containment`, { action: 'end_sessions', targetId: victim.userId, reason: 'password typed into the phishing page' });
    expect(ended.statusCode).toBe(200);
    expect(ended.json().outcome.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await app.inject({ url: '/api/auth/me', headers: victim.headers })).statusCode).toBe(401);
    // The last administrator cannot be suspended; another organisation's user is not found.
    const lastAdmin = await post(officer, `/api/incidents/${inc.id}/containment`, { action: 'suspend_account', targetId: admin.userId, reason: 'try to lock everyone out' });
    expect(lastAdmin.statusCode).toBe(409);
    const stranger = await buildUser(services, other, { roles: ['agent'] });
    for (const action of ['end_sessions', 'suspend_account', 'revoke_tokens']) {
      expect((await post(officer, `/api/incidents/${inc.id}/containment`, { action, targetId: stranger.userId, reason: 'cross-organisation' })).statusCode, action).toBe(404);
    }
    expect((await post(officer, `/api/incidents/${inc.id}/containment`, { action: 'suspend_account', targetId: victim.userId, reason: 'until the password is reset' })).statusCode).toBe(200);
    expect((await services.database.db.selectFrom('users').where('id', '=', victim.userId).select('status').executeTakeFirstOrThrow()).status).toBe('deactivated');
    expect((await post(officer, `/api/incidents/${inc.id}/containment`, { action: 'revoke_tokens', targetId: victim.userId, reason: 'tokens too' })).json().outcome).toEqual({ tokensRevoked: 0 });
    const blocked = await post(officer, `/api/incidents/${inc.id}/containment`, { action: 'block_sender', value: 'pay-verify.example', reason: 'the phishing domain' });
    expect(blocked.json().outcome.entryType).toBe('domain');
    expect(await services.database.db.selectFrom('sender_lists').where('id', '=', blocked.json().outcome.senderListEntryId).where('kind', '=', 'block').where('status', '=', 'active').select('id').executeTakeFirst()).toBeTruthy();
    const customer = (await services.database.db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow()).requester_id!;
    expect((await post(officer, `/api/incidents/${inc.id}/containment`, { action: 'require_verification', targetId: customer, reason: 'their mailbox may be compromised' })).statusCode).toBe(200);
    // From now on a reveal needs a new verification, although the organisation's policy does not ask for one.
    await expect(requireVerificationForReveal(services.database.db, { orgId: org.orgId, customerId: customer })).rejects.toMatchObject({ code: 'forbidden' });
    const detail = (await app.inject({ url: `/api/incidents/${inc.id}`, headers: officer.headers })).json();
    expect(detail.timeline.filter((t: { kind: string }) => t.kind === 'containment').map((t: { detail: { action: string } }) => t.detail.action)).toEqual(['end_sessions', 'suspend_account', 'revoke_tokens', 'block_sender', 'require_verification']);
    // The blocked value (maybe a customer's address) is not on the timeline.
    expect(JSON.stringify(detail.timeline)).not.toContain('pay-verify.example');
    expect(detail.evidence.map((e: { kind: string }) => e.kind).sort()).toEqual(['customer', 'user']);
  });

  it('keeps the breach record with its 72-hour clock, hands off to IT and exports a bundle that verifies offline', async () => {
    await services.database.db.insertInto('webhook_subscriptions').values({ id: randomUUID(), org_id: org.orgId, url: 'https://it.example/hook', events: ['incident.created', 'incident.updated'], secret_enc: await services.keyring.encrypt({ type: 'organization', id: org.orgId }, { table: 'webhook_subscriptions', column: 'secret_enc', rowId: randomUUID() }, 'whsec') }).execute();
    expect((await post(officer, '/api/incident-settings', { itEmail: 'it@msp.example', dpoContact: 'dpo@org.example' }, 'PUT')).statusCode).toBe(200);
    const inc = (await post(officer, '/api/incidents', { type: 'data_exposure', title: 'Customer list exposed', evidence: [{ kind: 'ticket', ref: ticketId }] })).json();
    const awareAt = new Date(Date.now() - 80 * 3600_000).toISOString();
    const marked = await post(officer, `/api/incidents/${inc.id}/breach`, { awareAt, record: { nature: 'A list was mailed to the wrong recipient.' } }, 'PUT');
    expect(marked.statusCode).toBe(200);
    const b = marked.json().breach;
    expect(new Date(b.deadlineAt).getTime() - new Date(b.awareAt).getTime()).toBe(72 * 3600_000);
    expect(b).toMatchObject({ overdue: true, computed: { subjects: 1, records: 1 }, record: { dpoContact: 'dpo@org.example' } });
    expect((await post(officer, `/api/incidents/${inc.id}/breach`, { awareAt: new Date().toISOString() }, 'PUT')).statusCode).toBe(409);
    expect((await post(officer, `/api/incidents/${inc.id}/breach`, { notifySubjects: 'do_not_notify' }, 'PUT')).statusCode).toBe(400);
    const notified = (await post(officer, `/api/incidents/${inc.id}/breach`, { notifySubjects: 'do_not_notify', record: { notifySubjectsReason: 'the data was encrypted' }, authorityNotifiedAt: new Date().toISOString() }, 'PUT')).json();
    expect(notified.breach).toMatchObject({ overdue: false, notifySubjects: 'do_not_notify' });
    const md = await app.inject({ url: `/api/incidents/${inc.id}/breach-record?format=markdown`, headers: auditor.headers });
    expect(md.headers['content-disposition']).toContain('.md');
    expect(md.body).toContain('A list was mailed to the wrong recipient.');
    expect(md.body).toContain('the data was encrypted');
    const hand = await post(officer, `/api/incidents/${inc.id}/handoff`);
    expect(hand.json()).toEqual({ emailedTo: 'it@msp.example', webhookQueued: true });
    const mail = (services.mailer as MemoryMailer).last('it@msp.example')!;
    expect(mail.text).toContain(`/incidents/${inc.id}`);
    expect(mail.text).not.toContain('wrong recipient');
    const events = await services.database.db.selectFrom('webhook_deliveries').where('org_id', '=', org.orgId).select(['event_type', 'payload']).execute();
    expect(events.map((e) => e.event_type)).toEqual(expect.arrayContaining(['incident.created', 'incident.updated']));
    expect(JSON.stringify(events.map((e) => e.payload))).not.toContain('Customer list exposed');
    // The bundle: incident entries with inclusion proofs against a signed checkpoint; verified by the CLI.
    const zip = await app.inject({ url: `/api/incidents/${inc.id}/bundle`, headers: auditor.headers });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const ok = await verifyBundleZip(zip.rawPayload);
    expect(ok.text).toContain('OK');
    expect(ok.code).toBe(0);
    const tampered = await verifyBundleZip(zip.rawPayload, (files) => {
      files['proofs.jsonl'] = (files['proofs.jsonl'] as string).replace('"incident.breach.mark"', '"incident.breach.undo"');
    });
    expect(tampered.code).toBe(3);
    const dropped = await verifyBundleZip(zip.rawPayload, (files) => {
      files['proofs.jsonl'] = (files['proofs.jsonl'] as string).split('\n').slice(1).join('\n');
    });
    expect(dropped.code).toBe(3);
    // What `trustdesk incidents export` writes (the operator as a system actor) verifies too.
    const exported = await buildEvidenceBundle({ db: services.database.db, keyring: services.keyring, audit: services.audit, publicUrl: '', database: services.database }, { orgId: org.orgId, actor: { type: 'system', id: 'cli' } }, inc.id);
    expect((await verifyBundleZip(zipBundle(exported))).code).toBe(0);
    // No customer plaintext in the bundle's incident document.
    const doc = JSON.parse(strFromU8(Object.entries(unzipSync(zip.rawPayload)).find(([n]) => n.endsWith('incident.json'))![1]));
    expect(doc.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'ticket', ref: ticketId })]));
    expect(JSON.stringify(doc)).not.toContain('wrong recipient');
    // Watermarked in its manifest: who exported it, when, from which device (none registered here; decision 0217).
    expect(doc.watermark).toMatchObject({ exportedBy: { id: auditor.userId, email: auditor.email }, device: null });
    expect(doc.watermark.exportedAt).toBe(doc.exportedAt);
  });

  it('opens from a failed simulation and from an insider alert through the service', async () => {
    const db = services.database.db;
    const box = await seedMailbox(db, org.orgId, `sim-${randomUUID().slice(0, 6)}@incidents-test.example`, null);
    const campaign = randomUUID();
    await db.insertInto('simulation_campaigns').values({ id: campaign, org_id: org.orgId, name: 'c', template_id: 'shared-document', mailbox_id: box, sender_domain: 'share.example', banner: 'none', starts_at: new Date(), window_minutes: 0, ends_at: new Date(Date.now() + 86400_000) }).execute();
    const clicked = randomUUID();
    const ignored = randomUUID();
    for (const [id, user] of [[clicked, agent.userId], [ignored, admin.userId]] as const) {
      await db.insertInto('simulation_recipients').values({ id, org_id: org.orgId, campaign_id: campaign, user_id: user, customer_name: 'Pat', scheduled_at: new Date() }).execute();
    }
    await db.insertInto('simulation_events').values({ id: randomUUID(), org_id: org.orgId, recipient_id: clicked, type: 'clicked', discounted_reason: null }).execute();
    const inc = (await post(officer, '/api/incidents', { source: { kind: 'simulation', id: clicked } })).json();
    expect(inc).toMatchObject({ type: 'phishing_clicked' });
    expect(inc.evidence.map((e: { kind: string; ref: string }) => `${e.kind}:${e.ref}`)).toEqual(expect.arrayContaining([`user:${agent.userId}`, `simulation_recipient:${clicked}`]));
    expect((await post(officer, '/api/incidents', { source: { kind: 'simulation', id: ignored } })).statusCode).toBe(409);
    const alert = randomUUID();
    await db.insertInto('insider_alerts').values({ id: alert, org_id: org.orgId, rule: 'volume', user_id: agent.userId, explanation: 'Many reveals this hour', evidence: JSON.stringify([]), facts: JSON.stringify({}), since: new Date(), raised_at: new Date(), event_idx: 1 }).execute();
    const officerPrincipal = { principal: { kind: 'session' as const, userId: officer.userId, orgId: org.orgId, email: '', name: '', permissions: new Map(), roleKeys: [], teamIds: [], mfaAt: new Date(), mfaMethod: 'webauthn', stepUpAt: null, requirePhishingResistant: false, ip: '127.0.0.1' }, client: { ip: '127.0.0.1', userAgent: null, requestId: 'alert' } };
    const fromAlert = await createIncident({ db, keyring: services.keyring, audit: services.audit, publicUrl: 'https://td.example' }, officerPrincipal, { source: { kind: 'insider_alert', id: alert }, severity: 'high' });
    expect(fromAlert.created).toBe(true);
    const viewed = (await app.inject({ url: `/api/incidents/${fromAlert.id}`, headers: officer.headers })).json();
    expect(viewed).toMatchObject({ type: 'insider_alert', severity: 'high', sourceKind: 'insider_alert', sourceId: alert });
    expect(viewed.evidence).toEqual([expect.objectContaining({ kind: 'insider_alert', ref: alert })]);
    // The alert now points at its incident; another organisation's alert cannot be escalated here.
    expect((await db.selectFrom('insider_alerts').where('id', '=', alert).select('incident_id').executeTakeFirstOrThrow()).incident_id).toBe(fromAlert.id);
    expect((await post(officer, '/api/incidents', { source: { kind: 'insider_alert', id: randomUUID() } })).statusCode).toBe(404);
  });
});
