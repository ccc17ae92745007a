/**
 * Per-person notification preferences: per kind, in the app and/or by email.
 * A kind without a stored row uses DEFAULT_PREFERENCES (decision 0146).
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import { NOTIFICATION_KINDS, type NotificationKind } from './schema.js';
import './schema.js';

export interface Preference {
  inApp: boolean;
  email: boolean;
}

/** What reaches a person before they choose: work that is theirs by email too; the team queue only in the app. */
export const DEFAULT_PREFERENCES: Readonly<Record<NotificationKind, Preference>> = {
  assigned: { inApp: true, email: true },
  new_ticket: { inApp: true, email: false },
  customer_reply: { inApp: true, email: true },
  mention: { inApp: true, email: true },
  sla_breach: { inApp: true, email: true },
  chat_waiting: { inApp: true, email: false },
  // Training reminders (decision 0197): sent by the training job itself, at most one per assignment and kind.
  training_due: { inApp: true, email: true },
  policy_attestation: { inApp: true, email: true },
  // A new device or network used for a privileged role (docs/devices.md): told in the app and by email.
  new_device: { inApp: true, email: true },
};

/** Each user's preference for one kind. */
export async function preferencesFor(db: Executor, userIds: readonly string[], kind: NotificationKind): Promise<Map<string, Preference>> {
  const out = new Map<string, Preference>(userIds.map((id) => [id, DEFAULT_PREFERENCES[kind]]));
  if (userIds.length === 0) return out;
  const rows = await db.selectFrom('notification_preferences').where('user_id', 'in', [...userIds]).where('kind', '=', kind).select(['user_id', 'in_app', 'email']).execute();
  for (const r of rows) out.set(r.user_id, { inApp: r.in_app, email: r.email });
  return out;
}

export async function readPreferences(db: Executor, userId: string): Promise<Array<{ kind: NotificationKind } & Preference>> {
  const rows = await db.selectFrom('notification_preferences').where('user_id', '=', userId).select(['kind', 'in_app', 'email']).execute();
  const stored = new Map(rows.map((r) => [r.kind, { inApp: r.in_app, email: r.email }]));
  return NOTIFICATION_KINDS.map((kind) => ({ kind, ...(stored.get(kind) ?? DEFAULT_PREFERENCES[kind]) }));
}

export async function savePreferences(db: Executor, userId: string, items: ReadonlyArray<{ kind: NotificationKind } & Preference>): Promise<void> {
  const now = new Date();
  const byKind = new Map(items.map((i) => [i.kind, i]));
  const values = [...byKind.values()].map((i) => ({ user_id: userId, kind: i.kind, in_app: i.inApp, email: i.email, updated_at: now }));
  if (values.length === 0) return;
  await db
    .insertInto('notification_preferences')
    .values(values)
    .onConflict((oc) => oc.columns(['user_id', 'kind']).doUpdateSet((eb) => ({ in_app: eb.ref('excluded.in_app'), email: eb.ref('excluded.email'), updated_at: eb.ref('excluded.updated_at') })))
    .execute();
}
