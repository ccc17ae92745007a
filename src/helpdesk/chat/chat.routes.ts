/**
 * Live chat routes (docs/chat.md). The widget's routes are `public` to the
 * staff gate and authenticate the visitor themselves: by the conversation
 * token (files, the socket's first frame), a site identity token, or the
 * portal session. The console's routes are ordinary staff routes behind the
 * gate. The frame page is served with a CSP whose frame-ancestors lists only
 * the organisation's allowed origins; the loader script may be used by any
 * page (it holds nothing and reads nothing).
 */
import { organizationStatus, SUSPENDED_MESSAGE } from '../../identity/organizations/status.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { ProblemRef, problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { chatEndpoints as e } from '../../platform/http/schemas/chat.js';
import { WEB_DIST_DIR } from '../../platform/http/web.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import { createPortalDeps, type PortalDepsOptions } from '../portal/deps.js';
import { authenticatePortal, clientOf } from '../portal/sessions.js';
import { uploadAttachment } from '../portal/tickets.service.js';
import { issueFormToken, submitWebRequest } from '../portal/web-form.js';
import {
  acceptChat,
  appendAttachmentEvent,
  authenticateVisitor,
  chatAvailability,
  endChat,
  postAgentMessage,
  readChatForAgent,
  startConversation,
  transferChat,
  transferTeams,
  type ChatDeps,
} from './conversations.js';
import { confirmEmailCode, requestEmailCode } from './identify.js';
import { startAbandonedChatSweeper } from './abandoned.js';
import { listChats, startOfferSweeper } from './inbox.js';
import { canonicalOrigin, loadChatSettings, rotateIdentitySecret, updateChatSettings } from './settings.js';
import { ChatSocketHub, type ChatSocketOptions } from './socket.js';
import { customerBaseUrl, isServedOrigin } from '../../identity/organizations/hosts.js';

const errors = { ...problemResponses, 409: ProblemRef, 410: ProblemRef, 413: ProblemRef, 415: ProblemRef, 429: ProblemRef };
const tags = ['chat'];

export interface ChatRouteOptions extends PortalDepsOptions {
  socket?: ChatSocketOptions;
  /** The offer sweep's period (tests run it by hand with 0). */
  sweepEveryMs?: number;
  distDir?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    chatSockets?: ChatSocketHub;
  }
}

export function chatRoutesWith(options: ChatRouteOptions = {}) {
  return async function chatRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps: ChatDeps = { ...(await createPortalDeps(app.services, options)), bus: app.bus, presence: app.presence };
    const hub = new ChatSocketHub(deps, app.services.logger, options.socket);
    app.addHook('onClose', async () => hub.close());
    if ((options.sweepEveryMs ?? 5_000) > 0) {
      const stop = startOfferSweeper(deps, app.services.logger, options.sweepEveryMs ?? 5_000);
      const stopAbandoned = startAbandonedChatSweeper(deps, app.services.logger);
      app.addHook('onClose', async () => {
        stop();
        stopAbandoned();
      });
    }
    const agent = (request: Parameters<typeof requirePrincipal>[0]): AgentContext => ({ principal: requirePrincipal(request), requestId: String(request.id), sourceIp: request.ip });
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: deps.policy.maxUploadBytes }, (_req, body, done) => done(null, body));

    // --- The widget (public) ------------------------------------------------------------------------

    r.get(e.availability.url, {
      config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Whether chat is on for this page and anyone can answer now', querystring: e.availability.querystring, response: { 200: e.availability.response, ...errors } },
    }, async (request) => chatAvailability(deps, { orgId: request.query.orgId, host: request.query.host, portal: request.query.portal === true }));

    r.post(e.start.url, {
      // Per address: an office behind one NAT address has many visitors.
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Start a conversation: anonymously, with a site identity token, or as the signed-in portal customer', body: e.start.body, response: { 201: e.start.response, ...errors } },
    }, async (request, reply) => {
      const portalCustomer = request.body.portal === true ? await authenticatePortal(deps, request) : undefined;
      const started = await startConversation(deps, clientOf(request), { ...request.body, portalCustomer });
      return reply.code(201).send(started);
    });

    r.post(e.offline.url, {
      config: { public: true, rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Leave a message when nobody can chat: it becomes a ticket', body: e.offline.body, response: { 202: e.offline.response, ...errors } },
    }, async (request, reply) => {
      const b = request.body;
      const settings = await loadChatSettings(deps.db, b.orgId);
      const origin = canonicalOrigin(b.host);
      if (!settings.enabled || !origin || (!(await isServedOrigin(deps, origin, b.orgId)) && !settings.allowedOrigins.includes(origin))) throw new AppError('forbidden', 'This website may not embed the chat.');
      // The public form's path: the same DLP stage, routing and acknowledgement. The widget is the form here,
      // so it is issued its fill-time token now and checked as already filled.
      const formToken = issueFormToken(deps, b.orgId, Date.now() - deps.policy.minFillMs);
      await submitWebRequest(deps, clientOf(request), { orgId: b.orgId, name: b.name, email: b.email, subject: `Chat message: ${b.message.split('\n')[0]!.slice(0, 80)}`, body: b.message, formToken });
      return reply.code(202).send({ received: true as const });
    });

    r.post(e.upload.url, {
      config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Send a file in the chat (X-Chat-Token: <conversation token>; the file as application/octet-stream)', querystring: e.upload.querystring, response: { 201: e.upload.response, ...errors } },
    }, async (request, reply) => {
      // Not Authorization: a bearer there is a staff API token to the authentication hook.
      const token = request.headers['x-chat-token'];
      const visitor = await authenticateVisitor(deps, token, clientOf(request));
      if (!visitor.ticketId) throw new AppError('conflict', 'Send a message first, then the file.');
      const { status } = await deps.db.selectFrom('chat_conversations').where('id', '=', visitor.conversationId).select('status').executeTakeFirstOrThrow();
      if (status === 'ended') throw new AppError('conflict', 'This chat has ended.');
      if (!Buffer.isBuffer(request.body)) throw new AppError('unsupported_media_type', 'Send the file as application/octet-stream.');
      const caller = { orgId: visitor.orgId, customerId: visitor.customerId, sessionHash: Buffer.alloc(0), method: 'code' as const, mfaAt: null, ip: visitor.ip, requestId: visitor.requestId };
      const stored = await uploadAttachment(deps, caller, { ticketId: visitor.ticketId, filename: request.query.name, declaredType: 'application/octet-stream', bytes: request.body });
      const seq = await appendAttachmentEvent(deps, visitor, stored.messageId);
      return reply.code(201).send({ seq, attachmentId: stored.attachmentId, dangerous: stored.dangerous });
    });

    r.post(e.identify.url, {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Ask for a code to an email address, to say who you are (X-Chat-Token: <conversation token>)', body: e.identify.body, response: { 202: e.identify.response, ...errors } },
    }, async (request, reply) => {
      const visitor = await authenticateVisitor(deps, request.headers['x-chat-token'], clientOf(request));
      return reply.code(202).send(await requestEmailCode(deps, visitor, { email: request.body.email }));
    });

    r.post(e.confirmIdentity.url, {
      config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Confirm the address with the emailed code: the chat becomes that customer’s (X-Chat-Token)', body: e.confirmIdentity.body, response: { 200: e.confirmIdentity.response, ...errors } },
    }, async (request) => {
      const visitor = await authenticateVisitor(deps, request.headers['x-chat-token'], clientOf(request));
      return confirmEmailCode(deps, visitor, { challengeId: request.body.challengeId, code: request.body.code.replace(/[\s-]/g, '') });
    });

    app.route({
      method: 'GET',
      url: '/api/chat/socket',
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'The widget’s live connection (WebSocket; protocol in docs/chat.md)',
        description: 'Upgrade from the chat frame (Origin must be this site). The first frame is {"type":"auth","token":"tdc_…","after":N}.',
        response: { 400: { $ref: 'Problem#' }, 403: { $ref: 'Problem#' } },
      },
      preHandler: async (request) => {
        // The chat frame is served from the installation's address or an organisation's own host name.
        if (!(await isServedOrigin(deps, request.headers.origin))) {
          throw new AppError('forbidden', 'The chat connects only from its own frame.', { internal: `chat socket: origin ${String(request.headers.origin).slice(0, 100)}` });
        }
        if (!request.ws) throw new AppError('bad_request', 'This address takes a WebSocket connection.');
      },
      handler: async () => {
        throw new AppError('bad_request', 'This address takes a WebSocket connection.');
      },
      wsHandler: (socket, request) => hub.add(socket, clientOf(request)),
    });
    app.decorate('chatSockets', hub);

    // --- The frame and the loader ------------------------------------------------------------------

    const dist = options.distDir ?? WEB_DIST_DIR;
    const frameFile = path.join(dist, 'chat.html');
    const loaderFile = path.join(dist, 'chat', 'widget.js');
    const frameHtml = existsSync(frameFile) ? readFileSync(frameFile) : null;
    const loaderJs = existsSync(loaderFile) ? readFileSync(loaderFile) : null;
    const hide = { schema: { hide: true }, config: { public: true } };

    const refuseFrame = (reply: FastifyReply, status: number, text: string) =>
      reply.code(status).header('content-security-policy', "default-src 'none'; frame-ancestors *").type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(text);

    app.get<{ Querystring: { org?: string; host?: string; portal?: string } }>('/chat/frame', hide, async (request, reply) => {
      if (!frameHtml) return refuseFrame(reply, 503, 'The web app is not built. Run `npm run build:web`.\n');
      const orgId = request.query.org ?? '';
      if (!/^[0-9a-f-]{36}$/i.test(orgId)) return refuseFrame(reply, 404, 'Chat is not available here.\n');
      const status = await organizationStatus(deps.db, orgId);
      if (status === 'suspended') return refuseFrame(reply, 403, `${SUSPENDED_MESSAGE}\n`);
      if (status !== 'active') return refuseFrame(reply, 404, 'Chat is not available here.\n');
      const settings = await loadChatSettings(deps.db, orgId);
      if (!settings.enabled) return refuseFrame(reply, 404, 'Chat is not available here.\n');
      const portal = request.query.portal === '1';
      const host = canonicalOrigin(request.query.host ?? '');
      if (!portal && (!host || !settings.allowedOrigins.includes(host))) return refuseFrame(reply, 403, 'This website may not embed the chat.\n');
      // Only the page that asked may frame it (the browser enforces this); scripts, styles and connections stay on this origin.
      const ancestors = portal ? "'self'" : host!;
      reply.removeHeader('x-frame-options');
      return reply
        .header(
          'content-security-policy',
          `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors ${ancestors}`,
        )
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(frameHtml);
    });

    app.get('/chat/widget.js', hide, async (_request, reply) => {
      if (!loaderJs) return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built.\n');
      return reply
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('cache-control', 'public, max-age=3600')
        .type('text/javascript; charset=utf-8')
        .send(loaderJs);
    });

    // --- The console ------------------------------------------------------------------------------

    r.get(e.inbox.url, {
      preHandler: requirePermission('tickets.read'),
      schema: routeSchema(e.inbox, { tags, summary: 'The chat inbox: waiting, mine, or my teams’ (no message text)' }),
    }, async (request) => listChats(deps, agent(request), request.query.box));

    r.get(e.read.url, {
      preHandler: requirePermission('tickets.read'),
      schema: routeSchema(e.read, { tags, summary: 'A chat’s conversation after a sequence number (an audited read)' }),
    }, async (request) => readChatForAgent(deps, agent(request), { ticketId: request.params.id, after: request.query.after ?? 0 }));

    r.post(e.send.url, {
      preHandler: requirePermission('tickets.write'),
      schema: routeSchema(e.send, { tags, summary: 'Reply in a chat you have accepted (the same sensitive-data stage as the customer’s)' }),
    }, async (request, reply) => reply.code(201).send(await postAgentMessage(deps, agent(request), { ticketId: request.params.id, clientId: request.body.clientId, body: request.body.body })));

    r.post(e.accept.url, {
      preHandler: requirePermission('tickets.take'),
      schema: routeSchema(e.accept, { tags, summary: 'Accept a waiting chat (within your concurrent-chat limit)' }),
    }, async (request) => acceptChat(deps, agent(request), { ticketId: request.params.id }));

    r.post(e.transfer.url, {
      preHandler: requirePermission('tickets.write'),
      schema: routeSchema(e.transfer, { tags, summary: 'Pass a chat to a person or a team' }),
    }, async (request) => transferChat(deps, agent(request), { ticketId: request.params.id, userId: request.body.userId, teamId: request.body.teamId }));

    r.get(e.transferTeams.url, {
      preHandler: requirePermission('tickets.write'),
      schema: routeSchema(e.transferTeams, { tags, summary: 'The teams this chat may be passed to (team names only)' }),
    }, async (request) => transferTeams(deps, agent(request), { ticketId: request.params.id }));

    r.post(e.end.url, {
      preHandler: requirePermission('tickets.write'),
      schema: routeSchema(e.end, { tags, summary: 'End a chat; the ticket stays open and continues by email or secure message' }),
    }, async (request) => endChat(deps, { kind: 'agent', ctx: agent(request), ticketId: request.params.id }));

    r.put(e.presence.url, {
      preHandler: requirePermission('tickets.take'),
      schema: routeSchema(e.presence, { tags, summary: 'Online or away: away takes no chats and no routed tickets' }),
    }, async (request) => {
      const ctx = agent(request);
      const away = request.body.status === 'away';
      await deps.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ away }).where('id', '=', ctx.principal.userId).where('org_id', '=', ctx.principal.orgId).execute();
        await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'user.away_change', object: { type: 'user', id: ctx.principal.userId }, result: 'success', details: { away } });
      });
      return { ok: true as const };
    });

    const view = async (orgId: string) => ({
      ...(await loadChatSettings(deps.db, orgId)),
      orgId,
      embedSnippet: `<script src="${await customerBaseUrl(deps, orgId)}/chat/widget.js" data-org="${orgId}" async></script>`,
    });

    r.get(e.settings.url, {
      preHandler: requirePermission('channels.manage'),
      schema: routeSchema(e.settings, { tags, summary: 'Chat settings and the embed snippet' }),
    }, async (request) => view(requirePrincipal(request).orgId));

    r.put(e.updateSettings.url, {
      preHandler: requirePermission('channels.manage'),
      schema: routeSchema(e.updateSettings, { tags, summary: 'Change chat settings (allowed origins, team, limits)' }),
    }, async (request) => {
      const ctx = agent(request);
      await updateChatSettings(deps, ctx, request.body);
      return view(ctx.principal.orgId);
    });

    r.post(e.rotateSecret.url, {
      preHandler: requirePermission('channels.manage'),
      schema: routeSchema(e.rotateSecret, { tags, summary: 'Make a new identity-token secret (shown once; the old one stops working)' }),
    }, async (request, reply) => reply.code(201).send(await rotateIdentitySecret(deps, agent(request))));
  };
}

export const chatRoutes = chatRoutesWith();
