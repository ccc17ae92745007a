/**
 * Organisations as tenants (decision 0202): creation with its collisions,
 * rename, suspension (staff sign-in and sessions, API tokens, inbound SMTP, the
 * portal, the chat widget and service-token creation refused; data kept),
 * resumption, and deletion that leaves nothing of the organisation readable in
 * a dump while the other organisation reads on. Service accounts' scoped tokens.
 */
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { KeyDestroyedError } from '../../platform/errors.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../../helpdesk/mail/smtp-server.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { buildTeam, buildUser, signInAs, TEST_PASSWORD, type TestOrg } from '../auth/testing.js';
import { CLI_OPERATOR, createOrganization, deleteOrganization, findOrganization, listOrganizations, renameOrganization, resumeOrganization, suspendOrganization } from './lifecycle.js';
import { createServiceToken } from './service-accounts.js';

const A = { org: 'Harbour Dental', address: 'help@harbour-dental.example', customer: 'Philippa Quarrington', email: 'philippa.q@patients.example', word: 'orthodonticzebra', staff: 'reception@harbour-dental.example' };
const B = { org: 'Mill Lane Bakery', address: 'orders@mill-lane.example', customer: 'Bartholomew Crumb', email: 'bart.crumb@customers.example', word: 'sourdoughquasar' };

describe('organisations as tenants', () => {
  let s: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  let inbound: InboundSmtpServer;
  let smtpPort = 0;
  const blobs = new MemoryBlobStore();
  const orgDeps = () => ({ db: s.database.db, audit: s.audit, keyring: s.keyring, blobs });

  async function tenant(name: string, address: string): Promise<TestOrg & { teamId: string }> {
    const o = await createOrganization(orgDeps(), CLI_OPERATOR, { name });
    const roles = await s.database.db.selectFrom('roles').where('org_id', '=', o.id).select(['id', 'key']).execute();
    const org = { orgId: o.id, roleIds: Object.fromEntries(roles.map((r) => [r.key, r.id])) };
    const teamId = await buildTeam(s, org, 'Front desk');
    await seedMailbox(s.database.db, o.id, address, teamId);
    return { ...org, teamId };
  }

  const send = (from: string, to: string, subject: string, text: string) =>
    nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({ from, to, subject, text });

  let a: TestOrg & { teamId: string };
  let b: TestOrg & { teamId: string };

  beforeAll(async () => {
    s = await createTestServices('pglite');
    app = await buildApp({ services: s, schemaCache: testSchemaCache, routes: appRoutes });
    await app.ready();
    deps = await createHelpdeskDeps(s);
    inbound = createInboundSmtpServer({ deps, hooks: createDefaultHooks(), blobs, maxBytes: 1024 * 1024 });
    smtpPort = await inbound.listen(0, '127.0.0.1');
    a = await tenant(A.org, A.address);
    b = await tenant(B.org, B.address);
  });
  afterAll(async () => {
    await inbound?.close();
    await app?.close();
    await s?.close();
  });

  it('creates with a slug, refuses colliding names and slugs, renames; each change in the organisation’s trail and creation in the installation’s', async () => {
    const db = s.database.db;
    const listed = await listOrganizations(db);
    expect(listed.map((o) => [o.slug, o.status])).toEqual([['harbour-dental', 'active'], ['mill-lane-bakery', 'active']]);
    await expect(createOrganization(orgDeps(), CLI_OPERATOR, { name: 'harbour  DENTAL' })).rejects.toThrow(/named "Harbour Dental" exists/);
    await expect(createOrganization(orgDeps(), CLI_OPERATOR, { name: 'Harbour Dental Two', slug: 'mill-lane-bakery' })).rejects.toThrow(/slug "mill-lane-bakery" is taken/);
    await expect(createOrganization(orgDeps(), CLI_OPERATOR, { name: 'X', slug: 'Not A Slug!' })).rejects.toThrow(/lower-case letters/);
    await expect(renameOrganization(orgDeps(), CLI_OPERATOR, 'harbour-dental', { name: B.org })).rejects.toThrow(/exists already/);
    const renamed = await renameOrganization(orgDeps(), CLI_OPERATOR, a.orgId, { slug: 'harbour' });
    expect(renamed.slug).toBe('harbour');
    expect((await findOrganization(db, 'harbour')).id).toBe(a.orgId);

    const trail = await db.selectFrom('audit_log').where('object_id', '=', a.orgId).select(['org_id', 'action']).orderBy('seq').execute();
    expect(trail).toEqual([
      { org_id: a.orgId, action: 'organization.create' },
      { org_id: null, action: 'installation.organization.create' },
      { org_id: a.orgId, action: 'organization.rename' },
    ]);
  });

  it('a service account’s token does what its scopes say and nothing else; unknown scopes are refused by name', async () => {
    await expect(createServiceToken(orgDeps(), CLI_OPERATOR, { org: b.orgId, name: 'provisioner', scopes: ['tickets.read', 'tickets.fly'], expiresInDays: 30 })).rejects.toThrow(/Unknown scope: tickets\.fly\. Known scopes: .*tickets\.read/);
    const t = await createServiceToken(orgDeps(), CLI_OPERATOR, { org: 'mill-lane-bakery', name: 'provisioner', scopes: ['tickets.read'], expiresInDays: 30 });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await app.inject({ url: '/api/tickets', headers: auth })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/teams', headers: auth, payload: { name: 'Night shift' } })).statusCode).toBe(403);
    // The same account, asked again with a wider scope: its role grows, the old token stays narrow.
    const wider = await createServiceToken(orgDeps(), CLI_OPERATOR, { org: b.orgId, name: 'provisioner', scopes: ['teams.manage'], expiresInDays: 30 });
    expect(wider.accountId).toBe(t.accountId);
    expect((await app.inject({ method: 'POST', url: '/api/teams', headers: { authorization: `Bearer ${wider.token}` }, payload: { name: 'Night shift' } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/api/teams', headers: auth, payload: { name: 'Night shift 2' } })).statusCode).toBe(403);
    // The account cannot sign in: it has no password.
    const account = await s.database.db.selectFrom('users').where('id', '=', t.accountId).select(['email', 'password_hash']).executeTakeFirstOrThrow();
    expect(account).toEqual({ email: 'provisioner@mill-lane-bakery.service.invalid', password_hash: null });
  });

  it('suspension refuses sign-in, live sessions, tokens, inbound SMTP (450, the sender retries), portal and chat, and keeps the data; resumption lets them in again', async () => {
    const db = s.database.db;
    await send(`${A.customer} <${A.email}>`, A.address, 'Crown came loose', `My crown came loose, ${A.word}.`);
    const before = await db.selectFrom('tickets').where('org_id', '=', a.orgId).select('id').execute();
    expect(before).toHaveLength(1);
    const staff = await buildUser(s, a, { roles: ['administrator'], email: A.staff });
    const session = await signInAs(app, staff);
    const token = await createServiceToken(orgDeps(), CLI_OPERATOR, { org: a.orgId, name: 'reports', scopes: ['tickets.read'], expiresInDays: 30 });

    await suspendOrganization(orgDeps(), CLI_OPERATOR, 'harbour', { reason: 'unpaid invoice' });
    const signin = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: A.staff, password: TEST_PASSWORD } });
    expect(signin.statusCode).toBe(403);
    expect(signin.json().detail).toMatch(/suspended/);
    // A wrong password learns nothing about the suspension.
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: A.staff, password: 'not the password at all' } });
    expect(wrong.statusCode).toBe(401);
    // Its sessions ended with the suspension.
    expect((await app.inject({ url: '/api/tickets', headers: session.headers })).statusCode).toBe(401);
    const used = await app.inject({ url: '/api/tickets', headers: { authorization: `Bearer ${token.token}` } });
    expect(used.statusCode).toBe(403);
    expect(used.json().detail).toMatch(/suspended/);
    await expect(createServiceToken(orgDeps(), CLI_OPERATOR, { org: a.orgId, name: 'reports', scopes: ['tickets.read'], expiresInDays: 30 })).rejects.toThrow(/suspended/);
    await expect(send(A.email, A.address, 'Still loose', 'Hello?')).rejects.toMatchObject({ responseCode: 450, response: expect.stringMatching(/^450 4\.2\.1 .*suspended/) });
    // Unknown addresses are still refused for good; the other organisation still takes mail.
    await expect(send(A.email, 'nobody@harbour-dental.example', 'x', 'y')).rejects.toMatchObject({ responseCode: 550 });
    await send(`${B.customer} <${B.email}>`, B.address, 'Rye loaf order', `Two loaves please, ${B.word}.`);
    const portal = await app.inject({ url: `/api/portal/organization?organizationId=${a.orgId}` });
    expect(portal.statusCode).toBe(403);
    const chat = await app.inject({ url: `/api/chat/availability?orgId=${a.orgId}&host=${encodeURIComponent('https://harbour.example')}` });
    expect(chat.statusCode).toBe(403);
    expect(chat.json().detail).toMatch(/suspended/);
    expect(await db.selectFrom('tickets').where('org_id', '=', a.orgId).select('id').execute()).toEqual(before);

    await resumeOrganization(orgDeps(), CLI_OPERATOR, a.orgId);
    expect((await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: A.staff, password: TEST_PASSWORD } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/tickets', headers: { authorization: `Bearer ${token.token}` } })).statusCode).toBe(200);
    const actions = await db.selectFrom('audit_log').where('org_id', '=', a.orgId).where('action', 'in', ['organization.suspend', 'organization.resume', 'auth.signin', 'token.use']).where('result', '<>', 'success').select(['action', 'result', 'details']).execute();
    expect(actions.map((x) => [x.action, x.result, (x.details as { reason?: string } | null)?.reason ?? null])).toEqual(
      expect.arrayContaining([['auth.signin', 'denied', 'organization_suspended'], ['token.use', 'denied', 'organization_suspended']]),
    );
  });

  it('deletion needs the slug or id repeated, then leaves nothing of the organisation readable in a dump; the other organisation reads on', async () => {
    const db = s.database.db;
    const bToken = await createServiceToken(orgDeps(), CLI_OPERATOR, { org: b.orgId, name: 'reader', scopes: ['tickets.read'], expiresInDays: 30 });
    const aMessage = await db.selectFrom('messages').where('org_id', '=', a.orgId).select(['id', 'body_enc']).executeTakeFirstOrThrow();
    expect(dumpContains(await dumpAllTables(db), A.address)).toBe(true);

    await expect(deleteOrganization(orgDeps(), CLI_OPERATOR, 'harbour', undefined)).rejects.toThrow(/--confirm harbour/);
    await expect(deleteOrganization(orgDeps(), CLI_OPERATOR, 'harbour', 'mill-lane-bakery')).rejects.toThrow(/--confirm harbour/);
    const r = await deleteOrganization(orgDeps(), CLI_OPERATOR, 'harbour', 'harbour');
    expect(r.keysDestroyed).toBeGreaterThan(0);
    expect(r.purge.remaining).toEqual([]);

    const dump = await dumpAllTables(db);
    for (const needle of [A.org, A.address, A.customer, A.email, A.word, A.staff, 'reports@harbour']) expect(dumpContains(dump, needle), needle).toBe(false);
    // What was copied before cannot be decrypted: every key of the organisation and its customers is destroyed.
    await expect(deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: aMessage.id }, aMessage.body_enc!)).rejects.toBeInstanceOf(KeyDestroyedError);
    const keys = await db.selectFrom('data_keys').innerJoin('data_key_versions', 'data_key_versions.key_id', 'data_keys.id').where('data_keys.owner_id', '=', a.orgId).select(['destroyed_at', 'wrapped']).execute();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toEqual({ destroyed_at: expect.any(Date), wrapped: null });
    // Its rows are gone; its tombstone and audit trail stay; its name and slug are free again.
    for (const table of ['users', 'tickets', 'messages', 'customers', 'mailboxes', 'teams', 'roles', 'api_tokens'] as const) {
      expect(await db.selectFrom(table).where('org_id', '=', a.orgId).select('org_id').execute(), table).toEqual([]);
    }
    expect(await db.selectFrom('organizations').where('id', '=', a.orgId).select(['status', 'name']).executeTakeFirst()).toEqual({ status: 'deleted', name: 'Deleted organisation' });
    // One entry in its own trail, one in the installation's (rows in no guaranteed order).
    const deletions = await db.selectFrom('audit_log').where('object_id', '=', a.orgId).where('action', 'like', '%organization.delete').select('org_id').execute();
    expect(deletions).toHaveLength(2);
    expect(deletions).toEqual(expect.arrayContaining([{ org_id: a.orgId }, { org_id: null }]));
    expect((await listOrganizations(db)).map((o) => o.slug)).toEqual(['mill-lane-bakery']);
    await expect(suspendOrganization(orgDeps(), CLI_OPERATOR, a.orgId)).rejects.toThrow(/deleted/);
    await expect(send(A.email, A.address, 'x', 'y')).rejects.toMatchObject({ responseCode: 550 });

    // The other organisation: its ticket and message decrypt through the API.
    const list = await app.inject({ url: '/api/tickets', headers: { authorization: `Bearer ${bToken.token}` } });
    expect(list.statusCode).toBe(200);
    const [ticket] = list.json().items as Array<{ id: string }>;
    const read = await app.inject({ url: `/api/tickets/${ticket!.id}`, headers: { authorization: `Bearer ${bToken.token}` } });
    expect(read.statusCode).toBe(200);
    expect(read.body).toContain(B.word);
    // A second run finishes nothing more and says so; a new organisation may take the old name.
    const again = await deleteOrganization(orgDeps(), CLI_OPERATOR, a.orgId, a.orgId);
    expect(again).toMatchObject({ keysDestroyed: 0, purge: { remaining: [] } });
    expect((await createOrganization(orgDeps(), CLI_OPERATOR, { name: A.org })).slug).toBe('harbour-dental');
  });
});
