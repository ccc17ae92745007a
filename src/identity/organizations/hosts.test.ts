/**
 * An organisation's own host name (decision 0238): its portal is served there
 * and only there, its customers' links point there, and the name is checked
 * against the installation's certificate when set and at start.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, buildTeam, type TestOrg } from '../auth/testing.js';
import type { Services } from '../../platform/app/services.js';
import { createTestEnvironment, createTestServices } from '../../platform/app/testing.js';
import { cliIn } from '../../platform/cli/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { buildCustomerWithTicket, buildPortalApp, lastCode, nextIp, sessionFrom } from '../../helpdesk/portal/testing.js';
import { generateKeyAndCertificate } from '../sso/x509.js';
import { addressFor, checkOrganizationHosts, customerAddress, isServedOrigin, normalizeHostName, setOrganizationHost } from './hosts.js';
import { CLI_OPERATOR, deleteOrganization } from './lifecycle.js';

describe('host names', () => {
  it('accepts DNS host names in any case and refuses schemes, ports, paths, single labels and bad labels', () => {
    expect(normalizeHostName(' Support.Client-A.example. ')).toBe('support.client-a.example');
    for (const bad of ['https://support.a.example', 'support.a.example:8443', 'support.a.example/portal', 'localhost', '-a.example', 'a_b.example', 'a..example', '10.0.0.1', `${'a'.repeat(64)}.example`, '']) {
      expect(normalizeHostName(bad), bad).toBeNull();
    }
  });

  it('keeps the installation’s scheme and port: the same listener answers', () => {
    expect(addressFor('https://desk.provider.example:8443/', 'support.a.example')).toBe('https://support.a.example:8443');
    expect(addressFor('https://desk.provider.example', 'support.a.example')).toBe('https://support.a.example');
    expect(addressFor('https://desk.provider.example/', null)).toBe('https://desk.provider.example');
  });
});

describe.each(testDatabaseKinds)('an organisation at its own host name on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let a: TestOrg;
  let b: TestOrg;
  let aHost: string;
  let aBase: string;
  const mailer = () => services.mailer as MemoryMailer;
  const deps = () => ({ db: services.database.db, audit: services.audit, publicUrl: services.config.publicUrl });
  const installationHost = () => new URL(services.config.publicUrl).host;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    a = await buildOrg(services, `Harbour ${kind}`);
    b = await buildOrg(services, `Quayside ${kind}`);
    const team = await buildTeam(services, a);
    await buildCustomerWithTicket(services, { orgId: a.orgId, email: 'mina@customer.example', teamId: team });
    aHost = `support-${randomUUID().slice(0, 8)}.harbour.example`;
    const set = await setOrganizationHost(deps(), CLI_OPERATOR, a.orgId, aHost.toUpperCase());
    expect(set).toMatchObject({ hostName: aHost, previous: null, customerPasskeys: 0 });
    aBase = addressFor(services.config.publicUrl, aHost);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const get = (url: string, host: string) => app.inject({ method: 'GET', url, headers: { host } });

  it('its host serves its portal without naming it, and only its own', async () => {
    const here = await get('/api/portal/organization', aHost);
    expect(here.statusCode).toBe(200);
    expect(here.json()).toEqual({ id: a.orgId, name: `Harbour ${kind}` });
    // The Host header as a browser sends it: with the port, in any case.
    expect((await get('/api/portal/organization', `${aHost.toUpperCase()}:443`)).json().id).toBe(a.orgId);

    // Another organisation named on this host is "not here", pointing at its own address.
    const other = await get(`/api/portal/organization?organizationId=${b.orgId}`, aHost);
    expect(other.statusCode).toBe(404);
    expect(other.json().portalUrl).toBe(`${services.config.publicUrl.replace(/\/+$/, '')}/portal`);
    // It is no longer served on the installation's address either; the answer says where.
    const there = await get(`/api/portal/organization?organizationId=${a.orgId}`, installationHost());
    expect(there.statusCode).toBe(404);
    expect(there.json()).toMatchObject({ portalUrl: `${aBase}/portal` });
    expect(there.json().detail).toContain(aHost);
    // The organisation without a host name keeps the installation's address.
    expect((await get(`/api/portal/organization?organizationId=${b.orgId}`, installationHost())).statusCode).toBe(200);
    // Help pages, the request form and the public policy follow the same rule.
    for (const url of ['/api/portal/kb', `/api/portal/request-form`, '/api/portal/policy']) {
      const own = await get(url, aHost);
      expect([200, 404].includes(own.statusCode) && own.json().portalUrl === undefined, `${url} on its host: ${own.statusCode} ${own.body}`).toBe(true);
      const away = await get(`${url}?organizationId=${a.orgId}`, installationHost());
      expect(away.statusCode, url).toBe(404);
      expect(away.json().portalUrl, url).toBe(`${aBase}/portal`);
    }
  });

  it('its host’s root opens the portal, and staff pages go to the installation’s address', async () => {
    const root = await get('/', aHost);
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/portal');
    const staff = await get('/tickets?view=mine', aHost);
    expect(staff.statusCode).toBe(302);
    expect(staff.headers.location).toBe(`${services.config.publicUrl.replace(/\/+$/, '')}/tickets?view=mine`);
    // An address crafted to look like another site stays on the installation's.
    const crafted = await get('//evil.example/x', aHost);
    if (crafted.statusCode === 302) expect(String(crafted.headers.location).startsWith(`${services.config.publicUrl.replace(/\/+$/, '')}/`)).toBe(true);
    // The portal itself is served there; the installation's own host is left alone.
    expect((await get('/portal/signin', aHost)).statusCode).not.toBe(302);
    expect((await get('/', installationHost())).statusCode).not.toBe(302);
    expect((await get('/tickets', installationHost())).statusCode).not.toBe(302);
  });

  it('signs a customer in at its host, with the link mailed for that host; the session is not accepted elsewhere', async () => {
    const refused = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: nextIp(), headers: { host: installationHost() }, payload: { organizationId: a.orgId, email: 'mina@customer.example' } });
    expect(refused.statusCode).toBe(404);
    await services.deferred.drain();
    expect(mailer().last('mina@customer.example')).toBeUndefined();

    const ip = nextIp();
    const start = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: ip, headers: { host: aHost }, payload: { organizationId: a.orgId, email: 'mina@customer.example' } });
    expect(start.statusCode).toBe(202);
    await services.deferred.drain();
    const mail = mailer().last('mina@customer.example')!;
    expect(mail.text).toContain(`${aBase}/portal/signin?link=`);
    expect(mail.text).not.toContain(services.config.publicUrl.replace(/\/+$/, ''));
    const done = await app.inject({ method: 'POST', url: '/api/portal/signin/code', remoteAddress: ip, headers: { host: aHost }, payload: { challengeId: start.json().challengeId, code: lastCode(mailer(), 'mina@customer.example') } });
    expect(done.statusCode).toBe(200);
    const s = sessionFrom(done);
    expect((await app.inject({ method: 'GET', url: '/api/portal/me', headers: { ...s.headers, host: aHost } })).json()).toMatchObject({ organizationId: a.orgId });
    // The same cookie replayed on the installation's address or on another organisation's host: refused.
    expect((await app.inject({ method: 'GET', url: '/api/portal/tickets', headers: { ...s.headers, host: installationHost() } })).statusCode).toBe(404);
    const bHost = `desk-${randomUUID().slice(0, 8)}.quayside.example`;
    await setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, bHost);
    try {
      expect((await app.inject({ method: 'GET', url: '/api/portal/tickets', headers: { ...s.headers, host: bHost } })).statusCode).toBe(404);
      // B's host does not serve A by id either.
      expect((await get(`/api/portal/organization?organizationId=${a.orgId}`, bHost)).statusCode).toBe(404);
    } finally {
      await setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, null);
    }
  });

  it('links for its customers point at its host without ?org=; the others keep the installation’s address with it', async () => {
    expect(await customerAddress({ db: services.database.db, publicUrl: services.config.publicUrl }, a.orgId)).toEqual({ baseUrl: aBase, orgQuery: '' });
    expect(await customerAddress({ db: services.database.db, publicUrl: services.config.publicUrl }, b.orgId)).toEqual({ baseUrl: services.config.publicUrl.replace(/\/+$/, ''), orgQuery: `?org=${b.orgId}` });
    // Chat frames and the portal's chat: this installation's pages are its address and each organisation's host.
    const db = { db: services.database.db, publicUrl: services.config.publicUrl };
    expect(await isServedOrigin(db, new URL(aBase).origin, a.orgId)).toBe(true);
    expect(await isServedOrigin(db, new URL(aBase).origin, b.orgId)).toBe(false);
    expect(await isServedOrigin(db, new URL(services.config.publicUrl).origin)).toBe(true);
    expect(await isServedOrigin(db, 'https://evil.example')).toBe(false);
    expect(await isServedOrigin(db, 'null')).toBe(false);
  });

  it('refuses a bad name, the installation’s own, one another organisation holds, and two operators racing for one', async () => {
    await expect(setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, 'https://x.example/')).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(setOrganizationHost({ ...deps(), publicUrl: 'https://desk.provider.example' }, CLI_OPERATOR, b.orgId, 'Desk.Provider.example')).rejects.toThrow(/installation's own address/);
    await expect(setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, aHost)).rejects.toMatchObject({ code: 'conflict' });
    const contested = `race-${randomUUID().slice(0, 8)}.example`;
    const c = await buildOrg(services, `Pier ${kind}`);
    const results = await Promise.allSettled([setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, contested), setOrganizationHost(deps(), CLI_OPERATOR, c.orgId, contested)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
    const holders = await services.database.db.selectFrom('organizations').where('host_name', '=', contested).select('id').execute();
    expect(holders).toHaveLength(1);
    await setOrganizationHost(deps(), CLI_OPERATOR, holders[0]!.id, null);
    await services.audit.flush();
    const audited = await services.database.db.selectFrom('audit_log').where('org_id', '=', a.orgId).where('action', '=', 'organization.host.set').select('details').execute();
    expect(audited).toEqual([{ details: { hostName: aHost, previous: null } }]);
  });

  it('checks every name against the certificate at start, and a deleted organisation gives its name back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'td-hosts-'));
    const certFor = (cn: string) => {
      const file = path.join(dir, `${cn.replace(/\*/g, 'star')}.pem`);
      writeFileSync(file, generateKeyAndCertificate(cn).certificatePem);
      return file;
    };
    const lines = await checkOrganizationHosts({ db: services.database.db, publicUrl: services.config.publicUrl, tlsCert: certFor(`*.${aHost.split('.').slice(1).join('.')}`) });
    expect(lines).toContain(`Harbour ${kind}: ${aBase}/portal`);
    const slug = (await services.database.db.selectFrom('organizations').where('id', '=', a.orgId).select('slug').executeTakeFirstOrThrow()).slug;
    await expect(checkOrganizationHosts({ db: services.database.db, publicUrl: services.config.publicUrl, tlsCert: certFor('desk.provider.example') })).rejects.toThrow(new RegExp(`${slug}: The TLS certificate .* does not cover ${aHost.replace(/\./g, '\\.')}.*trustdesk orgs host ${slug} --off`, 's'));
    // With a certificate the name is not covered by, it cannot be set either.
    await expect(setOrganizationHost({ ...deps(), tlsCert: certFor('desk.provider.example') }, CLI_OPERATOR, b.orgId, 'help.quayside.example')).rejects.toThrow(/does not cover help\.quayside\.example/);

    const gone = await buildOrg(services, `Wharf ${kind}`);
    const wharf = `help-${randomUUID().slice(0, 8)}.wharf.example`;
    await setOrganizationHost(deps(), CLI_OPERATOR, gone.orgId, wharf);
    const slugOfGone = (await services.database.db.selectFrom('organizations').where('id', '=', gone.orgId).select('slug').executeTakeFirstOrThrow()).slug;
    await deleteOrganization({ ...deps(), keyring: services.keyring }, CLI_OPERATOR, gone.orgId, slugOfGone);
    expect((await get('/api/portal/organization', wharf)).statusCode).toBe(404);
    await setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, wharf);
    await setOrganizationHost(deps(), CLI_OPERATOR, b.orgId, null);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('trustdesk orgs host', () => {
  it('shows, sets and removes the host name, and refuses what the certificate does not cover', async () => {
    const env = await createTestEnvironment('pglite');
    try {
      const cli = cliIn(env);
      env.env.TRUSTDESK_PUBLIC_URL = 'https://desk.provider.example';
      expect((await cli(['setup', '--org', 'Harbour Dental', '--admin', 'it@harbour.example'])).code).toBe(0);
      expect((await cli(['orgs', 'host', 'harbour-dental'])).text).toContain('no host name of its own; its portal is https://desk.provider.example/portal?org=');
      const set = await cli(['orgs', 'host', 'harbour-dental', 'Support.Harbour.example']);
      expect(set.code, set.text).toBe(0);
      expect(set.text).toContain('now at https://support.harbour.example/portal');
      expect((await cli(['orgs', 'host', 'harbour-dental'])).text).toContain('its customers reach it at https://support.harbour.example/portal');
      expect((await cli(['orgs', 'list'])).text).toContain('Harbour Dental (support.harbour.example)');
      const bad = await cli(['orgs', 'host', 'harbour-dental', 'support.harbour.example:8443']);
      expect(bad).toMatchObject({ code: 1 });
      expect(bad.text).toContain('is not a host name');
      expect((await cli(['orgs', 'host', 'harbour-dental', 'desk.provider.example'])).text).toContain('the installation\'s own address');
      expect((await cli(['orgs', 'host', 'harbour-dental', 'x.example', '--off'])).text).toContain('not both');

      // Served over TLS by Trustdesk itself: the certificate must cover the name.
      const { certificatePem, privateKeyPem } = generateKeyAndCertificate('*.harbour.example');
      writeFileSync(path.join(env.dir, 'cert.pem'), certificatePem);
      writeFileSync(path.join(env.dir, 'key.pem'), privateKeyPem);
      env.env.TRUSTDESK_TLS_CERT = path.join(env.dir, 'cert.pem');
      env.env.TRUSTDESK_TLS_KEY = path.join(env.dir, 'key.pem');
      expect((await cli(['orgs', 'host', 'harbour-dental', 'help.harbour.example'])).code).toBe(0);
      const uncovered = await cli(['orgs', 'host', 'harbour-dental', 'help.quayside.example']);
      expect(uncovered.code).toBe(1);
      expect(uncovered.text).toContain('does not cover help.quayside.example');

      const off = await cli(['orgs', 'host', 'harbour-dental', '--off']);
      expect(off.code).toBe(0);
      expect(off.text).toContain('back on the installation\'s address');
    } finally {
      await env.cleanup();
    }
  });
});
