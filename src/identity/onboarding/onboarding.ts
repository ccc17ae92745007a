/**
 * The getting-started checklist of a new installation (decision 0160): each item is read from what exists, never
 * ticked by hand — a mailbox, a second member of staff (active or invited), a security-policy change recorded in
 * the audit trail, a successful test email. Dismissing it is remembered per organisation (settings.onboarding).
 */
import { writeOrgSetting } from '../organization/settings.js';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { OnboardingItemKey } from '../../platform/http/schemas/onboarding.js';
import '../../helpdesk/tickets/schema.js';

export const ONBOARDING_LINKS: Record<OnboardingItemKey, string> = {
  mailbox: '/admin/email',
  team: '/admin/invitations',
  securityPolicy: '/admin/security-policy',
  testEmail: '/admin/email',
};

/** Audit actions that mean someone set part of the security policy. */
const POLICY_ACTIONS = ['policy.%', 'role.create', 'role.update'];

export interface OnboardingState {
  items: Array<{ key: OnboardingItemKey; done: boolean; href: string }>;
  complete: boolean;
  dismissed: boolean;
  show: boolean;
}

export async function readOnboarding(db: Db, orgId: string): Promise<OnboardingState> {
  const [org, mailbox, staff, policy, test] = await Promise.all([
    db.selectFrom('organizations').where('id', '=', orgId).select('settings').executeTakeFirst(),
    db.selectFrom('mailboxes').where('org_id', '=', orgId).select('id').limit(1).executeTakeFirst(),
    db.selectFrom('users').where('org_id', '=', orgId).where('status', '<>', 'deactivated').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('audit_log').where('org_id', '=', orgId).where((eb) => eb.or(POLICY_ACTIONS.map((a) => (a.endsWith('%') ? eb('action', 'like', a) : eb('action', '=', a))))).where('result', '=', 'success').select('id').limit(1).executeTakeFirst(),
    db.selectFrom('audit_log').where('org_id', '=', orgId).where('action', '=', 'mail.test').where('result', '=', 'success').select('id').limit(1).executeTakeFirst(),
  ]);
  const done: Record<OnboardingItemKey, boolean> = { mailbox: !!mailbox, team: Number(staff.n) > 1, securityPolicy: !!policy, testEmail: !!test };
  const items = (Object.keys(ONBOARDING_LINKS) as OnboardingItemKey[]).map((key) => ({ key, done: done[key], href: ONBOARDING_LINKS[key] }));
  const complete = items.every((i) => i.done);
  const dismissed = Boolean((org?.settings as { onboarding?: { dismissedAt?: unknown } } | undefined)?.onboarding?.dismissedAt);
  return { items, complete, dismissed, show: !complete && !dismissed };
}

export async function dismissOnboarding(deps: { db: Db; audit: AuditLog }, actor: { orgId: string; userId: string; requestId: string; ip: string }): Promise<OnboardingState> {
  await deps.db.transaction().execute(async (trx) => {
    const value = { dismissedAt: new Date().toISOString(), dismissedBy: actor.userId };
    await writeOrgSetting(trx, actor.orgId, 'onboarding', value);
    await deps.audit.append(trx, { orgId: actor.orgId, actor: { type: 'user', id: actor.userId }, action: 'onboarding.dismiss', object: { type: 'organization', id: actor.orgId }, result: 'success', requestId: actor.requestId, sourceIp: actor.ip });
  });
  return readOnboarding(deps.db, actor.orgId);
}
