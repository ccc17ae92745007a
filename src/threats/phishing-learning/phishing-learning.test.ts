/**
 * The organisation's learned phishing model in the product (decision 0174): labels from reports,
 * verdicts, quarantine decisions and replies; the guards (two people, the daily cap, simulations);
 * an unreadable model; the reset; who may read and reset.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn } from '../../identity/auth/testing.js';
import { READ_ONLY_PERMISSIONS } from '../../identity/auth/permissions.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { eraseCustomer } from '../../helpdesk/customers/customers.service.js';
import { DEFAULT_LIMITS, labellerBit, LearnedModel } from '../phishing/learning/index.js';
import { learnLabel, learnLabels, tokenKeyer } from './store.js';

function message(address: string, from: string, subject: string, body: string): Buffer {
  return Buffer.from([`From: ${from}`, `To: ${address}`, `Subject: ${subject}`, `Message-ID: <${randomUUID()}@sender.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

/** A mild lure: the static engine lets it into a ticket, so only what people taught can flag it. */
const lure = (address: string, n: number) =>
  message(address, `Payroll Desk <payroll${n}@bonus-desk.example>`, `Quarterly bonus statement ${n}`, `Your quarterly bonus allocation statement is ready. Review the bonus allocation spreadsheet before Friday: https://bonus-desk.example/statement/${n}`);
const legit = (address: string, n: number) =>
  message(address, `Customer ${n} <customer${n}@shopper${n % 3}.example>`, `Order ${1000 + n} has not arrived`, `Hello, my parcel for order ${1000 + n} has not arrived yet. Could you check the delivery tracking please? Thanks`);

describe.each(testDatabaseKinds)('phishing learning in the product on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  /** A fresh organisation with a mailbox, two agents whose labeller bits differ, an officer and an administrator. */
  async function setup() {
    const org = await buildOrg(services);
    const team = await buildTeam(services, org);
    const address = `support@${randomUUID().slice(0, 8)}.example`;
    const mailbox = await seedMailbox(services.database.db, org.orgId, address, team);
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    let second = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    while (labellerBit(second.userId) === labellerBit(agent.userId)) second = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const deps = await createHelpdeskDeps(services);
    const hooks = createDefaultHooks({ db: services.database.db, keyring: services.keyring });
    const route = [{ id: mailbox, orgId: org.orgId, address, teamId: team }];
    const ingest = async (raw: Buffer) => {
      const [out] = await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'x@sender.example', rcptTo: [address] }, route);
      if (!out || !('messageId' in out)) throw new Error(`not ingested: ${JSON.stringify(out)}`);
      return out;
    };
    return { org, address, agent, second, officer, admin, ingest };
  }

  const status = async (who: SignedIn) => {
    const res = await app.inject({ url: '/api/phishing-learning', headers: who.headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const report = async (who: SignedIn, m: { ticketId: string; messageId: string }) => {
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${m.ticketId}/messages/${m.messageId}/report-phishing`, headers: who.headers, payload: {} });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { reportId: string; quarantineId: string };
  };
  const reply = async (who: SignedIn, ticketId: string) => {
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: who.headers, payload: { body: 'Thanks, we are looking into it.', acknowledgeSensitive: true } });
    expect(res.statusCode, res.body).toBe(201);
  };
  const labels = (orgId: string) => services.database.db.selectFrom('phishing_labels').where('org_id', '=', orgId).selectAll().execute();
  const codesOf = async (messageId: string) => (await services.database.db.selectFrom('messages').where('id', '=', messageId).select('threat_codes').executeTakeFirstOrThrow()).threat_codes;

  it('counts a report; "not phishing" replaces it with one legitimate label; a deletion relabels the reported message', async () => {
    const s = await setup();
    const first = await s.ingest(lure(s.address, 1));
    const r1 = await report(s.agent, first);
    expect((await status(s.officer)).labels).toEqual({ phish: 1, ham: 0 });
    const decided = await app.inject({ method: 'POST', url: `/api/phishing-reports/${r1.reportId}/outcome`, headers: s.officer.headers, payload: { outcome: 'false_positive', reason: 'a real payroll mail' } });
    expect(decided.statusCode, decided.body).toBe(200);
    expect((await status(s.officer)).labels).toEqual({ phish: 0, ham: 1 });
    expect((await labels(s.org.orgId)).map((l) => [l.message_ref, l.label, l.source, l.labeller_id])).toEqual([[first.messageId, 'ham', 'not_phishing', s.officer.userId]]);

    const second = await s.ingest(lure(s.address, 2));
    const r2 = await report(s.agent, second);
    const deleted = await app.inject({ method: 'POST', url: `/api/quarantine/${r2.quarantineId}/delete`, headers: s.officer.headers, payload: { reason: 'confirmed lure' } });
    expect(deleted.statusCode, deleted.body).toBe(200);
    const rows = await labels(s.org.orgId);
    expect(rows).toHaveLength(2);
    expect(rows.find((l) => l.message_ref === second.messageId)).toMatchObject({ label: 'phish', source: 'delete', labeller_id: s.officer.userId, learned: true });
    expect((await status(s.officer)).labels).toEqual({ phish: 1, ham: 1 });
  });

  it('a release from quarantine relabels the reported message as legitimate', async () => {
    const s = await setup();
    const m = await s.ingest(lure(s.address, 5));
    const r = await report(s.agent, m);
    const released = await app.inject({ method: 'POST', url: `/api/quarantine/${r.quarantineId}/release`, headers: s.officer.headers, payload: { reason: 'the payroll team sent it' } });
    expect(released.statusCode, released.body).toBe(200);
    expect((await labels(s.org.orgId)).map((l) => [l.message_ref, l.label, l.source])).toEqual([[m.messageId, 'ham', 'release']]);
    expect((await status(s.officer)).labels).toEqual({ phish: 0, ham: 1 });
  });

  it('keeps no customer word: token keys are keyed hashes, and the model is encrypted', async () => {
    const s = await setup();
    const m = await s.ingest(lure(s.address, 3));
    await report(s.agent, m);
    const [row] = await labels(s.org.orgId);
    expect(row!.token_keys.length).toBeGreaterThan(5);
    expect(row!.token_keys.join(' ')).not.toMatch(/bonus|quarterly|statement/);
    const key = await tokenKeyer(services.keyring, s.org.orgId);
    expect(row!.token_keys).toContain(key('s:bonus'));
    const model = await services.database.db.selectFrom('phishing_models').where('org_id', '=', s.org.orgId).select('model_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(model.model_enc!).toString('latin1')).not.toMatch(/trustdesk\.phishing-learning|bonus/);
    // Another organisation's key gives other keys for the same word.
    const other = await buildOrg(services);
    expect((await tokenKeyer(services.keyring, other.orgId))('s:bonus')).not.toBe(key('s:bonus'));
  });

  it('a message built to poison many tokens touches at most 300 of them', async () => {
    const s = await setup();
    const words = Array.from({ length: 5000 }, (_, i) => `poison${i.toString(36)}word`).join(' ');
    const m = await s.ingest(message(s.address, 'Flood <flood@flood.example>', 'Hello', words));
    await report(s.agent, m);
    const [row] = await labels(s.org.orgId);
    expect(row!.token_keys.length).toBeLessThanOrEqual(300);
    expect((await status(s.officer)).tokens).toBeLessThanOrEqual(300);
  });

  it('an agent’s reply labels the customer messages it answers as legitimate, once', async () => {
    const s = await setup();
    const m = await s.ingest(legit(s.address, 1));
    await reply(s.agent, m.ticketId);
    expect((await labels(s.org.orgId)).map((l) => [l.message_ref, l.label, l.source, l.labeller_id])).toEqual([[m.messageId, 'ham', 'reply', s.agent.userId]]);
    await reply(s.second, m.ticketId);
    expect(await labels(s.org.orgId)).toHaveLength(1);
    expect((await status(s.admin)).labels).toEqual({ phish: 0, ham: 1 });
    // Erasing the customer drops the label's keyed hashes of their words.
    const { customer_id } = await services.database.db.selectFrom('messages').where('id', '=', m.messageId).select('customer_id').executeTakeFirstOrThrow();
    await eraseCustomer({ db: services.database.db, keyring: services.keyring, audit: services.audit }, { orgId: s.org.orgId, actor: { type: 'system' } }, { customerId: customer_id!, purpose: 'erasure request' });
    expect(await labels(s.org.orgId)).toHaveLength(0);
  });

  it('one agent’s reports do not make the model speak; a second person’s do, once it has seen enough legitimate mail', async () => {
    const s = await setup();
    // Legitimate mail answered by two agents: 8 labels, so 15 phishing labels stay balanced.
    for (let i = 0; i < 8; i++) await reply(i % 2 ? s.second : s.agent, (await s.ingest(legit(s.address, i))).ticketId);
    for (let i = 0; i < 10; i++) await report(s.agent, await s.ingest(lure(s.address, 100 + i)));
    let st = await status(s.officer);
    expect(st).toMatchObject({ labels: { phish: 10, ham: 8 }, labellers: { phish: 1, ham: 2 }, active: false, readable: true });
    const quiet = await s.ingest(lure(s.address, 200));
    expect(await codesOf(quiet.messageId)).not.toContain('content.learned_phishing');

    for (let i = 0; i < 5; i++) await report(s.second, await s.ingest(lure(s.address, 300 + i)));
    st = await status(s.officer);
    expect(st).toMatchObject({ labels: { phish: 15, ham: 8 }, labellers: { phish: 2, ham: 2 }, active: true, balanced: true });
    const flagged = await s.ingest(lure(s.address, 400));
    expect(await codesOf(flagged.messageId)).toContain('content.learned_phishing');
    // And legitimate mail like what the team answered is not.
    expect(await codesOf((await s.ingest(legit(s.address, 50))).messageId)).not.toContain('content.learned_phishing');
  });

  it('bulk: one person’s labels beyond the daily cap are recorded, not learned, and the status says so', async () => {
    const s = await setup();
    const at = new Date();
    const db = services.database.db;
    for (let i = 0; i < 300; i++) {
      await db.transaction().execute((trx) => learnLabel(trx, services.keyring, { orgId: s.org.orgId, messageRef: randomUUID(), label: 'phish', source: 'report', labellerId: s.agent.userId, tokens: [`w:word${i % 7}`, 's:bulk'], at }));
    }
    const st = await status(s.officer);
    expect(st.labels.phish).toBe(DEFAULT_LIMITS.dailyCap);
    expect(st.refused).toEqual({ today: 300 - DEFAULT_LIMITS.dailyCap, total: 300 - DEFAULT_LIMITS.dailyCap });
    expect(st.dailyCap).toBe(DEFAULT_LIMITS.dailyCap);
    expect(await labels(s.org.orgId)).toHaveLength(300);
  });

  it('learns several labels of a reply in one go, and relabels with the stored keys', async () => {
    const s = await setup();
    const refs = [randomUUID(), randomUUID()];
    const outcomes = await services.database.db.transaction().execute((trx) =>
      learnLabels(trx, services.keyring, s.org.orgId, refs.map((messageRef, i) => ({ orgId: s.org.orgId, messageRef, label: 'ham' as const, source: 'reply' as const, labellerId: s.agent.userId, tokens: [`w:order${i}`, 'w:parcel'] }))),
    );
    expect(outcomes).toEqual(['learned', 'learned']);
    expect((await status(s.officer))).toMatchObject({ labels: { phish: 0, ham: 2 }, tokens: 3 });
    // A relabel passes no tokens: the stored keys are unlearned and learned again.
    await services.database.db.transaction().execute((trx) => learnLabel(trx, services.keyring, { orgId: s.org.orgId, messageRef: refs[0]!, label: 'phish', source: 'delete', labellerId: s.officer.userId, tokens: [] }));
    expect((await status(s.officer))).toMatchObject({ labels: { phish: 1, ham: 1 }, tokens: 3 });
  });

  it('refuses labels from simulations', async () => {
    const s = await setup();
    await expect(
      services.database.db.transaction().execute((trx) => learnLabel(trx, services.keyring, { orgId: s.org.orgId, messageRef: randomUUID(), label: 'phish', source: 'simulation', labellerId: s.agent.userId, tokens: ['s:x'] })),
    ).rejects.toThrow(/simulation/i);
    expect(await labels(s.org.orgId)).toHaveLength(0);
  });

  it('an unreadable model never stops mail or a report; the status says so and the reset recovers, audited', async () => {
    const s = await setup();
    const db = services.database.db;
    await report(s.agent, await s.ingest(lure(s.address, 1)));
    // A model from another version, properly encrypted: ModelFormatError.
    const future = { ...(new LearnedModel().toJSON() as object), version: 99 };
    const enc = await services.keyring.encrypt({ type: 'organization', id: s.org.orgId }, { table: 'phishing_models', column: 'model_enc', rowId: s.org.orgId }, JSON.stringify(future));
    await db.updateTable('phishing_models').set({ model_enc: enc, updated_at: new Date() }).where('org_id', '=', s.org.orgId).execute();
    expect(await status(s.officer)).toMatchObject({ readable: false, active: false });
    // Bytes that are not a ciphertext at all.
    await db.updateTable('phishing_models').set({ model_enc: Buffer.from('not a model at all'), updated_at: new Date(Date.now() + 1000) }).where('org_id', '=', s.org.orgId).execute();
    const st = await status(s.officer);
    expect(st).toMatchObject({ readable: false, abilities: { reset: false } });
    const m = await s.ingest(lure(s.address, 2));
    expect(m.outcome).toBe('ticket_created');
    await report(s.agent, m);
    expect((await labels(s.org.orgId)).find((l) => l.message_ref === m.messageId)).toMatchObject({ learned: false });

    expect((await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: s.admin.headers, payload: { reason: 'short' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: s.officer.headers, payload: { reason: 'model cannot be read any more' } })).statusCode).toBe(403);
    const reset = await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: s.admin.headers, payload: { reason: 'model cannot be read any more' } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toMatchObject({ readable: true, labels: { phish: 0, ham: 0 }, refused: { today: 0, total: 0 }, abilities: { reset: true } });
    expect(reset.json().resetAt).not.toBeNull();
    expect(await labels(s.org.orgId)).toHaveLength(0);
    await services.audit.flush();
    const events = await db.selectFrom('audit_log').where('org_id', '=', s.org.orgId).where('action', '=', 'policy.phishing_learning_reset').select(['actor_id', 'purpose']).execute();
    expect(events).toEqual([{ actor_id: s.admin.userId, purpose: 'model cannot be read any more' }]);
    // Learning starts again.
    await report(s.agent, await s.ingest(lure(s.address, 3)));
    expect((await status(s.officer)).labels).toEqual({ phish: 1, ham: 0 });
  });

  it('another organisation reads and resets only its own; agents and read-only tokens cannot reset', async () => {
    const s = await setup();
    await report(s.agent, await s.ingest(lure(s.address, 1)));
    const stranger = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await status(stranger)).labels).toEqual({ phish: 0, ham: 0 });
    expect((await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: stranger.headers, payload: { reason: 'trying the other organisation' } })).statusCode).toBe(200);
    expect((await status(s.officer)).labels).toEqual({ phish: 1, ham: 0 });
    expect(await labels(s.org.orgId)).toHaveLength(1);

    expect((await app.inject({ url: '/api/phishing-learning', headers: s.agent.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: s.agent.headers, payload: { reason: 'agents may not do this' } })).statusCode).toBe(403);
    const owner = await buildUser(services, s.org, { roles: ['administrator', 'security_officer'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'read-only', scopes: [...READ_ONLY_PERMISSIONS], expiresInDays: 1, kind: 'personal' });
    const bearer = { authorization: `Bearer ${token}` };
    expect((await app.inject({ url: '/api/phishing-learning', headers: bearer })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: bearer, payload: { reason: 'a read-only token trying' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/phishing-learning' })).statusCode).toBe(401);
    // The administrator's own session may.
    const adminSession = await signInAs(app, owner);
    expect((await app.inject({ method: 'POST', url: '/api/phishing-learning/reset', headers: adminSession.headers, payload: { reason: 'start again from scratch' } })).statusCode).toBe(200);
  });
});
