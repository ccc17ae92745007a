/**
 * GET /api/realtime: the staff console's WebSocket. The upgrade request goes
 * through the app's onRequest hooks like any other (authentication, then the
 * deny-by-default gate: no session → 401, password-only session → 401
 * mfa_required); this route then accepts only a session cookie (an API token has
 * no console) and only from the app's own origin — the socket's CSRF defence,
 * since a browser sends cookies with a cross-site upgrade. Subscriptions are
 * computed by the hub from the principal; nothing the client sends is read.
 */
import type { FastifyInstance } from 'fastify';
import { readLiveChatItem } from '../../helpdesk/chat/live.js';
import { AppError } from '../errors.js';
import { RealtimeHub, type HubOptions } from './hub.js';

export type RealtimeRouteOptions = Pick<HubOptions, 'recheckMs' | 'pingMs' | 'maxSocketsPerUser' | 'maxFrameBytes' | 'maxFramesPerSecond'>;

declare module 'fastify' {
  interface FastifyInstance {
    realtime: RealtimeHub;
  }
}

export function realtimeRoutesWith(hubOptions: RealtimeRouteOptions = {}) {
  return async function realtimeRoutes(app: FastifyInstance): Promise<void> {
    const { database, config, logger, keyring, audit } = app.services;
    // The agent holding a chat is sent its new items with the frame, each read audited (decision 0190).
    const chatItem = (input: Parameters<typeof readLiveChatItem>[1]) => readLiveChatItem({ db: database.db, keyring, audit }, input);
    const hub = new RealtimeHub({ database, logger, policy: app.auth.policy, bus: app.bus, presence: app.presence, chatItem, ...hubOptions });
    app.decorate('realtime', hub);
    app.addHook('onClose', async () => hub.close());
    const allowedOrigin = new URL(config.publicUrl).origin;

    app.route({
      method: 'GET',
      url: '/api/realtime',
      config: { sessionOnly: true },
      schema: {
        tags: ['realtime'],
        summary: 'Live console updates (WebSocket)',
        description:
          'Upgrade to a WebSocket with the staff session cookie, from the app’s own origin (the Origin header must equal the public URL’s). ' +
          'The server sends JSON messages {type, seq, ticketId?}: `ready`, `ticket` (refetch that ticket and lists), `notifications` (refetch the bell), `resync` (refetch everything). ' +
          'Chat adds `chat` {ticketId, chatSeq, item?} (to the agent holding the chat: the item itself, as GET /api/chats/{id}/messages answers it; everyone else hears of it by the ticket\'s `ticket` frame), `chat-offer` {ticketId} and `typing` {ticketId, who, name}. The client may send {"t":"active"} and {"t":"typing","id":<ticketId>}; binary, large or frequent frames close the socket (1008/1009); an ended session closes it with 4401. API tokens are refused.',
        response: { 400: { $ref: 'Problem#' }, 403: { $ref: 'Problem#' } },
      },
      // Only after authentication and the gate (onRequest), before the upgrade.
      preHandler: async (request) => {
        const p = request.principal;
        if (!p || p.kind !== 'session' || !request.sessionToken) {
          throw new AppError('forbidden', 'The live connection needs a signed-in session.', { internal: 'realtime: not a session' });
        }
        if (request.headers.origin !== allowedOrigin) {
          throw new AppError('forbidden', 'The live connection must come from this site.', { internal: `realtime: origin ${String(request.headers.origin).slice(0, 100)}` });
        }
        if (!request.ws) throw new AppError('bad_request', 'This address takes a WebSocket connection.');
        await hub.start();
      },
      handler: async () => {
        throw new AppError('bad_request', 'This address takes a WebSocket connection.');
      },
      wsHandler: (socket, request) => {
        hub.add(socket, request.principal!, request.sessionToken!);
      },
    });
  };
}

export const realtimeRoutes = realtimeRoutesWith();
