/**
 * Simulations made complete (decision 0197): security officers' own templates (bounds, variables that cannot
 * inject, versions per language), the landing form that records only THAT something was typed, configurable
 * scanner ranges, and the organisation's banner setting.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../platform/app/services.js';
import { randomKekSpec, testConfig, testSchemaCache } from '../../platform/app/testing.js';
import { createLogger } from '../../platform/logging.js';
import { createTestDatabase, testDatabaseKinds } from '../../platform/db/testing.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { EnvKeyProvider } from '../../protection/crypto/key-provider.js';
import { MemoryMailer } from '../../platform/notify/mailer.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { createSimulationRoutes, simulationRoutes } from './simulations.routes.js';
import { createTicketFileRoutes, ticketFileRoutes } from '../../helpdesk/tickets/ticket-files.routes.js';
import { MAX_TEMPLATES_PER_ORG } from './custom-templates.js';
import { createCampaign } from './campaigns.service.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { parseRange, scannerRangeOf } from './settings.js';

const ADDRESS = 'support@sims-complete.example';
const SECRET_TYPED = 'Typed-Secret-Pa55word-7q3z';

const english = {
  language: 'en', fromName: '{{customer.name}}', fromLocalPart: 'orders',
  subject: 'Refund for {{organisation.name}} order',
  body: 'Hello {{agent.name}},\n\nPlease refund my order to this new card today, no time for checks: {{link}}\n\n{{customer.name}}',
  redFlags: [
    { in: 'body', quote: 'this new card', explanation: 'Refunds go back to the original payment method.' },
    { in: 'body', quote: 'no time for checks', explanation: 'Urgency to skip checks.' },
  ],
};
const german = {
  ...english, language: 'de', subject: 'Erstattung für {{organisation.name}}',
  body: 'Hallo {{agent.name}},\n\nbitte erstatten Sie auf diese neue Karte, ohne Prüfung: {{link}}\n\n{{customer.name}}',
  redFlags: [
    { in: 'body', quote: 'diese neue Karte', explanation: 'Erstattungen gehen auf das ursprüngliche Zahlungsmittel.' },
    { in: 'body', quote: 'ohne Prüfung', explanation: 'Druck, die Prüfung zu überspringen.' },
  ],
};
const template = (over: object = {}) => ({ name: 'Refund to a new card', scenario: 'Refund diversion', difficulty: 2, trainingTopic: 'phishing-in-the-queue', defaultLanguage: 'en', versions: [english, german], ...over });

describe('scanner ranges', () => {
  it('parses ranges strictly and finds the one an address is in', () => {
    expect(parseRange('203.0.113.0/24').text).toBe('203.0.113.0/24');
    expect(parseRange('2001:DB8::/32').text).toBe('2001:db8::/32');
    expect(parseRange('198.51.100.7').text).toBe('198.51.100.7/32');
    for (const bad of ['203.0.113.7/24', '203.0.113.0/33', 'not-an-ip', '203.0.113.0/24/1', '10.0.0.0/-1', '']) expect(() => parseRange(bad), bad).toThrow(/not an IP address/);
    expect(scannerRangeOf('203.0.113.200', ['198.51.100.0/24', '203.0.113.0/24'])).toBe('203.0.113.0/24');
    expect(scannerRangeOf('::ffff:203.0.113.5', ['203.0.113.0/24'])).toBe('203.0.113.0/24');
    expect(scannerRangeOf('203.0.114.1', ['203.0.113.0/24'])).toBeNull();
  });
});

describe.each(testDatabaseKinds)('simulations made complete on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let mailbox: string;
  let officer: SignedIn;
  let foreignOfficer: SignedIn;
  let agent: SignedIn;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    services = await openServices({
      config: testConfig(), logger: createLogger({ level: 'debug', destination: sink as never }), migrate: false,
      database: await createTestDatabase(kind), provider: new EnvKeyProvider(randomKekSpec()), mailer: new MemoryMailer(),
    });
    // One blob store for delivery and the console's downloads (the simulated invoice is opened through the latter).
    const blobs = new MemoryBlobStore();
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [...appRoutes.filter((r) => r !== simulationRoutes && r !== ticketFileRoutes), createTicketFileRoutes({ blobs }), createSimulationRoutes({ blobs, deliveryIntervalMs: 0 })] });
    await app.ready();
    org = await buildOrg(services, 'Complete Support');
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    officer = await signIn(app, org, { roles: ['security_officer'] });
    foreignOfficer = await signIn(app, otherOrg, { roles: ['security_officer'] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const db = () => services.database.db;
  const inject = (who: SignedIn | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, remoteAddress?: string) =>
    app.inject({ method, url, ...(who ? { headers: who.headers } : {}), ...(payload !== undefined ? { payload: payload as object } : {}), ...(remoteAddress ? { remoteAddress } : {}) });

  /** Creates a campaign for one agent, delivers it, and returns what the agent received. */
  async function deliver(to: SignedIn, over: object = {}) {
    const created = await inject(officer, 'POST', '/api/simulations/campaigns', { name: 'Check', templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'share-docs.example', windowMinutes: 0, durationDays: 7, targets: { userIds: [to.userId] }, ...over });
    expect(created.statusCode, created.body).toBe(201);
    const campaignId = created.json().id as string;
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/deliver`)).json().delivered).toBe(1);
    const r = await db().selectFrom('simulation_recipients').where('campaign_id', '=', campaignId).selectAll().executeTakeFirstOrThrow();
    const ticket = (await inject(to, 'GET', `/api/tickets/${r.ticket_id}`)).json();
    const body = (ticket.messages as Array<{ id: string; body: string | null }>).find((m) => m.id === r.message_id)!.body ?? '';
    const token = /\/l\/([A-Za-z0-9_-]+)/.exec(body)![1]!;
    // Past the scanner window, so only the rule under test discounts.
    await db().updateTable('simulation_recipients').set({ delivered_at: new Date(Date.now() - 10 * 60_000) }).where('id', '=', r.id).execute();
    return { campaignId, recipientId: r.id, messageId: r.message_id!, ticketId: r.ticket_id!, subject: ticket.subject as string, body, token };
  }
  const eventsOf = async (recipientId: string) => db().selectFrom('simulation_events').where('recipient_id', '=', recipientId).select(['type', 'discounted_reason']).orderBy('created_at').execute();

  it('lets a security officer write, edit and delete templates; nobody else, and never another organisation’s', async () => {
    expect((await inject(agent, 'POST', '/api/simulations/custom-templates', template())).statusCode).toBe(403);
    const created = await inject(officer, 'POST', '/api/simulations/custom-templates', template());
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json().versions.map((v: { language: string }) => v.language)).toEqual(['en', 'de']);
    const listed = (await inject(officer, 'GET', '/api/simulations/templates')).json().items;
    expect(listed.find((t: { id: string }) => t.id === id)).toMatchObject({ custom: true, languages: ['en', 'de'] });
    expect(listed.find((t: { id: string }) => t.id === 'shared-document')).toMatchObject({ custom: false });
    // The preview renders for a sample agent, in a chosen language.
    const preview = (await inject(officer, 'GET', `/api/simulations/templates/${id}/preview?language=de`)).json();
    expect(preview.language).toBe('de');
    expect(preview.text).toContain('Hallo Alex Agent');
    const edited = await inject(officer, 'PUT', `/api/simulations/custom-templates/${id}`, template({ name: 'Refund, edited' }));
    expect(edited.json()).toMatchObject({ name: 'Refund, edited', version: 2 });
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const r = await inject(foreignOfficer, method, `/api/simulations/custom-templates/${id}`, method === 'PUT' ? template() : undefined);
      expect(r.statusCode, method).toBe(404);
    }
    expect((await inject(foreignOfficer, 'GET', `/api/simulations/templates/${id}/preview`)).statusCode).toBe(404);
    expect((await inject(foreignOfficer, 'GET', '/api/simulations/templates')).json().items.some((t: { id: string }) => t.id === id)).toBe(false);
    // Shipped templates are read-only (no route edits them) but can be copied.
    expect((await inject(officer, 'PUT', '/api/simulations/custom-templates/shared-document', template())).statusCode).toBe(400);
    const copy = await inject(officer, 'POST', '/api/simulations/templates/shared-document/copy');
    expect(copy.statusCode).toBe(201);
    expect(copy.json().name).toBe('Copy of Shared document needs a sign-in');
    expect((await inject(officer, 'DELETE', `/api/simulations/custom-templates/${copy.json().id}`)).statusCode).toBe(200);
    expect((await inject(officer, 'GET', `/api/simulations/custom-templates/${copy.json().id}`)).statusCode).toBe(404);
    const audit = await db().selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', 'like', 'simulation.template.%').select('action').execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['simulation.template.create', 'simulation.template.create', 'simulation.template.delete', 'simulation.template.update']);
  });

  it('refuses templates beyond the bounds, with problem+json', async () => {
    const cases: Array<[string, object]> = [
      ['subject too long', template({ versions: [{ ...english, subject: 's'.repeat(201) }] })],
      ['body too long', template({ versions: [{ ...english, body: `{{link}} ${'b'.repeat(8000)}` }] })],
      ['too many flags', template({ versions: [{ ...english, redFlags: Array.from({ length: 13 }, () => english.redFlags[0]) }] })],
      ['a flag not in the text', template({ versions: [{ ...english, redFlags: [...english.redFlags, { in: 'body', quote: 'absent words', explanation: 'x' }] }] })],
      ['an unknown variable', template({ versions: [{ ...english, body: `${english.body} {{customer.password}}` }] })],
      ['no link', template({ versions: [{ ...english, body: 'no link here this new card no time for checks' }] })],
      ['no such training module', template({ trainingTopic: 'no-such-module' })],
      ['default language without a version', template({ defaultLanguage: 'fr' })],
      ['two versions of one language', template({ versions: [english, english] })],
      ['a malformed language', template({ versions: [{ ...english, language: 'en\r\nX' }] })],
    ];
    for (const [name, body] of cases) {
      const r = await inject(officer, 'POST', '/api/simulations/custom-templates', body);
      expect(r.statusCode, name).toBe(400);
      expect(r.headers['content-type'], name).toContain('application/problem+json');
    }
    // At most MAX_TEMPLATES_PER_ORG per organisation.
    const have = (await db().selectFrom('simulation_templates').where('org_id', '=', org.orgId).select('id').execute()).length;
    await db().insertInto('simulation_templates').values(Array.from({ length: MAX_TEMPLATES_PER_ORG - have }, (_, i) => ({
      id: randomUUID(), org_id: org.orgId, name: `Filler ${i}`, scenario: '', difficulty: 1, training_topic: 'phishing-in-the-queue', default_language: 'en', versions: JSON.stringify([english]),
    }))).execute();
    const over = await inject(officer, 'POST', '/api/simulations/custom-templates', template());
    expect(over.statusCode).toBe(400);
    expect(over.json().detail).toMatch(/At most 50 templates/);
    await db().deleteFrom('simulation_templates').where('org_id', '=', org.orgId).where('name', 'like', 'Filler %').execute();
  });

  it('neutralises variables and template text that would inject headers or markup, end to end', async () => {
    const hostile = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: '<script>alert(1)</script>\r\nBcc: boss@x.example' });
    const hostileSession = await signInAs(app, hostile);
    const created = await inject(officer, 'POST', '/api/simulations/custom-templates', template({
      name: 'Hostile',
      versions: [{ ...english, fromName: 'Help\r\nBcc: victim@x.example', fromLocalPart: 'orders\r\nX-Evil: 1', subject: 'Hi {{agent.name}}\r\nX-Injected: yes' }],
    }));
    expect(created.statusCode, created.body).toBe(201);
    const got = await deliver(hostileSession, { templateId: created.json().id });
    const row = await db().selectFrom('messages').where('id', '=', got.messageId).select('raw_enc').executeTakeFirstOrThrow();
    const raw = Buffer.from(await services.keyring.decrypt({ table: 'messages', column: 'raw_enc', rowId: got.messageId }, row.raw_enc!), 'base64').toString('utf8');
    const head = raw.split('\r\n\r\n')[0]!;
    const names = head.split('\r\n').filter((l) => /^[^\s:]+:/.test(l)).map((l) => l.split(':')[0]!.toLowerCase());
    expect(names.sort()).toEqual(['content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to']);
    expect(head).not.toMatch(/^(bcc|x-injected|x-evil):/im);
    expect(got.subject).not.toMatch(/[\r\n]/);
    const page = await inject(null, 'GET', `/l/${got.token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends the version in the organisation’s language, and the landing page shows the same', async () => {
    const id = (await inject(officer, 'POST', '/api/simulations/custom-templates', template({ name: 'Localised' }))).json().id as string;
    const bad = await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'xx_bad' });
    expect(bad.statusCode).toBe(400);
    expect((await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'de' })).statusCode).toBe(200);
    const got = await deliver(agent, { templateId: id });
    expect(got.subject).toBe('Erstattung für Complete Support');
    expect(got.body).toContain('diese neue Karte');
    const page = await inject(null, 'GET', `/l/${got.token}`);
    expect(page.body).toContain('ohne Prüfung');
    // A language the template lacks: its default version.
    await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'fr' });
    const other = await deliver(await signIn(app, org, { roles: ['agent'], teamIds: [team] }), { templateId: id });
    expect(other.subject).toBe('Refund for Complete Support order');
    await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'en' });
  });

  it('sends a person the version in their own language when they chose one; only they set it, from their session', async () => {
    const id = (await inject(officer, 'POST', '/api/simulations/custom-templates', template({ name: 'Per person' }))).json().id as string;
    const reader = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const mine = (await inject(reader, 'GET', '/api/account/language')).json();
    expect(mine).toMatchObject({ language: null, organizationLanguage: 'en' });
    expect(mine.available).toEqual(expect.arrayContaining(['de', 'en']));
    expect((await inject(reader, 'PUT', '/api/account/language', { language: 'de\r\nX' })).statusCode).toBe(400);
    expect((await inject(reader, 'PUT', '/api/account/language', { language: 'de', userId: officer.userId })).statusCode).toBe(400);
    const saved = await inject(reader, 'PUT', '/api/account/language', { language: 'de' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().language).toBe('de');
    expect(await db().selectFrom('audit_log').where('action', '=', 'user.language').where('actor_id', '=', reader.userId).select('id').executeTakeFirst()).toBeDefined();
    // The organisation's language stays English for everyone else.
    expect((await deliver(reader, { templateId: id })).subject).toBe('Erstattung für Complete Support');
    expect((await deliver(agent, { templateId: id })).subject).toBe('Refund for Complete Support order');
    // Back to the organisation's language.
    expect((await inject(reader, 'PUT', '/api/account/language', { language: null })).json().language).toBeNull();
    expect((await deliver(reader, { templateId: id })).subject).toBe('Refund for Complete Support order');
  });

  it('records THAT something was typed on the landing form, never what: not in the database, not in the logs', async () => {
    const typist = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const got = await deliver(typist, { landingForm: 'credentials' });
    const form = await inject(null, 'GET', `/l/${got.token}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post"');
    expect(form.body).toMatch(/type="password"/);
    // No field has a name: a browser submits none of them.
    expect(form.body).not.toMatch(/<input[^>]*\sname=/);
    // A client that sends values anyway (a hand-made request): the body is dropped unread.
    for (const [type, payload] of [['application/x-www-form-urlencoded', `user=a%40b.example&password=${SECRET_TYPED}`], ['text/plain', SECRET_TYPED], ['application/json', JSON.stringify({ password: SECRET_TYPED })]] as const) {
      const res = await app.inject({ method: 'POST', url: `/l/${got.token}`, headers: { 'content-type': type }, payload });
      expect(res.statusCode, type).toBe(200);
      expect(res.body).toContain('This was a phishing simulation');
      expect(res.body).toContain('Nothing you typed left your computer');
    }
    const events = await eventsOf(got.recipientId);
    expect(events.filter((e) => e.type === 'data_entered')).toEqual([{ type: 'data_entered', discounted_reason: null }]);
    const results = (await inject(officer, 'GET', `/api/simulations/campaigns/${got.campaignId}`)).json();
    expect(results.counts.dataEntered).toBe(1);
    expect(results.recipients[0].outcome).toBe('data_entered');
    expect(dumpContains(await dumpAllTables(db()), SECRET_TYPED)).toBe(false);
    expect(logLines.join('')).not.toContain(SECRET_TYPED);
    expect(logLines.length).toBeGreaterThan(0);
    // An unknown token on the form's address: the same "not valid" page, nothing recorded.
    expect((await app.inject({ method: 'POST', url: `/l/${'A'.repeat(30)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'x=1' })).statusCode).toBe(404);
  });

  it('discounts clicks from a configured scanner range, naming the range; malformed ranges are refused', async () => {
    for (const bad of [['not-a-cidr'], ['203.0.113.7/24'], ['10.0.0.0/40'], Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`)]) {
      const r = await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: bad, banner: 'as_real', language: 'en' });
      expect(r.statusCode, bad[0]).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    expect((await inject(agent, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'en' })).statusCode).toBe(403);
    const saved = await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: ['203.0.113.0/24', '2001:db8::/32'], banner: 'as_real', language: 'en' });
    expect(saved.json().scannerRanges).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    // Another organisation's settings are its own.
    expect((await inject(foreignOfficer, 'GET', '/api/simulations/settings')).json().scannerRanges).toEqual([]);
    const clicker = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const got = await deliver(clicker);
    expect((await inject(null, 'GET', `/l/${got.token}`, undefined, '203.0.113.50')).statusCode).toBe(200);
    // The scanner runs script too: still nothing counted.
    expect((await inject(null, 'POST', '/api/simulations/landing/seen', { token: got.token }, '203.0.113.50')).statusCode).toBe(200);
    let results = (await inject(officer, 'GET', `/api/simulations/campaigns/${got.campaignId}`)).json();
    expect(results.counts.clicked).toBe(0);
    expect(results.recipients[0].events.filter((e: { type: string }) => e.type === 'clicked')).toEqual([expect.objectContaining({ discountedReason: 'scanner_range:203.0.113.0/24' })]);
    expect(await db().selectFrom('training_assignments').where('user_id', '=', clicker.userId).select('id').execute()).toEqual([]);
    // The person, from elsewhere: counted.
    await inject(null, 'GET', `/l/${got.token}`, undefined, '198.51.100.20');
    results = (await inject(officer, 'GET', `/api/simulations/campaigns/${got.campaignId}`)).json();
    expect(results.counts.clicked).toBe(1);
    await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'en' });
  });

  it('delivers to the agent’s own mailbox through the relay, shaped like ordinary mail; refused without a relay', async () => {
    const target = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const email = (await db().selectFrom('users').where('id', '=', target.userId).select('email').executeTakeFirstOrThrow()).email;
    const mailer = services.mailer as MemoryMailer;
    const before = mailer.raw.length;
    const tickets = async () => Number((await db().selectFrom('tickets').where('org_id', '=', org.orgId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const ticketsBefore = await tickets();
    const created = await inject(officer, 'POST', '/api/simulations/campaigns', { name: 'Mailbox', templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'share-docs.example', windowMinutes: 0, durationDays: 7, delivery: 'mailbox', targets: { userIds: [target.userId] } });
    expect(created.statusCode, created.body).toBe(201);
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${created.json().id}/deliver`)).json().delivered).toBe(1);
    expect(mailer.raw.length).toBe(before + 1);
    const sent = mailer.raw.at(-1)!;
    expect(sent.envelope).toEqual({ from: 'share-noreply@share-docs.example', to: [email] });
    const text = sent.raw.toString('utf8');
    const head = text.split('\r\n\r\n')[0]!;
    const names = head.split('\r\n').filter((l) => /^[^\s:]+:/.test(l)).map((l) => l.split(':')[0]!.toLowerCase()).sort();
    expect(names).toEqual(['content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to']);
    expect(head).toContain(`To: ${email}`);
    // No ticket in the queue for this path; the link works as in the queue.
    expect(await tickets()).toBe(ticketsBefore);
    const body = Buffer.from(/Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(text)![1]!.replace(/\r\n/g, ''), 'base64').toString('utf8');
    const token = /\/l\/([A-Za-z0-9_-]+)/.exec(body)![1]!;
    expect((await inject(null, 'GET', `/l/${token}`)).statusCode).toBe(200);
    // Without a relay the path is refused up front.
    const ctx = { principal: { orgId: org.orgId, userId: officer.userId } as never, requestId: 't', sourceIp: null };
    await expect(createCampaign(await createHelpdeskDeps(services), ctx as never, { name: 'x', templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'share-docs.example', windowMinutes: 0, durationDays: 1, delivery: 'mailbox', targets: { userIds: [target.userId] } })).rejects.toThrow(/needs an SMTP relay/);
  });

  it('takes the banner from the organisation’s setting unless the campaign chooses one', async () => {
    await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'none', language: 'en' });
    const base = { name: 'Banner', templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'share-docs.example', windowMinutes: 60, durationDays: 7, targets: { userIds: [agent.userId] } };
    const byOrg = await inject(officer, 'POST', '/api/simulations/campaigns', base);
    const chosen = await inject(officer, 'POST', '/api/simulations/campaigns', { ...base, banner: 'as_real' });
    const list = (await inject(officer, 'GET', '/api/simulations/campaigns')).json().items as Array<{ id: string; banner: string }>;
    expect(list.find((c) => c.id === byOrg.json().id)!.banner).toBe('none');
    expect(list.find((c) => c.id === chosen.json().id)!.banner).toBe('as_real');
    await inject(officer, 'PUT', '/api/simulations/settings', { scannerRanges: [], banner: 'as_real', language: 'en' });
  });

  // ---- the invoice attachment that reports when opened (decision 0200) ----------------------------------------

  /** An invoice campaign for `to`, delivered; its recipient row. */
  async function deliverInvoice(to: SignedIn, over: object = {}) {
    const created = await inject(officer, 'POST', '/api/simulations/campaigns', { name: 'Invoice', templateId: 'invoice-attachment', mailboxId: mailbox, senderDomain: 'billing-notice.example', windowMinutes: 0, durationDays: 7, targets: { userIds: [to.userId] }, ...over });
    expect(created.statusCode, created.body).toBe(201);
    const campaignId = created.json().id as string;
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/deliver`)).json().delivered).toBe(1);
    const r = await db().selectFrom('simulation_recipients').where('campaign_id', '=', campaignId).selectAll().executeTakeFirstOrThrow();
    return { campaignId, r };
  }
  const auditOf = async (recipientId: string) => db().selectFrom('audit_log').where('object_id', '=', recipientId).where('action', '=', 'simulation.attachment_open').select(['actor_id']).execute();

  it('delivers the invoice as a harmless PDF through ingest; opening it in the console records attachment_opened, teaches and enrols', async () => {
    const target = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const foreign = await signIn(app, otherOrg, { roles: ['agent'] });
    const { campaignId, r } = await deliverInvoice(target);
    // Ingest stored a real attachment: a PDF, not dangerous, stored (its file scan found nothing to withhold).
    const files = await db().selectFrom('attachments').where('message_id', '=', r.message_id!).select(['id', 'sniffed_type', 'dangerous', 'danger_reasons', 'status', 'size']).execute();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ sniffed_type: 'application/pdf', dangerous: false, status: 'stored' });
    expect(files[0]!.size).toBeLessThanOrEqual(16 * 1024);
    const ticket = (await inject(target, 'GET', `/api/tickets/${r.ticket_id}`)).json();
    const message = (ticket.messages as Array<{ id: string; redactions?: unknown[]; attachments: Array<{ id: string; filename: string | null }> }>).find((m) => m.id === r.message_id)!;
    expect(message.attachments[0]!.filename).toMatch(/^Invoice_[A-Za-z0-9-]+\.pdf$/);
    // Delivery, ingest's scans and the ticket view record no open.
    expect((await eventsOf(r.id)).map((e) => e.type).sort()).toEqual(['delivered', 'opened']);
    const url = `/api/tickets/${r.ticket_id}/attachments/${files[0]!.id}`;

    // Another organisation's agent: not found, nothing recorded.
    expect((await inject(foreign, 'GET', url)).statusCode).toBe(404);
    // The target opens it: the teaching page instead of the file, with this message's red flags.
    const opened = await inject(target, 'GET', url);
    expect(opened.statusCode).toBe(200);
    expect(opened.headers['content-type']).toContain('text/html');
    expect(opened.headers['content-disposition']).toBeUndefined();
    expect(opened.body).toContain('This was a phishing simulation');
    expect(opened.body).toContain('You opened the attachment of a phishing message');
    expect(opened.body).toMatch(/<mark title="Red flag 1">open the attachment today/);
    expect(opened.body).toContain(`href="/tickets/${r.ticket_id}"`);
    expect(opened.body).not.toContain('seen.js');
    expect(await db().selectFrom('training_assignments').where('user_id', '=', target.userId).select(['module_key', 'source']).execute()).toEqual([{ module_key: 'phishing-in-the-queue', source: 'simulation' }]);
    // Again: still one counted open. A colleague opening it is taught too, kept, not counted, not enrolled.
    await inject(target, 'GET', url);
    expect((await inject(lead, 'GET', url)).body).toContain('This was a phishing simulation');
    const events = (await eventsOf(r.id)).filter((e) => e.type === 'attachment_opened');
    expect(events).toEqual([{ type: 'attachment_opened', discounted_reason: null }, { type: 'attachment_opened', discounted_reason: 'opened_by_someone_else' }]);
    expect(await db().selectFrom('training_assignments').where('user_id', '=', lead.userId).select('id').execute()).toEqual([]);
    // Who opened it, in any order (the rows come back in no guaranteed order; CI on PostgreSQL once returned the lead's second).
    expect((await auditOf(r.id)).map((a) => a.actor_id).sort()).toEqual([target.userId, target.userId, lead.userId].sort());
    const results = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(results.counts).toMatchObject({ delivered: 1, attachmentOpened: 1, clicked: 0 });
    expect(results.recipients[0].outcome).toBe('attachment_opened');
    // The awareness score counts it as a failure like a click.
    const me = (await inject(target, 'GET', '/api/awareness/me')).json();
    expect(me.explanation.map((x: { kind: string; points: number }) => [x.kind, x.points])).toContainEqual(['sim_attachment_opened', -12]);
    expect(me.score).toBeLessThan(50);
    // After the campaign's end: shown, kept, counted for nothing.
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/end`)).statusCode).toBe(200);
    await db().deleteFrom('simulation_events').where('recipient_id', '=', r.id).where('type', '=', 'attachment_opened').execute();
    expect((await inject(target, 'GET', url)).body).toContain('This was a phishing simulation');
    expect((await eventsOf(r.id)).filter((e) => e.type === 'attachment_opened')).toEqual([{ type: 'attachment_opened', discounted_reason: 'after_campaign_end' }]);
  });

  it('sends a mailbox the invoice as HTML whose link has a token of its own; forged, early, deactivated and late opens are defined', async () => {
    const target = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    await db().updateTable('users').set({ name: '<script>alert(1)</script>\r\nBcc: x@evil.example' }).where('id', '=', target.userId).execute();
    const mailer = services.mailer as MemoryMailer;
    const { campaignId, r } = await deliverInvoice(target, { delivery: 'mailbox' });
    const text = mailer.raw.at(-1)!.raw.toString('utf8');
    const head = text.split('\r\n\r\n')[0]!;
    expect(head.split('\r\n').filter((l) => /^[^\s:]+:/.test(l)).map((l) => l.split(':')[0]!.toLowerCase()).sort()).toEqual(['content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to']);
    expect(head).toMatch(/Content-Type: multipart\/mixed/);
    const part = /Content-Type: text\/html; charset=utf-8; name="(Invoice_[A-Za-z0-9-]+\.html)"\r\nContent-Disposition: attachment; filename="\1"\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(text);
    expect(part).not.toBeNull();
    const html = Buffer.from(part![2]!.replace(/\r\n/g, ''), 'base64').toString('utf8');
    expect(html.length).toBeLessThanOrEqual(16 * 1024);
    for (const active of ['<script', '<form', 'http-equiv', '<img', '<iframe', 'generator']) expect(html.toLowerCase()).not.toContain(active);
    expect(html.match(/<a /g)).toHaveLength(1);
    const token = /href="[^"]*\/l\/([A-Za-z0-9_-]+)"/.exec(html)![1]!;
    expect(r.attachment_token_hash).not.toBeNull();
    // Forged and malformed tokens: the same "not valid" page, nothing recorded.
    for (const bad of [`${token.slice(0, -2)}zz`, 'short', `${token}<x>`]) expect((await inject(null, 'GET', `/l/${encodeURIComponent(bad)}`)).statusCode).toBe(404);
    expect((await eventsOf(r.id)).map((e) => e.type)).toEqual(['delivered']);
    // Seconds after delivery, no script: a sandbox opening the file; the page's script makes it a person's open.
    const early = await inject(null, 'GET', `/l/${token}`);
    expect(early.statusCode).toBe(200);
    expect(early.body).toContain('You opened the attachment of a phishing message');
    expect(early.body).toContain('seen.js');
    expect(await eventsOf(r.id)).toEqual([{ type: 'delivered', discounted_reason: null }, { type: 'attachment_opened', discounted_reason: 'soon_after_delivery_no_script' }]);
    expect((await inject(null, 'POST', '/api/simulations/landing/seen', { token })).statusCode).toBe(200);
    expect((await eventsOf(r.id)).at(-1)).toEqual({ type: 'attachment_opened', discounted_reason: null });
    expect((await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json().recipients[0].outcome).toBe('attachment_opened');
    expect(await db().selectFrom('training_assignments').where('user_id', '=', target.userId).select('source').execute()).toEqual([{ source: 'simulation' }]);
    // Deactivated since delivery (the mailbox may outlive the account): shown, kept, never counted.
    await db().updateTable('users').set({ status: 'deactivated' }).where('id', '=', target.userId).execute();
    await db().updateTable('simulation_recipients').set({ delivered_at: new Date(Date.now() - 10 * 60_000) }).where('id', '=', r.id).execute();
    expect((await inject(null, 'GET', `/l/${token}`)).statusCode).toBe(200);
    expect((await eventsOf(r.id)).at(-1)).toEqual({ type: 'attachment_opened', discounted_reason: 'deactivated' });
    await db().updateTable('users').set({ status: 'active' }).where('id', '=', target.userId).execute();
    // After the end: kept as after_campaign_end.
    await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/end`);
    await inject(null, 'GET', `/l/${token}`);
    expect((await eventsOf(r.id)).at(-1)).toEqual({ type: 'attachment_opened', discounted_reason: 'after_campaign_end' });
  });

  it('carries an officer’s own attachment per language version: hostile names refused, previewed, delivered and its opening counted', async () => {
    // Copying the shipped invoice keeps its file, now in words the officer can edit.
    const copy = await inject(officer, 'POST', '/api/simulations/templates/invoice-attachment/copy');
    expect(copy.statusCode, copy.body).toBe(201);
    const en = copy.json().versions[0];
    expect(en.attachment).toMatchObject({ filename: 'Invoice_{{document.number}}', button: 'View invoice' });
    const de = {
      ...en, language: 'de', subject: 'ÜBERFÄLLIG: Rechnung im Anhang', body: 'Guten Tag,\n\ndie angehängte Rechnung ist überfällig. Bitte öffnen Sie den Anhang noch heute.\n\nBuchhaltung',
      redFlags: [{ in: 'body', quote: 'öffnen Sie den Anhang noch heute', explanation: 'Ein unerwarteter Anhang von Unbekannten.' }, { in: 'subject', quote: 'ÜBERFÄLLIG', explanation: 'Druck durch Fristen.' }],
      attachment: { filename: 'Rechnung {{document.number}}', title: 'Rechnung für {{organisation.name}}', text: 'Betrag: {{document.amount}}\nFällig am {{document.due}}', button: 'Rechnung ansehen' },
    };
    const body = (over: object) => ({ name: 'Own invoice', scenario: 'x', difficulty: 1, trainingTopic: 'phishing-in-the-queue', defaultLanguage: 'en', versions: [en, { ...de, attachment: { ...de.attachment, ...over } }] });
    const id = copy.json().id as string;
    for (const [name, over] of [
      ['a path', { filename: '../../etc/passwd' }], ['a header', { filename: 'a"\r\nBcc: x@evil.example' }], ['an extension', { filename: 'Rechnung.exe' }],
      ['oversized text', { text: 'x'.repeat(2001) }], ['too many lines', { text: 'Zeile\n'.repeat(60) }], ['{{link}} in the file', { text: '{{link}}' }], ['an unknown field', { script: 'x' }],
    ] as const) {
      const r = await inject(officer, 'PUT', `/api/simulations/custom-templates/${id}`, body(over));
      expect(r.statusCode, name).toBe(400);
      expect(r.headers['content-type'], name).toContain('application/problem+json');
    }
    const saved = await inject(officer, 'PUT', `/api/simulations/custom-templates/${id}`, body({}));
    expect(saved.statusCode, saved.body).toBe(200);
    // Previewable in each language, as the sample agent would get it.
    const preview = (await inject(officer, 'GET', `/api/simulations/templates/${id}/preview?language=de`)).json();
    expect(preview.attachment).toEqual({ filename: 'Rechnung INV-2026-04817.pdf', title: 'Rechnung für Example Support', lines: ['Betrag: EUR 1,280.00', 'Fällig am 2026-03-09'], button: 'Rechnung ansehen' });
    const draft = (await inject(officer, 'POST', '/api/simulations/templates/preview', { template: body({ text: '{{agent.password}}' }), language: 'de' })).json();
    expect(draft.problems.join()).toMatch(/unknown template variable/);
    // A German-speaking agent gets the German file through the queue; opening it counts as the shipped one does.
    const target = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    await inject(target, 'PUT', '/api/account/language', { language: 'de' });
    const { campaignId, r } = await deliverInvoice(target, { templateId: id });
    const files = await db().selectFrom('attachments').where('message_id', '=', r.message_id!).select(['id', 'sniffed_type', 'dangerous']).execute();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ sniffed_type: 'application/pdf', dangerous: false });
    const ticket = (await inject(target, 'GET', `/api/tickets/${r.ticket_id}`)).json();
    const message = (ticket.messages as Array<{ id: string; attachments: Array<{ filename: string | null }> }>).find((m) => m.id === r.message_id)!;
    expect(message.attachments[0]!.filename).toMatch(/^Rechnung [A-Za-z0-9-]+\.pdf$/);
    const opened = await inject(target, 'GET', `/api/tickets/${r.ticket_id}/attachments/${files[0]!.id}`);
    expect(opened.body).toContain('öffnen Sie den Anhang noch heute');
    expect((await eventsOf(r.id)).filter((e) => e.type === 'attachment_opened')).toEqual([{ type: 'attachment_opened', discounted_reason: null }]);
    expect((await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json().recipients[0].outcome).toBe('attachment_opened');
  });
});
