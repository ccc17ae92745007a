/**
 * Contract of the notification routes (src/helpdesk/notifications/notifications.routes.ts):
 * the caller's own notifications (list, unread count, mark read) and their
 * preferences per kind. A notification names a ticket by number only
 * (decision 0146): the subject is customer data and stays on the ticket.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

export const NOTIFICATION_KINDS = ['assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due', 'policy_attestation', 'new_device'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export const NotificationKindT = Literals(NOTIFICATION_KINDS);
export const NOTIFICATION_PAGE_MAX = 50;

export const Notification = Type.Object({
  id: Uuid,
  kind: NotificationKindT,
  ticket: Nullable(Type.Object({ id: Uuid, number: Type.Integer() })),
  /** Events folded into this notification while it was unread. */
  count: Type.Integer({ minimum: 1 }),
  /** Staff member who caused the latest event, when one did. */
  actorName: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  readAt: Nullable(Timestamp),
});
export const NotificationListQuery = Type.Object({
  /** The `next` cursor of the previous page. */
  before: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: NOTIFICATION_PAGE_MAX })),
  unread: Type.Optional(Type.Boolean()),
});
export const NotificationList = Type.Object({ items: Type.Array(Notification), next: Nullable(Type.String()), unread: Type.Integer() });
export const UnreadCount = Type.Object({ unread: Type.Integer() });
export const MarkedRead = Type.Object({ marked: Type.Integer() });

export const NotificationPreference = Type.Object({ kind: NotificationKindT, inApp: Type.Boolean(), email: Type.Boolean() }, { additionalProperties: false });
export const NotificationPreferences = Type.Object({
  items: Type.Array(NotificationPreference, { maxItems: NOTIFICATION_KINDS.length }),
  /** Minutes between two notification emails to one person; events in between are folded into one digest. */
  emailIntervalMinutes: Type.Integer(),
});
export const NotificationPreferencesBody = Type.Object({ items: Type.Array(NotificationPreference, { minItems: 1, maxItems: NOTIFICATION_KINDS.length }) }, { additionalProperties: false });

export const notificationEndpoints = {
  list: { method: 'GET', url: '/api/notifications', querystring: NotificationListQuery, response: NotificationList },
  unreadCount: { method: 'GET', url: '/api/notifications/unread-count', response: UnreadCount },
  markRead: { method: 'POST', url: '/api/notifications/:id/read', params: IdParams, response: MarkedRead },
  markAllRead: { method: 'POST', url: '/api/notifications/read-all', response: MarkedRead },
  preferences: { method: 'GET', url: '/api/notifications/preferences', response: NotificationPreferences },
  savePreferences: { method: 'PUT', url: '/api/notifications/preferences', body: NotificationPreferencesBody, response: NotificationPreferences },
} as const satisfies Record<string, Endpoint>;
