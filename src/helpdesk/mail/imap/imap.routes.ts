/**
 * /api/organization/mail/imap — pulled IMAP mailboxes (docs/mail-pull.md, decisions 0225–0226): list and read with
 * the poller's status, create, change, delete and test a connection; all under channels.manage and audited.
 * Schemas: src/platform/http/schemas/imap.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../../identity/auth/auth.routes.js';
import { routeSchema } from '../../../platform/http/schemas/common.js';
import { imapEndpoints as e } from '../../../platform/http/schemas/imap.js';
import { createAccount, deleteAccount, getAccount, listAccounts, testAccount, updateAccount, type ImapActor, type ImapDeps } from './accounts.service.js';

const tags = ['email channels'];

function actorOf(request: FastifyRequest): ImapActor {
  const p = requirePrincipal(request);
  const client = clientOf(request);
  const token = p.kind === 'token';
  return {
    orgId: p.orgId,
    userId: p.userId,
    actor: { type: token ? 'token' : 'user', id: token ? (p.tokenId ?? p.userId) : p.userId },
    requestId: client.requestId,
    sourceIp: client.ip,
  };
}

export function createImapRoutes(options: { deps?: (app: FastifyInstance) => ImapDeps } = {}) {
  return async function imapRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps: ImapDeps = options.deps
      ? options.deps(app)
      : { db: app.services.database.db, keyring: app.services.keyring, audit: app.services.audit, outbound: { allowPrivate: app.services.config.allowPrivateWebhooks } };
    const manage = requirePermission('channels.manage');

    r.get(e.list.url, { preHandler: manage, schema: routeSchema(e.list, { tags, summary: 'Pulled IMAP mailboxes with their status (state, last error, messages fetched)' }) }, async (request) => ({
      items: await listAccounts(deps, requirePrincipal(request).orgId),
    }));

    r.post(e.create.url, { preHandler: manage, schema: routeSchema(e.create, { tags, summary: 'Pull an IMAP mailbox into an inbound address; secrets are stored encrypted and never returned (audited)' }) }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(await createAccount(deps, actorOf(request), request.body));
    });

    r.get(e.read.url, { preHandler: manage, schema: routeSchema(e.read, { tags, summary: 'One pulled mailbox and its status' }) }, async (request) => getAccount(deps, requirePrincipal(request).orgId, request.params.id));

    r.put(e.update.url, { preHandler: manage, schema: routeSchema(e.update, { tags, summary: 'Change a pulled mailbox; a secret left out stays, null removes it (audited)' }) }, async (request) =>
      updateAccount(deps, actorOf(request), request.params.id, request.body),
    );

    r.delete(e.remove.url, { preHandler: manage, schema: routeSchema(e.remove, { tags, summary: 'Stop pulling a mailbox (tickets stay; nothing on the server changes) (audited)' }) }, async (request) => {
      await deleteAccount(deps, actorOf(request), request.params.id);
      return { ok: true as const };
    });

    r.post(
      e.test.url,
      { preHandler: manage, config: { rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.test, { tags, summary: 'Connect, sign in and open the folder now; report the outcome (audited; nothing is fetched)' }) },
      async (request) => testAccount(deps, actorOf(request), request.params.id),
    );
  };
}

export const imapRoutes = createImapRoutes();
