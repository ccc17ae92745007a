/**
 * Organisation settings over HTTP: the email channel read-out (no secrets),
 * "send test" through a real SMTP relay (accepted, refused, wrong password,
 * unreachable, outbox), and the security policy read-out — with the wrong
 * role refused and nothing of another organisation visible.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testConfig, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildUser, signIn, TEST_PASSWORD, type SignedIn, type TestOrg } from '../auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { SIGNIN_LOCKOUT } from '../../platform/http/schemas/organization.js';
import { classifyMailError, mailSettings, sendTestMail } from './mail-settings.js';
import { MAIL_TESTS_PER_10_MINUTES } from './organization.routes.js';
import { listOutbox, readOutboxMessage } from '../../platform/notify/outbox.js';

const RELAY_USER = 'relay-user';
const RELAY_PASSWORD = `relay-pw-${randomUUID()}`;

interface Relay {
  port: number;
  received: Array<{ to: string[]; data: string }>;
  close(): Promise<void>;
}

/** A local SMTP relay requiring a password; mail to reject@… is refused with 550. */
async function startRelay(): Promise<Relay> {
  const received: Relay['received'] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === RELAY_USER && auth.password === RELAY_PASSWORD) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('reject@')) cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)));
  return { port, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe.each(testDatabaseKinds)('organisation settings routes on %s', (kind) => {
  let relay: Relay;
  let dir: string;
  let keyFile: string;
  const opened: Array<{ app: FastifyInstance; services: Services }> = [];

  async function open(env: NodeJS.ProcessEnv) {
    const services = await createTestServices(kind, { config: { TRUSTDESK_DATA_DIR: dir, TRUSTDESK_PUBLIC_URL: 'https://help.example.com', ...env } });
    const app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    opened.push({ app, services });
    const org = await buildOrg(services);
    return { app, services, org, admin: await signIn(app, org, { roles: ['administrator'] }) };
  }

  beforeAll(async () => {
    relay = await startRelay();
    dir = mkdtempSync(path.join(tmpdir(), 'trustdesk-org-'));
    keyFile = path.join(dir, 'dkim.pem');
    writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  });
  afterAll(async () => {
    for (const o of opened) {
      await o.app.close();
      await o.services.close();
    }
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let app: FastifyInstance;
  let services: Services;
  let org: TestOrg;
  let admin: SignedIn;
  let agent: SignedIn;
  let supervisor: SignedIn;
  let intruder: SignedIn;

  describe('with a relay and DKIM', () => {

    beforeAll(async () => {
      ({ app, services, org, admin } = await open({
        TRUSTDESK_RELAY_URL: `smtp://${RELAY_USER}:${RELAY_PASSWORD}@127.0.0.1:${relay.port}`,
        TRUSTDESK_DKIM_DOMAIN: 'example.com',
        TRUSTDESK_DKIM_SELECTOR: 'td2026',
        TRUSTDESK_DKIM_KEY_FILE: keyFile,
        TRUSTDESK_MAIL_FROM: 'Example Help <help@example.com>',
        TRUSTDESK_SMTP_TRUSTED_AUTHSERV_IDS: 'mx1.example.com, mx2.example.com',
        TRUSTDESK_SESSION_IDLE_MINUTES: '20',
        TRUSTDESK_SESSION_MAX_HOURS: '9',
        TRUSTDESK_STEP_UP_MINUTES: '5',
      }));
      agent = await signIn(app, org, { roles: ['agent'] });
      supervisor = await signIn(app, org, { roles: ['supervisor'] });
      intruder = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
      await services.database.db.insertInto('mailboxes').values({ id: randomUUID(), org_id: org.orgId, address: `support-${randomUUID().slice(0, 6)}@example.com`, name: 'Support', team_id: null }).execute();
    });

    it('shows the settings in force and never the relay credentials or key path', async () => {
      const res = await app.inject({ url: '/api/organization/mail', headers: admin.headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        inbound: { enabled: true, host: '127.0.0.1', port: 2525, starttls: false, maxMessageBytes: 25 * 1024 * 1024, trustedAuthservIds: ['mx1.example.com', 'mx2.example.com'], mailboxCount: 1 },
        outbound: { mode: 'relay', relay: { host: '127.0.0.1', port: relay.port, implicitTls: false, authenticated: true }, from: 'Example Help <help@example.com>', dkim: { enabled: true, domain: 'example.com', selector: 'td2026' } },
        publicUrl: 'https://help.example.com',
      });
      expect(res.body).not.toContain(RELAY_PASSWORD);
      expect(res.body).not.toContain(RELAY_USER);
      expect(res.body).not.toContain(keyFile);
      expect(res.body).not.toContain('BEGIN');
      // Another organisation's count is its own.
      const theirs = await app.inject({ url: '/api/organization/mail', headers: intruder.headers });
      expect(theirs.json().inbound.mailboxCount).toBe(0);
    });

    it('refuses roles without channels.manage', async () => {
      for (const as of [agent, supervisor]) {
        expect((await app.inject({ url: '/api/organization/mail', headers: as.headers })).statusCode).toBe(403);
        expect((await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: as.headers, payload: {} })).statusCode).toBe(403);
      }
      expect(relay.received.length).toBe(0);
    });

    it('sends a DKIM-signed test to the caller through the relay and audits it', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: admin.headers, payload: {} });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ outcome: 'sent', to: admin.email, reason: null, smtpCode: null });
      const got = relay.received.find((m) => m.to.includes(admin.email));
      expect(got?.data).toMatch(/^DKIM-Signature: .*d=example\.com/m);
      expect(got?.data).toMatch(/s=td2026/);
      expect(got?.data).toContain('Subject: Trustdesk test message');
      const audit = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'mail.test').select(['result', 'object_id']).execute();
      expect(audit).toContainEqual({ result: 'success', object_id: admin.userId });
    });

    it('sends to another active staff address of the organisation, and to nobody else', async () => {
      const admin = await signIn(app, org, { roles: ['administrator'] });
      const colleague = await buildUser(services, org, { roles: ['agent'], email: `colleague-${randomUUID().slice(0, 6)}@staff.example` });
      const ok = await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: admin.headers, payload: { to: colleague.email.toUpperCase() } });
      expect(ok.json()).toMatchObject({ outcome: 'sent', to: colleague.email });
      const before = relay.received.length;
      const outsider = await buildUser(services, await buildOrg(services), { roles: ['agent'] });
      const gone = await buildUser(services, org, { roles: ['agent'], status: 'deactivated' });
      for (const to of [outsider.email, gone.email, 'stranger@elsewhere.example']) {
        const res = await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: admin.headers, payload: { to } });
        expect(res.statusCode, to).toBe(400);
        expect(res.json().code).toBe('validation_failed');
      }
      const bad = await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: admin.headers, payload: { to: 'not an address' } });
      expect(bad.statusCode).toBe(400);
      expect(relay.received.length).toBe(before);
    });

    it('reports a refused recipient with the SMTP code', async () => {
      const admin = await signIn(app, org, { roles: ['administrator'] });
      const refused = await buildUser(services, org, { roles: ['agent'], email: `reject@${randomUUID().slice(0, 6)}.example` });
      const res = await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: admin.headers, payload: { to: refused.email } });
      expect(res.json()).toMatchObject({ outcome: 'failed', reason: 'rejected', smtpCode: 550 });
    });

    it('is rate-limited per person', async () => {
      const busy = await signIn(app, org, { roles: ['administrator'] });
      const codes: number[] = [];
      for (let i = 0; i <= MAIL_TESTS_PER_10_MINUTES; i++) codes.push((await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: busy.headers, payload: {} })).statusCode);
      expect(codes).toEqual([...Array<number>(MAIL_TESTS_PER_10_MINUTES).fill(200), 429]);
      // Someone else still has their own budget.
      expect((await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: admin.headers, payload: {} })).statusCode).toBe(200);
    });
  });

  describe('send test and settings without a server', () => {
    const config = (env: NodeJS.ProcessEnv) => testConfig({ TRUSTDESK_DATA_DIR: dir, ...env });
    const key = randomBytes(32);
    const outboxKey = async () => key;

    it('a wrong relay password is reported as such, without echoing it', async () => {
      const wrong = `wrong-${randomUUID()}`;
      const res = await sendTestMail(config({ TRUSTDESK_RELAY_URL: `smtp://${RELAY_USER}:${wrong}@127.0.0.1:${relay.port}` }), 'someone@staff.example', { outboxKey });
      expect(res).toMatchObject({ outcome: 'failed', reason: 'authentication_failed', smtpCode: 535 });
      expect(JSON.stringify(res)).not.toContain(wrong);
    });

    it('an unreachable relay is a connection failure', async () => {
      const c = config({ TRUSTDESK_RELAY_URL: `smtp://127.0.0.1:${await closedPort()}` });
      expect(await sendTestMail(c, 'someone@staff.example', { outboxKey })).toMatchObject({ outcome: 'failed', reason: 'connection_failed', smtpCode: null });
      expect(mailSettings(c, 0).outbound.relay).toMatchObject({ host: '127.0.0.1', authenticated: false, implicitTls: false });
    });

    it('an unreadable DKIM key fails the test before anything is sent', async () => {
      const before = relay.received.length;
      const c = config({ TRUSTDESK_RELAY_URL: `smtp://${RELAY_USER}:${RELAY_PASSWORD}@127.0.0.1:${relay.port}`, TRUSTDESK_DKIM_DOMAIN: 'example.com', TRUSTDESK_DKIM_SELECTOR: 's', TRUSTDESK_DKIM_KEY_FILE: path.join(dir, 'missing.pem') });
      const res = await sendTestMail(c, 'someone@staff.example', { outboxKey });
      expect(res).toMatchObject({ outcome: 'failed', reason: 'dkim_key_unreadable' });
      expect(JSON.stringify(res)).not.toContain('missing.pem');
      expect(relay.received.length).toBe(before);
    });

    it('without a relay the test is written to the outbox', async () => {
      const c = config({});
      expect(mailSettings(c, 0).outbound).toEqual({ mode: 'outbox', relay: null, from: 'Trustdesk <no-reply@localhost>', dkim: { enabled: false, domain: null, selector: null } });
      expect(mailSettings(config({ TRUSTDESK_RELAY_URL: 'smtps://u:p@relay.example.net' }), 0).outbound.relay).toEqual({ host: 'relay.example.net', port: 465, implicitTls: true, authenticated: true });
      const to = `outbox-${randomUUID().slice(0, 6)}@staff.example`;
      expect(await sendTestMail(c, to, { outboxKey })).toMatchObject({ outcome: 'written', to, reason: null });
      // Sealed on disk: no file holds the address in clear; the operator's reader opens it.
      const dirPath = path.join(dir, 'outbox');
      expect(readdirSync(dirPath).filter((f) => f.endsWith('.eml'))).toEqual([]);
      expect(readdirSync(dirPath).some((f) => readFileSync(path.join(dirPath, f)).includes(to))).toBe(false);
      const opened = await Promise.all(listOutbox(dirPath).map((m) => readOutboxMessage(dirPath, outboxKey, m.id)));
      expect(opened.some((m) => m.toString('utf8').includes(`To: ${to}`))).toBe(true);
    });
  });

  describe('security policy', () => {
    it('reads out sessions, step-up, factors per role, passwords, lockout and the allowlist', async () => {
      const put = await app.inject({ method: 'PUT', url: '/api/organization/allowlist', headers: admin.headers, payload: { allowedCidrs: ['127.0.0.0/8', '::1'] } });
      expect(put.statusCode).toBe(200);
      const officer = await signIn(app, org, { roles: ['security_officer'] });
      const res = await app.inject({ url: '/api/organization/security-policy', headers: officer.headers });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.sessions).toMatchObject({ idleMinutes: 20, maxHours: 9, stepUpMinutes: 5 });
      expect(body.sessions.stepUpPermissions).toEqual(expect.arrayContaining(['roles.manage', 'customers.reveal', 'tokens.manage']));
      expect(body.mfa.requiredForAllStaff).toBe(true);
      const byKey = Object.fromEntries((body.mfa.roles as Array<{ key: string; requirePhishingResistant: boolean; members: number }>).map((r) => [r.key, r]));
      const admins = await services.database.db.selectFrom('user_roles').where('role_id', '=', org.roleIds.administrator as string).select('user_id').execute();
      expect(byKey.administrator).toMatchObject({ requirePhishingResistant: true, members: admins.length });
      expect(admins.length).toBeGreaterThan(1);
      expect(byKey.security_officer).toMatchObject({ requirePhishingResistant: true, members: 1 });
      expect(byKey.agent).toMatchObject({ requirePhishingResistant: false });
      expect(body.passwords).toEqual({ minLength: 12, maxLength: 256, breachedListChecked: true, contextWordsChecked: true });
      expect(body.lockout).toEqual(SIGNIN_LOCKOUT);
      expect(body.allowedCidrs).toEqual(['127.0.0.0/8', '::1']);

      // Another organisation sees its own policy, not this allowlist.
      const other = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
      expect((await app.inject({ url: '/api/organization/security-policy', headers: other.headers })).json().allowedCidrs).toEqual([]);
      // Roles without users.read are refused.
      expect((await app.inject({ url: '/api/organization/security-policy', headers: agent.headers })).statusCode).toBe(403);
      expect((await app.inject({ url: '/api/organization/security-policy' })).statusCode).toBe(401);
    });

    it('the lockout it reports is the one sign-in enforces', async () => {
      const user = await buildUser(services, org, { roles: ['agent'] });
      const codes: number[] = [];
      for (let i = 0; i < SIGNIN_LOCKOUT.accountFreeFailures; i++) {
        codes.push((await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email, password: 'not the password at all' } })).statusCode);
      }
      expect(codes.slice(0, -1).every((c) => c === 401)).toBe(true);
      expect(codes.at(-1)).toBe(429);
      const right = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email, password: TEST_PASSWORD } });
      expect(right.statusCode).toBe(429);
    });
  });

  it('classifies relay errors into fixed reasons', () => {
    expect(classifyMailError({ code: 'EAUTH', responseCode: 535 })).toEqual({ reason: 'authentication_failed', smtpCode: 535 });
    expect(classifyMailError({ code: 'ETIMEDOUT' })).toEqual({ reason: 'timeout', smtpCode: null });
    expect(classifyMailError({ code: 'ETLS' }).reason).toBe('tls_failed');
    expect(classifyMailError({ code: 'EDNS' }).reason).toBe('dns_failed');
    expect(classifyMailError({ code: 'EENVELOPE', responseCode: 550 })).toEqual({ reason: 'rejected', smtpCode: 550 });
    expect(classifyMailError({ code: 'ECONNECTION' }).reason).toBe('connection_failed');
    expect(classifyMailError(new Error('weird'))).toEqual({ reason: 'unknown', smtpCode: null });
    expect(classifyMailError({ responseCode: 99999 })).toEqual({ reason: 'unknown', smtpCode: null });
  });
});
