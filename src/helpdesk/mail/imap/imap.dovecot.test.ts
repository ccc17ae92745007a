/**
 * Mail pull against a real dovecot (started by the test: TLS required, passwd-file users, maildirs in a temporary
 * folder, an OAuth2 passdb checking tokens at a local introspection endpoint). One scenario per database:
 *   - messages appended to INBOX become tickets once, each moved to the folder only after it was stored;
 *   - dovecot is killed (SIGKILL) between two fetches and started again: the puller reports the failure, backs off,
 *     reconnects and finishes with nothing lost and nothing twice;
 *   - a message above the size limit is not fetched: flagged $TrustdeskTooLarge, left in INBOX, counted;
 *   - a crash after storing but before marking: the next session only marks (no second ticket);
 *   - flag mode: \Seen and the keyword, left in INBOX;
 *   - XOAUTH2: a token the server refuses is refreshed once and the session goes on; a rotated refresh token is
 *     stored (encrypted); two pollers never both hold the mailbox, and the second takes over when the first stops;
 *   - the organisation's inbound messages for today taken: the rest stay on the server, unmarked, with the reason;
 *     files over its storage limit: that message stays, later ones without files still come.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../e2e/instances.js';
import type { Services } from '../../../platform/app/services.js';
import { createTestServices } from '../../../platform/app/testing.js';
import { testDatabaseKinds } from '../../../platform/db/testing.js';
import { MemoryBlobStore } from '../../../protection/blobs/store.js';
import { createDefaultHooks } from '../../ingest/hooks.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../tickets/context.js';
import { seedMailbox, seedOrganization, seedTeam } from '../../tickets/testing.js';
import { createAccount, getAccount, testAccount, updateAccount, type ImapActor, type ImapDeps } from './accounts.service.js';
import { fieldOf } from './client.js';
import { dovecotAvailable, startDovecot, type Dovecot } from './dovecot-testing.js';
import { ImapPuller, TOO_LARGE_KEYWORD } from './puller.js';
import { imapMessages, imapSessions } from '../../../platform/metrics/metrics.js';
import { renderMetrics } from '../../../platform/metrics/metrics.routes.js';
import { CLI_OPERATOR } from '../../../identity/organizations/lifecycle.js';
import { setOrganizationLimits } from '../../../identity/organizations/limits.js';

/** A counter's value for one label set (the registry is the process's: tests compare before and after). */
async function counted(metric: typeof imapMessages | typeof imapSessions, labels: Record<string, string>): Promise<number> {
  return (await metric.get()).values.find((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))?.value ?? 0;
}

const PASSWORD = 'imap-test-password';
const BACKOFF = { baseMs: 100, maxMs: 400, maxAttempts: Number.POSITIVE_INFINITY };

/** A token endpoint and introspection endpoint: the first access token it issues is one dovecot will refuse. */
function startTokenServer() {
  const valid = new Map<string, string>();
  const served = new Set<string>();
  let issued = 0;
  const refreshSeen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/token') {
        const refresh = form.get('refresh_token') ?? '';
        refreshSeen.push(refresh);
        if (form.get('grant_type') !== 'refresh_token' || !refresh.startsWith('rt-') || form.get('client_id') !== 'client-1' || form.get('client_secret') !== 'client-secret') {
          res.statusCode = 400;
          return res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'no' }));
        }
        issued++;
        const token = `at-${issued}`;
        // Each user's first token is "revoked" at once (dovecot refuses it); later ones work, for the user named in the refresh token.
        const user = refresh.slice(3).split('~')[0]!;
        if (served.has(user)) valid.set(token, user);
        served.add(user);
        return res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600, refresh_token: `${refresh.split('~')[0]}~${issued}` }));
      }
      if (req.url === '/introspect') {
        const user = valid.get(form.get('token') ?? '');
        return res.end(JSON.stringify(user ? { active: true, username: user } : { active: false }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  return new Promise<{ url: string; close: () => Promise<void>; issued: () => number; refreshSeen: string[] }>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({ url, close: () => new Promise((r) => server.close(() => r())), issued: () => issued, refreshSeen });
    }),
  );
}

function message(n: number, tag: string, extra = '', withMessageId = true): string {
  const id = withMessageId ? [`Message-ID: <pull-${tag}-${n}@shop.example>`] : [];
  return [`From: Customer ${n} <customer${n}@shop.example>`, 'To: help@pull.example', `Subject: Order question ${tag} ${n}`, ...id, 'Date: Fri, 04 Dec 2026 10:00:00 +0000', '', `Hello, where is my order ${n}?${extra}`, ''].join('\r\n');
}

describe.skipIf(!dovecotAvailable)('IMAP pull against dovecot', () => {
  let dovecot: Dovecot;
  let tokens: Awaited<ReturnType<typeof startTokenServer>>;
  const users = testDatabaseKinds.flatMap((k) => [`agent-${k}`, `oauth-${k}`, `garbled-${k}`, `limited-${k}`]);

  beforeAll(async () => {
    tokens = await startTokenServer();
    dovecot = await startDovecot({ users: users.map((name) => ({ name, password: PASSWORD })), introspectionUrl: `${tokens.url}/introspect` });
  }, 60_000);
  afterAll(async () => {
    await dovecot?.stop();
    await tokens?.close();
  });

  const admin = async (user: string) => {
    const c = new ImapFlow({ host: dovecot.host, port: dovecot.tlsPort, secure: true, tls: { ca: dovecot.certPem }, auth: { user, pass: PASSWORD }, logger: false });
    await c.connect();
    return c;
  };
  const folderState = async (user: string, folder: string) => {
    const c = await admin(user);
    try {
      const lock = await c.getMailboxLock(folder);
      try {
        const out: Array<{ uid: number; flags: string[]; subject: string }> = [];
        if ((c.mailbox && c.mailbox.exists) || 0) {
          for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true })) out.push({ uid: m.uid, flags: [...(m.flags ?? [])], subject: m.envelope?.subject ?? '' });
        }
        return out;
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
  };

  describe.each(testDatabaseKinds)('on %s', (kind) => {
    let s: Services;
    let deps: HelpdeskDeps;
    let imapDeps: ImapDeps;
    let orgId: string;
    let mailboxId: string;
    let actor: ImapActor;
    const pullers: ImapPuller[] = [];
    const user = `agent-${kind}`;

    beforeAll(async () => {
      s = await createTestServices(kind, { config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
      deps = await createHelpdeskDeps(s);
      orgId = await seedOrganization(s.database.db, `Pull ${kind}`);
      const team = await seedTeam(s.database.db, orgId, 'Support');
      mailboxId = await seedMailbox(s.database.db, orgId, `help-${kind}@pull.example`, team);
      imapDeps = { db: s.database.db, keyring: s.keyring, audit: s.audit, outbound: { allowPrivate: true }, connectTimeoutMs: 5000 };
      actor = { orgId, userId: null, actor: { type: 'system', id: 'test' }, requestId: null, sourceIp: null };
    }, 60_000);
    afterAll(async () => {
      for (const p of pullers) await p.stop();
      await s?.close();
    });

    const newPuller = (extra: Partial<ConstructorParameters<typeof ImapPuller>[0]> = {}) => {
      const p = new ImapPuller({ deps, hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), outbound: { allowPrivate: true }, leaseMs: 8000, backoff: BACKOFF, connectTimeoutMs: 5000, ...extra });
      pullers.push(p);
      return p;
    };
    const count = async (table: 'tickets' | 'messages' | 'imap_messages') =>
      (await s.database.db.selectFrom(table).where('org_id', '=', orgId).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

    it('pulls over TLS: stored once, then moved; survives a dovecot kill mid-fetch; a large message is flagged, not fetched', async () => {
      const [storedBefore, tooLargeBefore, connectedBefore] = [await counted(imapMessages, { outcome: 'stored' }), await counted(imapMessages, { outcome: 'too_large' }), await counted(imapSessions, { result: 'connected' })];
      const c = await admin(user);
      for (let i = 1; i <= 4; i++) await c.append('INBOX', message(i, kind));
      await c.append('INBOX', message(99, kind, `\r\n${'x'.repeat(40_000)}`));
      await c.logout();

      const account = await createAccount(imapDeps, actor, {
        name: 'Dovecot',
        mailboxId,
        host: dovecot.host,
        port: dovecot.tlsPort,
        security: 'tls',
        caPem: dovecot.certPem,
        username: user,
        auth: 'password',
        password: PASSWORD,
        afterStore: 'move',
        moveTo: 'Processed',
        maxBytes: 20_000,
      });
      // Plaintext is refused unless confirmed.
      await expect(updateAccount(imapDeps, actor, account.id, { security: 'none' })).rejects.toMatchObject({ code: 'validation_failed' });
      const probe = await testAccount(imapDeps, actor, account.id);
      expect(probe).toMatchObject({ ok: true, messages: 5, idle: true });

      // Kill dovecot between the first and the second message, then start it again.
      let taken = 0;
      let failuresSeen = 0;
      let restarted: Promise<void> = Promise.resolve();
      const stored: string[] = [];
      const puller = newPuller({
        onIngested: (o) => stored.push(...o.map((x) => x.outcome)),
        betweenMessages: async () => {
          if (++taken !== 1) return;
          await dovecot.kill();
          // Back once the status shows the failure (the puller meets it at its next command).
          restarted = (async () => {
            await until('failure recorded', async () => (await getAccount(imapDeps, orgId, account.id)).status.state === 'error', 10_000).catch(() => undefined);
            failuresSeen = (await getAccount(imapDeps, orgId, account.id)).status.failures;
            await dovecot.start();
          })();
        },
      });
      puller.start(100);
      await until('dovecot killed', () => taken >= 1, 30_000);
      await restarted;
      await until('all pulled', async () => (await folderState(user, 'Processed')).length === 4 && (await count('tickets')) === 4, 30_000);
      expect(failuresSeen).toBeGreaterThanOrEqual(1);
      expect(await count('tickets')).toBe(4);
      expect(stored.filter((o) => o === 'ticket_created')).toHaveLength(4);
      const inbox = await folderState(user, 'INBOX');
      expect(inbox).toHaveLength(1);
      expect(inbox[0]!.flags).toContain(TOO_LARGE_KEYWORD);
      const view = await until('status caught up', async () => {
        const v = await getAccount(imapDeps, orgId, account.id);
        return v.status.state === 'connected' && v.status.tooLarge === 1 ? v : undefined;
      });
      expect(view.status).toMatchObject({ fetched: 4, tooLarge: 1, failures: 0, lastError: null, polling: true });
      // The same in the metrics: messages by outcome, sessions, and mailboxes by state at scrape time.
      expect(await counted(imapMessages, { outcome: 'stored' })).toBeGreaterThanOrEqual(storedBefore + 4);
      expect(await counted(imapMessages, { outcome: 'too_large' })).toBe(tooLargeBefore + 1);
      expect(await counted(imapSessions, { result: 'connected' })).toBeGreaterThan(connectedBefore);
      expect(await renderMetrics(s.database.db, s.logger)).toMatch(/^trustdesk_imap_mailboxes\{state="connected"\} [1-9]/m);
      const tooLarge = await s.database.db.selectFrom('audit_log').where('org_id', '=', orgId).where('action', '=', 'imap.message.too_large').select('id').execute();
      expect(tooLarge).toHaveLength(1);

      // A crash after storing, before marking: the next session only marks it.
      let crash = true;
      const crashing = newPuller({
        onIngested: () => {
          if (crash) {
            crash = false;
            throw new Error('crash between store and mark');
          }
        },
      });
      await puller.stop();
      crashing.start(100);
      const c2 = await admin(user);
      // No Message-ID: only the UID row written with the ticket keeps it from being stored twice.
      await c2.append('INBOX', message(5, kind, '', false));
      await c2.logout();
      await until('moved after the crash', async () => (await folderState(user, 'Processed')).length === 5, 30_000);
      expect(crash).toBe(false);
      expect(await count('tickets')).toBe(5);
      expect(await count('imap_messages')).toBe(6);

      // Flag mode: the change ends the session; the next one flags \Seen + keyword and leaves the message in INBOX.
      await updateAccount(imapDeps, actor, account.id, { afterStore: 'flag', keyword: 'Trustdesk' });
      const c3 = await admin(user);
      await c3.append('INBOX', message(6, kind));
      await c3.logout();
      await until('flagged', async () => (await folderState(user, 'INBOX')).some((m) => m.subject.endsWith(' 6') && m.flags.includes('Trustdesk') && m.flags.includes('\\Seen')), 30_000);
      expect(await count('tickets')).toBe(6);
      await crashing.stop();
    }, 120_000);

    it('the organisation’s inbound messages for today taken: the rest stay on the server, unmarked, the account says why; taken once the limit allows', async () => {
      const limitedUser = `limited-${kind}`;
      const org = await seedOrganization(s.database.db, `Pull limited ${kind}`);
      const box = await seedMailbox(s.database.db, org, `limited-${kind}@pull.example`, null);
      const orgActor = { ...actor, orgId: org };
      const tickets = async () => (await s.database.db.selectFrom('tickets').where('org_id', '=', org).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
      await setOrganizationLimits({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, org, { inboundPerDay: 2 });
      const c = await admin(limitedUser);
      for (let i = 1; i <= 4; i++) await c.append('INBOX', message(i, `limited-${kind}`));
      await c.logout();
      const deferredBefore = await counted(imapMessages, { outcome: 'deferred_limit' });
      const account = await createAccount(imapDeps, orgActor, {
        name: 'Limited', mailboxId: box, host: dovecot.host, port: dovecot.tlsPort, security: 'tls', caPem: dovecot.certPem,
        username: limitedUser, auth: 'password', password: PASSWORD, afterStore: 'move', moveTo: 'Processed', maxBytes: 20_000, pollSeconds: 5,
      });
      const p = newPuller();
      p.start(100);
      const view = await until('deferred', async () => {
        const v = await getAccount(imapDeps, org, account.id);
        return v.status.lastError?.includes('inbound messages for today') ? v : undefined;
      }, 30_000);
      expect(view.status.lastError).toMatch(/taken its 2 inbound messages for today \(UTC\); the rest stay on the server and are taken from midnight UTC/);
      expect(await tickets()).toBe(2);
      expect(await folderState(limitedUser, 'INBOX')).toHaveLength(2);
      expect((await folderState(limitedUser, 'Processed')).length).toBe(2);
      expect(await counted(imapMessages, { outcome: 'deferred_limit' })).toBeGreaterThan(deferredBefore);

      // The limit raised (as the next UTC day would): the next poll takes the rest and the reason clears.
      await setOrganizationLimits({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, org, { inboundPerDay: null });
      await until('the rest pulled', async () => (await folderState(limitedUser, 'Processed')).length === 4 && (await tickets()) === 4, 30_000);
      await until('reason cleared', async () => (await getAccount(imapDeps, org, account.id)).status.lastError === null, 30_000);

      // Files over the storage limit: that message stays on the server with the reason; one without files still comes.
      await setOrganizationLimits({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, org, { storageBytes: 100 });
      const withFile = [`From: Customer 7 <customer7@shop.example>`, 'To: help@pull.example', `Subject: Invoice limited ${kind}`, `Message-ID: <pull-file-${kind}@shop.example>`, 'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'Invoice attached.', '--b1', 'Content-Type: application/pdf; name="invoice.pdf"',
        'Content-Disposition: attachment; filename="invoice.pdf"', 'Content-Transfer-Encoding: base64', '', Buffer.alloc(2000, 0x41).toString('base64'), '--b1--', ''].join('\r\n');
      const c2 = await admin(limitedUser);
      await c2.append('INBOX', withFile);
      await c2.append('INBOX', message(8, `limited-${kind}`));
      await c2.logout();
      await until('the one without files pulled', async () => (await tickets()) === 5, 30_000);
      const held = await until('storage reason shown', async () => {
        const v = await getAccount(imapDeps, org, account.id);
        return v.status.lastError?.includes('attachment storage is used up') ? v : undefined;
      }, 30_000);
      expect(held.status.state).toBe('connected');
      expect((await folderState(limitedUser, 'INBOX')).map((m) => m.subject)).toEqual([`Invoice limited ${kind}`]);
      await p.stop();
    }, 60_000);

    it('XOAUTH2: a refused token is refreshed once, the rotated refresh token is stored; one poller per mailbox', async () => {
      const oauthUser = `oauth-${kind}`;
      const c = await admin(oauthUser);
      await c.append('INBOX', message(1, `oauth-${kind}`));
      await c.logout();
      const before = tokens.issued();
      const account = await createAccount(imapDeps, actor, {
        name: 'OAuth mailbox',
        mailboxId,
        host: dovecot.host,
        port: dovecot.starttlsPort,
        security: 'starttls',
        caPem: dovecot.certPem,
        username: oauthUser,
        auth: 'xoauth2',
        oauthTokenUrl: `${tokens.url}/token`,
        oauthClientId: 'client-1',
        oauthClientSecret: 'client-secret',
        oauthRefreshToken: `rt-${oauthUser}`,
        afterStore: 'flag',
      });
      expect(account).toMatchObject({ hasRefreshToken: true, hasClientSecret: true, hasPassword: false });
      const a = newPuller();
      const b = newPuller();
      a.start(100);
      await until('oauth message pulled', async () => (await folderState(oauthUser, 'INBOX')).some((m) => m.flags.includes('$Trustdesk')), 30_000);
      b.start(100);
      // The first token was refused, so exactly one more was fetched for this connection.
      expect(`${tokens.issued() - before} ${JSON.stringify(tokens.refreshSeen)}`).toMatch(/^2 /);
      const row = await s.database.db.selectFrom('imap_accounts').where('id', '=', account.id).select(['oauth_refresh_token_enc']).executeTakeFirstOrThrow();
      const stored = await s.keyring.decrypt(fieldOf(account.id, 'oauth_refresh_token_enc'), row.oauth_refresh_token_enc!);
      expect(stored).toMatch(new RegExp(`^rt-${oauthUser}~\\d+$`));
      // Only one of the two holds it; when it stops, the other takes over.
      await new Promise((r) => setTimeout(r, 500));
      const holders = [a, b].filter((p) => p.active.includes(account.id));
      expect(holders).toHaveLength(1);
      await holders[0]!.stop();
      const other = holders[0] === a ? b : a;
      await until('taken over', () => other.active.includes(account.id), 15_000);
      const c2 = await admin(oauthUser);
      await c2.append('INBOX', message(2, `oauth-${kind}`));
      await c2.logout();
      await until('pulled by the other poller', async () => (await folderState(oauthUser, 'INBOX')).filter((m) => m.flags.includes('$Trustdesk')).length === 2, 30_000);
    }, 90_000);

    it('a server answering garbage: the status names it, the puller backs off and recovers once the server behaves', async () => {
      const failedBefore = await counted(imapSessions, { result: 'failed' });
      const garbledUser = `garbled-${kind}`;
      const c = await admin(garbledUser);
      await c.append('INBOX', message(1, `garbled-${kind}`));
      await c.logout();
      // The first connections get a greeting, then bytes no IMAP parser accepts; later ones reach dovecot.
      let garbled = 2;
      const sockets = new Set<net.Socket>();
      const proxy = net.createServer((sock) => {
        sockets.add(sock);
        sock.on('error', () => undefined);
        if (garbled > 0) {
          garbled--;
          sock.write('* OK IMAP4rev1 ready\r\n');
          sock.once('data', () => sock.end('* OK [CAPABILITY IMAP4rev1 STARTTLS\r\n)(( \u0000 {99999999999}\r\n'));
          return;
        }
        const up = net.connect(dovecot.starttlsPort, dovecot.host);
        up.on('error', () => sock.destroy());
        sock.pipe(up).pipe(sock);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
      try {
        // Only this mailbox is read now, by one new poller.
        for (const earlier of pullers) await earlier.stop();
        await s.database.db.updateTable('imap_accounts').set({ enabled: false }).where('org_id', '=', orgId).execute();
        const account = await createAccount(imapDeps, actor, {
          name: 'Garbled',
          mailboxId,
          host: '127.0.0.1',
          port: (proxy.address() as AddressInfo).port,
          security: 'starttls',
          caPem: dovecot.certPem,
          username: garbledUser,
          auth: 'password',
          password: PASSWORD,
          afterStore: 'flag',
        });
        const errors = new Set<string>();
        const p = newPuller();
        p.start(100);
        await until('recovered', async () => {
          const v = await getAccount(imapDeps, orgId, account.id);
          if (v.status.lastError) errors.add(v.status.lastError);
          return (await folderState(garbledUser, 'INBOX')).some((m) => m.flags.includes('$Trustdesk'));
        }, 30_000);
        expect([...errors]).toContain('the server sent a response that could not be understood');
        expect(await counted(imapSessions, { result: 'failed' })).toBeGreaterThan(failedBefore);
        const v = await until('status clear', async () => {
          const x = await getAccount(imapDeps, orgId, account.id);
          return x.status.state === 'connected' && x.status.failures === 0 ? x : undefined;
        });
        expect(v.status).toMatchObject({ fetched: 1, lastError: null });
        await p.stop();
      } finally {
        for (const sock of sockets) sock.destroy();
        await new Promise((r) => proxy.close(() => r(undefined)));
      }
    }, 60_000);
  });
});
