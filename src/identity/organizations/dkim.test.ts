/**
 * An organisation's own DKIM key (decision 0237): made or imported by the
 * operator, stored encrypted, and used for that organisation's customer mail
 * from its domain only — checked by signing a real acknowledgement and
 * verifying it as a receiver would.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../auth/testing.js';
import type { Services } from '../../platform/app/services.js';
import { createTestEnvironment, createTestServices } from '../../platform/app/testing.js';
import { cliIn } from '../../platform/cli/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import type { ComposedMail } from '../../helpdesk/mail/compose.js';
import { processOutboundQueue } from '../../helpdesk/mail/outbound-queue.js';
import { toNodemailer } from '../../helpdesk/mail/transport.js';
import { buildPortalApp } from '../../helpdesk/portal/testing.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { checkAuthentication } from '../../threats/phishing/auth.js';
import { Keyring } from '../../protection/crypto/keyring.js';
import { runKeyRotation, startKeyRotation } from '../../protection/crypto/rotation.js';
import { alignedWith, clearOrganizationDkim, dkimForSending, readOrganizationDkim, setOrganizationDkim } from './dkim.js';
import { CLI_OPERATOR } from './lifecycle.js';

/** A fake DNS: no network in tests. */
function fakeResolver(records: Record<string, string[][]>) {
  return async (name: string, type: string) => {
    const r = records[`${type}:${name.toLowerCase()}`];
    if (!r) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return r;
  };
}

/** The message as the relay would receive it: nodemailer builds and signs it. */
async function wire(mail: ComposedMail): Promise<Buffer> {
  const info = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'crlf' }).sendMail(toNodemailer(mail));
  return info.message as Buffer;
}

describe.each(testDatabaseKinds)('an organisation’s own DKIM key on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  const domain = `client-${randomUUID().slice(0, 6)}.example`;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    org = await buildOrg(services, `Harbour ${kind}`);
    other = await buildOrg(services, `Quayside ${kind}`);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const deps = () => ({ db: services.database.db, keyring: services.keyring, audit: services.audit });

  it('signs the organisation’s acknowledgement with its key, and a receiver’s check passes', async () => {
    const set = await setOrganizationDkim(deps(), CLI_OPERATOR, org.orgId, { domain: domain.toUpperCase(), selector: 'td2026' });
    expect(set).toMatchObject({ domain, selector: 'td2026', dnsName: `td2026._domainkey.${domain}` });
    expect(set.dnsValue).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    expect(await readOrganizationDkim(services.database.db, org.orgId)).toEqual({ domain, selector: 'td2026', dnsName: set.dnsName, dnsValue: set.dnsValue });
    // The private key is stored encrypted, never in clear.
    const row = await services.database.db.selectFrom('organizations').where('id', '=', org.orgId).select('dkim_key_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(row.dkim_key_enc!).toString('latin1')).not.toContain('PRIVATE KEY');

    const team = await buildTeam(services, org);
    const address = `help@${domain}`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, team);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const ack = await app.inject({ method: 'PUT', url: `/api/mailboxes/${mailboxId}/acknowledgement`, headers: admin.headers, payload: { enabled: true, template: 'We have your request #{{ticket.number}}.' } });
    expect(ack.statusCode, ack.body).toBe(200);
    const helpdesk = await createHelpdeskDeps(services);
    const raw = Buffer.from(`From: Customer <jo@customer.example>\r\nTo: ${address}\r\nSubject: Order\r\nMessage-ID: <${randomUUID()}@customer.example>\r\n\r\nWhere is it?\r\n`);
    const hooks = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 0, verdict: 'clean' as const, reasons: [] }) };
    await ingestInboundEmail(helpdesk, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: 'jo@customer.example', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId: team }]);
    const sent: ComposedMail[] = [];
    await processOutboundQueue(helpdesk, { send: async (m) => (sent.push(m), { delivery: 'sent' as const }) }, { limit: 100 });
    const mail = sent.find((m) => JSON.stringify(m.from).includes(domain));
    expect(mail?.dkim).toMatchObject({ domainName: domain, keySelector: 'td2026' });

    const signed = await wire(mail!);
    expect(signed.toString('latin1')).toMatch(new RegExp(`DKIM-Signature:[^]*d=${domain.replace('.', '\\.')}[^]*s=td2026`));
    const resolver = fakeResolver({ [`TXT:${set.dnsName}`]: [[set.dnsValue]], [`TXT:${domain}`]: [['v=spf1 -all']], [`TXT:_dmarc.${domain}`]: [['v=DMARC1; p=reject']] });
    const verdict = await checkAuthentication({ raw: signed, ip: '192.0.2.10', helo: `mail.${domain}`, mailFrom: address, resolver });
    expect(verdict).toMatchObject({ dkim: 'pass', dmarc: 'pass' });
    expect(verdict.dkimDomains).toContain(domain);
  });

  it('signs only mail from its own domain (or below it), and never another organisation’s', async () => {
    expect(alignedWith(`help+t1@${domain}`, domain)).toBe(true);
    expect(alignedWith(`help@eu.${domain}`, domain)).toBe(true);
    expect(alignedWith(`help@not${domain}`, domain)).toBe(false);
    expect(await dkimForSending(deps(), org.orgId, `help@elsewhere.example`)).toBeUndefined();
    expect(await dkimForSending(deps(), other.orgId, `help@${domain}`)).toBeUndefined();
    expect(await dkimForSending(deps(), org.orgId, `help@${domain}`)).toMatchObject({ domainName: domain });
  });

  it('refuses a bad domain, selector or key with the reason, and forgets the key when switched off', async () => {
    const set = (input: { domain: string; selector: string; privateKeyPem?: string }) => setOrganizationDkim(deps(), CLI_OPERATOR, other.orgId, input);
    await expect(set({ domain: 'not a domain', selector: 's1' })).rejects.toThrow(/not a domain name/);
    await expect(set({ domain: '192.0.2.1', selector: 's1' })).rejects.toThrow(/not a domain name/);
    await expect(set({ domain: 'quayside.example', selector: 'bad_selector!' })).rejects.toThrow(/not a DKIM selector/);
    await expect(set({ domain: 'quayside.example', selector: 's1', privateKeyPem: 'garbage' })).rejects.toThrow(/not a PEM private key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(set({ domain: 'quayside.example', selector: 's1', privateKeyPem: ec })).rejects.toThrow(/expect RSA/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(set({ domain: 'quayside.example', selector: 's1', privateKeyPem: weak })).rejects.toThrow(/at least 2048/);
    expect(await readOrganizationDkim(services.database.db, other.orgId)).toBeNull();

    // An imported key is the one used.
    const own = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await set({ domain: 'quayside.example', selector: 's1', privateKeyPem: own });
    expect((await dkimForSending(deps(), other.orgId, 'desk@quayside.example'))?.privateKey).toBe(own);
    // A rotation of the organisation's data key re-encrypts it (rotation.ts lists the column); the old version is gone.
    const key = await services.database.db.selectFrom('data_keys').where('owner_id', '=', other.orgId).select('id').executeTakeFirstOrThrow();
    const rotationId = await startKeyRotation({ db: services.database.db, keyring: services.keyring, keyId: key.id });
    await runKeyRotation({ db: services.database.db, keyring: services.keyring, rotationId });
    const fresh = new Keyring({ db: services.database.db, provider: services.keyring.provider });
    expect((await dkimForSending({ db: services.database.db, keyring: fresh }, other.orgId, 'desk@quayside.example'))?.privateKey).toBe(own);
    await clearOrganizationDkim(deps(), CLI_OPERATOR, other.orgId);
    expect(await dkimForSending(deps(), other.orgId, 'desk@quayside.example')).toBeUndefined();
    const cleared = await services.database.db.selectFrom('organizations').where('id', '=', other.orgId).select(['dkim_key_enc', 'dkim_domain']).executeTakeFirstOrThrow();
    expect(cleared).toEqual({ dkim_key_enc: null, dkim_domain: null });
    await services.audit.flush();
    const actions = (await services.database.db.selectFrom('audit_log').where('org_id', '=', other.orgId).where('action', 'like', 'organization.dkim.%').select('action').execute()).map((r) => r.action).sort();
    expect(actions).toEqual(['organization.dkim.clear', 'organization.dkim.set']);
  });
});

describe('trustdesk orgs dkim', () => {
  it('prints the DNS record to publish, shows it again, imports a key file and refuses bad input', async () => {
    const env = await createTestEnvironment('pglite');
    try {
      const cli = cliIn(env);
      expect((await cli(['setup', '--org', 'Harbour Dental', '--admin', 'it@harbour.example'])).code).toBe(0);
      const none = await cli(['orgs', 'dkim', 'harbour-dental']);
      expect(none.text).toContain('no DKIM key of its own');
      const set = await cli(['orgs', 'dkim', 'harbour-dental', '--domain', 'harbour.example', '--selector', 'td1']);
      expect(set.code, set.text).toBe(0);
      expect(set.text).toMatch(/td1\._domainkey\.harbour\.example {2}TXT {2}"v=DKIM1; k=rsa; p=/);
      expect((await cli(['orgs', 'dkim', 'harbour-dental'])).text).toContain('td1._domainkey.harbour.example');

      const keyFile = path.join(env.dir, 'dkim.pem');
      writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      expect((await cli(['orgs', 'dkim', 'harbour-dental', '--domain', 'harbour.example', '--selector', 'td2', '--key-file', keyFile])).code).toBe(0);

      const bad = await cli(['orgs', 'dkim', 'harbour-dental', '--domain', 'harbour.example']);
      expect(bad).toMatchObject({ code: 1 });
      expect(bad.text).toContain('give --domain and --selector together');
      const missing = await cli(['orgs', 'dkim', 'harbour-dental', '--domain', 'harbour.example', '--selector', 'td3', '--key-file', path.join(env.dir, 'nope.pem')]);
      expect(missing.code).toBe(1);
      expect(missing.text).toContain('no such file');
      const unknown = await cli(['orgs', 'dkim', 'nobody', '--off']);
      expect(unknown.code).toBe(1);
      expect(unknown.text).toContain('No organisation "nobody"');
      const off = await cli(['orgs', 'dkim', 'harbour-dental', '--off']);
      expect(off.code).toBe(0);
      expect((await cli(['orgs', 'dkim', 'harbour-dental'])).text).toContain('no DKIM key of its own');
    } finally {
      await env.cleanup();
    }
  });
});
