/**
 * /api/notifications — the caller's own notifications and preferences
 * (schemas: src/platform/http/schemas/notifications.ts). No permission is
 * needed beyond a signed-in staff account: everything is the caller's own.
 * Marking read and preferences are `ownAccount` writes (decision 0107): an
 * auditor's session may use them; a read-only token may only read.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { notificationEndpoints as e } from '../../platform/http/schemas/notifications.js';
import { DEFAULT_EMAIL_INTERVAL_MINUTES } from './digest.js';
import { countUnread, listNotifications, markAllRead, markRead } from './notifications.service.js';
import { readPreferences, savePreferences } from './preferences.js';

function me(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return request.principal;
}

export async function notificationRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const db = app.services.database.db;
  const tags = ['notifications'];
  const own = { ownAccount: true };
  const preferences = async (userId: string) => ({ items: await readPreferences(db, userId), emailIntervalMinutes: DEFAULT_EMAIL_INTERVAL_MINUTES });

  r.get(e.list.url, { schema: routeSchema(e.list, { tags, summary: 'Your notifications, newest first (paged with `next`)' }) }, async (request) => listNotifications(db, me(request), request.query));

  r.get(e.unreadCount.url, { schema: routeSchema(e.unreadCount, { tags, summary: 'How many of your notifications are unread' }) }, async (request) => ({ unread: await countUnread(db, me(request)) }));

  r.post(e.markAllRead.url, { config: own, schema: routeSchema(e.markAllRead, { tags, summary: 'Mark all your notifications read' }) }, async (request) => ({ marked: await markAllRead(db, me(request)) }));

  r.post(e.markRead.url, { config: own, schema: routeSchema(e.markRead, { tags, summary: 'Mark one of your notifications read (another person’s: 404)' }) }, async (request) => ({
    marked: await markRead(db, me(request), request.params.id),
  }));

  r.get(e.preferences.url, { schema: routeSchema(e.preferences, { tags, summary: 'What you are told about, in the app and by email' }) }, async (request) => preferences(me(request).userId));

  r.put(e.savePreferences.url, { config: own, schema: routeSchema(e.savePreferences, { tags, summary: 'Choose what you are told about, in the app and by email' }) }, async (request) => {
    const p = me(request);
    await savePreferences(db, p.userId, request.body.items);
    return preferences(p.userId);
  });
}
