/**
 * Which permission an audit event shows someone exercising. The audit trail
 * records actions, not permissions, so this table is the bridge: an access
 * review flags a granted permission as unused when none of its actions appear
 * under the person's name within the window. Pure data and functions; the same
 * table is sent to SQL (access-reviews.repository.ts) so the database does the
 * matching. What this can and cannot see: docs/decisions/0061.
 */
import type { Permission } from '../auth/permissions.js';

/**
 * An audit action (exact) or an action family (a pattern ending in '.', which
 * matches every action that starts with it) and the permission it exercises.
 * Exact entries are listed where a family would be wrong: `ticket.read` is a
 * read, `ticket.assign` an assignment, and `session.revoke` is someone ending
 * their own session, which needs no permission at all.
 */
export const ACTION_PERMISSIONS: ReadonlyArray<readonly [pattern: string, permission: Permission]> = [
  ['ticket.read', 'tickets.read'],
  ['ticket.list', 'tickets.read'],
  ['ticket.create', 'tickets.write'],
  ['ticket.reply', 'tickets.write'],
  ['ticket.note', 'tickets.write'],
  ['ticket.status.', 'tickets.write'],
  ['ticket.update', 'tickets.write'],
  ['ticket.assign', 'tickets.assign'],
  ['ticket.take', 'tickets.take'],
  ['ticket.bulk.', 'tickets.bulk'],
  ['ticket.merge', 'tickets.bulk'],
  ['ticket.split', 'tickets.bulk'],
  ['customer.read', 'customers.read'],
  ['customer.read_masked', 'customers.read'],
  ['customer.list', 'customers.read'],
  ['customer.field.reveal', 'customers.reveal'],
  ['customer.create', 'customers.write'],
  ['customer.update', 'customers.write'],
  ['customer.contact.', 'customers.write'],
  ['customer.verify.', 'customers.verify'],
  ['customer.export', 'customers.export'],
  ['customer.erase', 'customers.erase'],
  ['macro.', 'macros.manage'],
  ['kb.', 'kb.manage'],
  ['user.list', 'users.read'],
  ['user.read', 'users.read'],
  ['user.invite', 'users.manage'],
  ['user.deactivate', 'users.manage'],
  ['user.reactivate', 'users.manage'],
  ['user.roles_change', 'users.manage'],
  ['user.teams_change', 'users.manage'],
  ['user.update', 'users.manage'],
  ['role.', 'roles.manage'],
  ['team.', 'teams.manage'],
  ['policy.', 'policies.manage'],
  ['channel.', 'channels.manage'],
  ['sla.', 'channels.manage'],
  ['webhook.', 'channels.manage'],
  ['session.revoke_all', 'sessions.manage'],
  ['session.admin_revoke', 'sessions.manage'],
  ['audit.', 'audit.read'],
  ['report.', 'reports.read'],
  ['access_review.start', 'reviews.manage'],
  ['access_review.close', 'reviews.manage'],
  ['access_review.export', 'reviews.manage'],
  ['access_review.item.', 'reviews.decide'],
  ['quarantine.read', 'quarantine.read'],
  ['quarantine.list', 'quarantine.read'],
  ['quarantine.release', 'quarantine.release'],
  ['quarantine.delete', 'quarantine.release'],
  ['privacy.request.verify', 'privacy.manage'],
  ['privacy.request.approve', 'privacy.manage'],
  ['privacy.request.reject', 'privacy.manage'],
  ['privacy.certificate.read', 'privacy.read'],
  ['privacy.hold.', 'privacy.manage'],
  ['retention.run.start', 'privacy.manage'],
  ['training.module.', 'training.manage'],
  ['training.rule.', 'training.manage'],
  ['training.progress.read', 'training.read'],
  ['incident.read', 'incidents.read'],
  ['incident.list', 'incidents.read'],
  ['incident.export', 'incidents.read'],
  ['incident.create', 'incidents.manage'],
  ['incident.update', 'incidents.manage'],
  ['incident.note', 'incidents.manage'],
  ['incident.transition', 'incidents.manage'],
  ['incident.reopen', 'incidents.manage'],
  ['incident.evidence.', 'incidents.manage'],
  ['incident.containment', 'incidents.manage'],
  ['incident.breach.', 'incidents.manage'],
  ['incident.handoff', 'incidents.manage'],
  ['incident.settings.', 'incidents.manage'],
  ['key.', 'keys.rotate'],
  ['keys.', 'keys.rotate'],
  ['siem.destination.', 'siem.manage'],
  ['insider.alerts.read', 'insider.read'],
  ['insider.alert.', 'insider.manage'],
  ['insider.suppression.', 'insider.manage'],
  ['insider.thresholds_change', 'insider.manage'],
  ['insider.deactivation_schedule', 'insider.manage'],
];

/** Permissions some audited action exercises. Only these can be judged unused; the rest are not observable. */
export const OBSERVABLE_PERMISSIONS: ReadonlySet<Permission> = new Set(ACTION_PERMISSIONS.map(([, p]) => p));

function matches(pattern: string, action: string): boolean {
  return pattern.endsWith('.') ? action.startsWith(pattern) : action === pattern;
}

/** The permissions an audit action exercises (usually one, none for unmapped actions). */
export function permissionsForAction(action: string): Permission[] {
  const out = new Set<Permission>();
  for (const [pattern, permission] of ACTION_PERMISSIONS) if (matches(pattern, action)) out.add(permission);
  return [...out];
}

/**
 * Granted permissions that could have left a trace in the audit trail but did
 * not. A permission nothing audits is never reported: silence there proves
 * nothing. Sorted, for stable output.
 */
export function findUnusedPermissions(options: { granted: Iterable<string>; exercised: Iterable<string> }): string[] {
  const exercised = new Set(options.exercised);
  const out = new Set<string>();
  for (const p of options.granted) {
    if (OBSERVABLE_PERMISSIONS.has(p as Permission) && !exercised.has(p)) out.add(p);
  }
  return [...out].sort();
}

/** Dormant: never signed in, or not within the last `days` days. */
export function isDormant(options: { lastSigninAt: Date | null; days: number; now: Date }): boolean {
  if (!options.lastSigninAt) return true;
  return options.lastSigninAt.getTime() < options.now.getTime() - options.days * 86_400_000;
}
