/**
 * /api/siem over HTTP: add, change, test and remove destinations; malformed settings answered as problem+json;
 * secrets stored encrypted and never returned; another organisation's destination not found; an auditor reads
 * but changes nothing. And the guarantee that matters most: a customer's name, email and card number, seeded
 * into a ticket and read, revealed and searched by staff, never appear in what is streamed in either format.
 * And a flood to a collector that hangs: the real sender times out, the screen's API shows why and that the
 * destination is falling behind, and once the collector answers again every sequence number arrives, in bounded batches.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { buildOrg, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { siemDepsOf } from './deps.js';
import { isCheckpoint, syslogFor, type SiemMessage } from './checkpoint-event.js';
import { SiemSender } from './sender.js';
import { createTransport, hecBody, type Transport } from './transport.js';

describe('SIEM destinations API', () => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;
  let officer: SignedIn;
  let auditor: SignedIn;
  let agent: SignedIn;
  let receiver: net.Server;
  let receiverPort: number;
  let received = '';

  beforeAll(async () => {
    services = await createTestServices('pglite', { config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    admin = await signIn(app, org, { roles: ['administrator'], stepUp: true });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    auditor = await signIn(app, org, { roles: ['auditor'] });
    agent = await signIn(app, org, { roles: ['agent'] });
    receiver = net.createServer((s) => s.on('data', (d: Buffer) => (received += d.toString())));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverPort = (receiver.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    receiver?.close();
    await app?.close();
    await services?.close();
  });

  const api = (who: SignedIn, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const tcp = () => ({ name: 'Rsyslog relay', transport: 'tcp', host: '127.0.0.1', port: receiverPort, format: 'cef' });

  it('creates, reads, changes, tests and deletes a destination; each change is audited; roles and organisations are kept apart', async () => {
    const created = await api(officer, 'POST', '/api/siem/destinations', tcp());
    expect(created.statusCode, created.body).toBe(201);
    const d = created.json() as { id: string; status: { cursorIdx: number; lag: number; lastError: string | null } };
    expect(d).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: receiverPort, format: 'cef', enabled: true, hasToken: false, status: { lastError: null } });

    const test = await api(officer, 'POST', `/api/siem/destinations/${d.id}/test`);
    expect(test.json()).toEqual({ ok: true, error: null });
    await expect.poll(() => received).toContain('[trustdesk@32473 test="true"');
    expect(received).toMatch(/^\d+ <110>1 \S+ localhost trustdesk - siem.destination.test /);

    const edit = await api(admin, 'PUT', `/api/siem/destinations/${d.id}`, { format: 'ocsf', port: 1 });
    expect(edit.json()).toMatchObject({ format: 'ocsf', port: 1 });
    // Nothing listens on port 1: the test says why, and the cursor is untouched.
    const failed = (await api(admin, 'POST', `/api/siem/destinations/${d.id}/test`)).json() as { ok: boolean; error: string };
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/ECONNREFUSED/);

    // The auditor reads; nobody but siem.manage changes; the agent sees nothing.
    expect((await api(auditor, 'GET', '/api/siem/destinations')).json().items).toHaveLength(1);
    expect((await api(auditor, 'GET', `/api/siem/destinations/${d.id}`)).statusCode).toBe(200);
    for (const [method, url, body] of [['PUT', `/api/siem/destinations/${d.id}`, { enabled: false }], ['DELETE', `/api/siem/destinations/${d.id}`], ['POST', `/api/siem/destinations/${d.id}/test`], ['POST', '/api/siem/destinations', tcp()]] as const) {
      expect((await api(auditor, method, url, body)).statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await api(agent, 'GET', '/api/siem/destinations')).statusCode).toBe(403);

    // Another organisation's officer: not found, whatever the verb.
    const otherOrg = await buildOrg(services);
    const stranger = await signIn(app, otherOrg, { roles: ['security_officer'] });
    expect((await api(stranger, 'GET', '/api/siem/destinations')).json().items).toEqual([]);
    for (const [method, url, body] of [['GET', `/api/siem/destinations/${d.id}`], ['PUT', `/api/siem/destinations/${d.id}`, { enabled: false }], ['DELETE', `/api/siem/destinations/${d.id}`], ['POST', `/api/siem/destinations/${d.id}/test`]] as const) {
      expect((await api(stranger, method, url, body)).statusCode, `${method} ${url}`).toBe(404);
    }

    expect((await api(officer, 'DELETE', `/api/siem/destinations/${d.id}`)).json()).toEqual({ ok: true });
    expect((await api(officer, 'GET', `/api/siem/destinations/${d.id}`)).statusCode).toBe(404);
    await services.audit.flush();
    const actions = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('object_id', '=', d.id).orderBy('idx').select('action').execute();
    expect(actions.map((a) => a.action)).toEqual(['siem.destination.create', 'siem.destination.test', 'siem.destination.update', 'siem.destination.test', 'siem.destination.delete']);
  });

  it('answers malformed settings with problem+json naming the problem', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const cases: Array<[object, RegExp]> = [
      [{ ...tcp(), host: 'https://siem.example.com' }, /host name or an IP address/],
      [{ ...tcp(), host: 'bad host' }, /host name or an IP address/],
      [{ ...tcp(), port: null }, /port/],
      [{ ...tcp(), port: 70000 }, /port/],
      [{ ...tcp(), format: 'leef' }, /format/],
      [{ ...tcp(), transport: 'tls', caPem: 'not a certificate' }, /PEM certificates/],
      [{ ...tcp(), transport: 'tls', caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, /cannot be read/],
      [{ ...tcp(), caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, /only for TLS and HTTPS/],
      [{ ...tcp(), transport: 'tls', clientKeyPem: keyPem }, /both the client certificate and its key/],
      [{ ...tcp(), transport: 'tls', clientKeyPem: 'garbage' }, /PEM private key/],
      [{ name: 'HEC', transport: 'https', url: 'ftp://collector.example.com', format: 'ocsf', token: 'abcdefgh12' }, /https/],
      [{ name: 'HEC', transport: 'https', url: 'https://collector.example.com/services/collector', format: 'ocsf' }, /token/],
      [{ name: 'HEC', transport: 'https', url: 'https://user:pw@collector.example.com/', format: 'ocsf', token: 'abcdefgh12' }, /not in the URL/],
      [{ ...tcp(), extra: 1 }, /additional/],
      [{ ...tcp(), lagAlertThreshold: 0 }, /lagAlertThreshold/],
      [{ ...tcp(), lagAlertThreshold: 1e12 }, /lagAlertThreshold/],
      [{ ...tcp(), lagAlertThreshold: 'many' }, /lagAlertThreshold/],
      [{ ...tcp(), startFrom: 'yesterday' }, /startFrom/],
      [{ ...tcp(), transport: 'carrier-pigeon' }, /transport/],
    ];
    for (const [body, message] of cases) {
      const res = await api(officer, 'POST', '/api/siem/destinations', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const problem = res.json() as { code: string; detail?: string; errors?: unknown[] };
      expect(problem.code).toBe('validation_failed');
      expect(`${problem.detail} ${JSON.stringify(problem.errors ?? [])}`, JSON.stringify(body)).toMatch(message);
    }
    // A change with one good field and one bad one is refused whole: nothing of it is applied.
    const made = await api(officer, 'POST', '/api/siem/destinations', tcp());
    expect(made.statusCode).toBe(201);
    const before = (await api(officer, 'GET', `/api/siem/destinations/${made.json().id}`)).json() as Record<string, unknown>;
    for (const patch of [{ name: 'Renamed', port: 0 }, { name: 'Renamed', host: 'a b' }, { name: 'Renamed', transport: 'https' }, { name: 'Renamed', lagAlertThreshold: -1 }, { name: 'Renamed', caPem: 'junk' }, { name: '' }]) {
      const res = await api(officer, 'PUT', `/api/siem/destinations/${made.json().id}`, patch);
      expect(res.statusCode, JSON.stringify(patch)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const after = (await api(officer, 'GET', `/api/siem/destinations/${made.json().id}`)).json() as Record<string, unknown>;
    expect({ ...after, status: undefined }).toEqual({ ...before, status: undefined });
    expect((await api(officer, 'DELETE', `/api/siem/destinations/${made.json().id}`)).statusCode).toBe(200);
  });

  it('stores the HTTPS token and the TLS client key encrypted and never shows them again', async () => {
    const dir = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'siem-cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.pem`, '-days', '1', '-subj', '/CN=trustdesk-client'], { stdio: 'ignore' });
    const { readFileSync, rmSync } = await import('node:fs');
    const cert = readFileSync(`${dir}/c.pem`, 'utf8');
    const key = readFileSync(`${dir}/k.pem`, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    const res = await api(officer, 'POST', '/api/siem/destinations', { name: 'mTLS', transport: 'tls', host: 'siem.example.com', port: 6514, format: 'cef', caPem: cert, clientCertPem: cert, clientKeyPem: key });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ hasClientKey: true, clientCertPem: cert });
    expect(res.body).not.toContain('PRIVATE KEY');
    const hec = await api(officer, 'POST', '/api/siem/destinations', { name: 'HEC', transport: 'https', url: 'https://collector.example.com/services/collector/event', format: 'ocsf', token: 'hec-secret-token-1' });
    expect(hec.json()).toMatchObject({ hasToken: true });
    const list = await api(officer, 'GET', '/api/siem/destinations');
    expect(list.body).not.toContain('hec-secret-token-1');
    expect(list.body).not.toContain('PRIVATE KEY');
    const rows = await services.database.db.selectFrom('siem_destinations').where('org_id', '=', org.orgId).select(['client_key_enc', 'token_enc']).execute();
    const raw = rows.map((r) => Buffer.concat([Buffer.from(r.client_key_enc ?? []), Buffer.from(r.token_enc ?? [])]).toString('latin1')).join();
    expect(raw).not.toContain('hec-secret-token-1');
    expect(raw).not.toContain('PRIVATE KEY');
    // A key that is not the certificate's is refused.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const wrong = await api(officer, 'PUT', `/api/siem/destinations/${res.json().id}`, { clientKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
    expect(wrong.json().detail).toMatch(/does not belong/);
    // Changing the name keeps the secrets.
    expect((await api(officer, 'PUT', `/api/siem/destinations/${hec.json().id}`, { name: 'HEC 2' })).json()).toMatchObject({ name: 'HEC 2', hasToken: true });
  });

  it('streams no customer plaintext: names, emails, card numbers and typed reasons stay out of every payload', async () => {
    const leakOrg = await buildOrg(services);
    const agentOfLeak = await signIn(app, leakOrg, { roles: ['administrator'], stepUp: true });
    const officerOfLeak = await signIn(app, leakOrg, { roles: ['security_officer'] });
    const d = await api(officerOfLeak, 'POST', '/api/siem/destinations', { ...tcp(), startFrom: 'beginning' });
    expect(d.statusCode).toBe(201);
    const secrets = ['Dana Leakwood', 'dana.leakwood@example.org', '4111 1111 1111 1111', '4111111111111111', 'refund for my order'];
    const ticket = await api(agentOfLeak, 'POST', '/api/tickets', { email: 'dana.leakwood@example.org', name: 'Dana Leakwood', subject: 'Dana Leakwood: refund for my order', body: 'My card 4111 1111 1111 1111, Dana Leakwood, dana.leakwood@example.org' });
    expect(ticket.statusCode, ticket.body).toBe(201);
    const read = await api(agentOfLeak, 'GET', `/api/tickets/${ticket.json().id}`);
    expect(read.statusCode).toBe(200);
    const customerId = (read.json() as { requesterId: string }).requesterId;
    const reveal = await api(agentOfLeak, 'POST', `/api/customers/${customerId}/reveal`, { field: 'email', reason: 'Calling Dana Leakwood back about the refund for my order' });
    expect(reveal.statusCode, reveal.body).toBe(200);
    expect((await api(agentOfLeak, 'GET', `/api/customers?email=${encodeURIComponent('dana.leakwood@example.org')}`)).statusCode).toBe(200);
    await services.audit.flush();
    // The trail itself holds the typed reason (purpose): the stream must leave it out.
    const purposes = await services.database.db.selectFrom('audit_log').where('org_id', '=', leakOrg.orgId).where('purpose', 'is not', null).select('purpose').execute();
    expect(purposes.map((p) => p.purpose).join()).toContain('Dana Leakwood');

    const captured: SiemMessage[] = [];
    const capture: Transport = { deliver: async (events) => void captured.push(...events), close: () => undefined };
    const sender = new SiemSender({ ...siemDepsOf(services), owner: 'leak-test', createTransport: () => capture });
    await sender.runOnce();
    await sender.stop();
    const actions = captured.map((e) => (isCheckpoint(e) ? 'audit.checkpoint' : e.action));
    expect(actions).toEqual(expect.arrayContaining(['ticket.create', 'ticket.read', 'customer.field.reveal', 'audit.checkpoint']));
    const fmt = { hostname: 'h', productVersion: '1' };
    const payloads = [
      ...captured.map((e) => syslogFor(e, 'cef', fmt)),
      ...captured.map((e) => syslogFor(e, 'ocsf', fmt)),
      hecBody(captured, 'cef', fmt),
      hecBody(captured, 'ocsf', fmt),
    ].join('\n');
    expect(payloads).toContain(ticket.json().id);
    for (const s of secrets) expect(payloads.toLowerCase(), s).not.toContain(s.toLowerCase());
    expect(payloads).not.toMatch(/4111[\s-]?1111/);
    expect(payloads.toLowerCase()).not.toContain('leakwood');
  });

  it('a flood to a collector that hangs: the sender times out, the API shows the error and the lag, and after recovery every entry arrives in bounded batches', async () => {
    const floodOrg = await buildOrg(services);
    const floodOfficer = await signIn(app, floodOrg, { roles: ['security_officer'] });
    // An HTTPS collector on 127.0.0.1 with a certificate made now; while `hang` it takes requests and never answers.
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/siem-hec-`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = readFileSync(`${dir}/c.pem`, 'utf8');
    const key = readFileSync(`${dir}/k.pem`, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    let hang = true;
    const accepted: string[] = [];
    const { createServer } = await import('node:https');
    const collector = createServer({ cert, key }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (hang) return;
        accepted.push(body);
        res.writeHead(200).end('{"code":0}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const port = (collector.address() as net.AddressInfo).port;
    const created = await api(floodOfficer, 'POST', '/api/siem/destinations', { name: 'HEC', transport: 'https', url: `https://127.0.0.1:${port}/services/collector/event`, token: 'flood-token', caPem: cert, format: 'ocsf', lagAlertThreshold: 500 });
    expect(created.statusCode, created.body).toBe(201);
    const { id, status: { cursorIdx: start } } = created.json() as { id: string; status: { cursorIdx: number } };

    const N = 1200;
    for (let i = 0; i < N; i += 600) {
      await Promise.all(Array.from({ length: 600 }, (_, j) => services.audit.record({ orgId: floodOrg.orgId, actor: { type: 'user', id: `u-${i + j}` }, action: 'ticket.read', object: { type: 'ticket', id: `t-${i + j}` }, result: 'success' })));
    }
    await services.audit.flush();

    // Every batch handed to the transport is counted; never more than one at a time, never more than a batch.
    const sizes: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let clock = 0;
    const sender = new SiemSender({
      ...siemDepsOf(services),
      owner: 'flood',
      writeTimeoutMs: 300,
      connectTimeoutMs: 300,
      now: () => new Date(Date.now() + clock),
      createTransport: (config, options) => {
        const real = createTransport(config, options);
        return {
          deliver: async (batch) => {
            sizes.push(batch.length);
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            try {
              await real.deliver(batch);
            } finally {
              inFlight--;
            }
          },
          close: () => real.close(),
        };
      },
    });
    const heapBefore = process.memoryUsage().heapUsed;
    await sender.runOnce();
    const status = async () => (await api(floodOfficer, 'GET', `/api/siem/destinations/${id}`)).json() as { status: { lastError: string | null; failures: number; behind: boolean; lag: number; cursorIdx: number } };
    const stuck = await status();
    expect(stuck.status).toMatchObject({ lastError: 'outbound request timed out', failures: 1, behind: true, cursorIdx: start });
    expect(stuck.status.lag).toBeGreaterThan(500);
    // Backing off: the next pass before the retry is due tries nothing.
    await sender.runOnce();
    expect(sizes).toHaveLength(1);

    // The collector answers again; after the backoff the sender resumes from the cursor.
    hang = false;
    for (let pass = 0; pass < 10 && (await status()).status.lag > 0; pass++) {
      clock += 10 * 60_000;
      await sender.runOnce();
    }
    await sender.stop();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const expected = (await services.database.db.selectFrom('audit_log').where('org_id', '=', floodOrg.orgId).where('idx', '>', start).orderBy('idx').select('idx').execute()).map((r) => Number(r.idx));
    const got = accepted.flatMap((b) => b.split('\n').map((l) => (JSON.parse(l) as { fields: { seq?: number } }).fields.seq).filter((q): q is number => q !== undefined));
    expect(got).toEqual(expected);
    expect((await status()).status).toMatchObject({ lastError: 'outbound request timed out', failures: 0, behind: false, lag: 0 });
    // Bounded: one batch at a time, each at most 500 entries and their checkpoint; memory far below the flood's size.
    expect(maxInFlight).toBe(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(501);
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
    collector.closeAllConnections();
    collector.close();
  }, 60_000);
});
