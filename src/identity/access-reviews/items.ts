/**
 * Pure: a snapshot of who holds what, plus what the audit trail shows them
 * using, into the items of a campaign with their dormant and unused flags.
 */
import { randomUUID } from 'node:crypto';
import type { AccessSnapshot } from './access-reviews.repository.js';
import { findUnusedPermissions, isDormant } from './usage.js';

export interface NewItem {
  id: string;
  campaign_id: string;
  user_id: string;
  kind: 'role' | 'team';
  role_id: string | null;
  team_id: string | null;
  dormant: boolean;
  /** Deprovisioned over SCIM since the last review: the reviewer confirms the access left with them. */
  deprovisioned: boolean;
  unused_permissions: string[];
  subject_email: string;
  subject_name: string;
  role_key: string | null;
  role_name: string | null;
  team_name: string | null;
  last_signin_at: Date | null;
  granted_permissions: string[];
}

export function buildItems(options: {
  campaignId: string;
  snapshot: AccessSnapshot;
  exercised: ReadonlyArray<{ user_id: string; permission: string }>;
  dormantDays: number;
  now: Date;
}): NewItem[] {
  const { snapshot, campaignId } = options;
  const users = new Map(snapshot.users.map((u) => [u.id, u]));
  const grants = new Map<string, string[]>();
  for (const g of snapshot.grants) grants.set(g.role_id, [...(grants.get(g.role_id) ?? []), g.permission]);
  const exercised = new Map<string, Set<string>>();
  for (const e of options.exercised) {
    const set = exercised.get(e.user_id) ?? new Set<string>();
    set.add(e.permission);
    exercised.set(e.user_id, set);
  }
  const base = (userId: string) => {
    const u = users.get(userId);
    if (!u) return null;
    return {
      campaign_id: campaignId,
      user_id: userId,
      subject_email: u.email,
      subject_name: u.name,
      last_signin_at: u.last_signin_at,
      dormant: isDormant({ lastSigninAt: u.last_signin_at, days: options.dormantDays, now: options.now }),
      deprovisioned: u.deprovisioned,
    };
  };
  const items: NewItem[] = [];
  for (const r of snapshot.roles) {
    const b = base(r.user_id);
    if (!b) continue;
    const granted = [...new Set(grants.get(r.role_id) ?? [])].sort();
    items.push({
      ...b, id: randomUUID(), kind: 'role', role_id: r.role_id, team_id: null, role_key: r.key, role_name: r.name, team_name: null,
      granted_permissions: granted,
      unused_permissions: findUnusedPermissions({ granted, exercised: exercised.get(r.user_id) ?? [] }),
    });
  }
  for (const t of snapshot.teams) {
    const b = base(t.user_id);
    if (!b) continue;
    items.push({ ...b, id: randomUUID(), kind: 'team', role_id: null, team_id: t.team_id, role_key: null, role_name: null, team_name: t.name, granted_permissions: [], unused_permissions: [] });
  }
  return items;
}
