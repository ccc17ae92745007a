/**
 * The permission catalogue and the built-in roles. A permission is granted
 * with a scope: `own` (records assigned to me), `team` (my teams' records) or
 * `org` (the whole organisation). Anything not granted is denied.
 */

export const PERMISSIONS = {
  'tickets.read': 'See tickets and their conversations',
  'tickets.write': 'Change ticket fields, reply, add notes',
  'tickets.assign': 'Assign tickets to people and teams',
  'tickets.take': 'Take a ticket one may work on (assign it to oneself), never to others',
  'tickets.bulk': 'Apply bulk actions, merge and split',
  'customers.read': 'See customer records (fields masked)',
  'customers.reveal': 'Reveal a masked customer field, with a reason',
  'customers.write': 'Create and edit customers',
  'customers.verify': 'Send identity-verification codes to customers',
  'customers.export': 'Export a customer’s data (subject access)',
  'customers.erase': 'Erase a customer (destroys their key)',
  'privacy.read': 'See data-subject requests, their due dates and certificates of erasure',
  'privacy.manage': 'Record, verify, approve and reject data-subject requests',
  'macros.manage': 'Manage macros and canned replies',
  'kb.manage': 'Write, publish and delete knowledge-base articles and categories',
  'users.read': 'See staff accounts, roles and teams',
  'users.manage': 'Invite, deactivate and edit staff; assign roles and teams',
  'roles.manage': 'Create and change roles and permissions',
  'teams.manage': 'Create and change teams',
  'policies.manage': 'Change security policies (MFA, sessions, address allowlists)',
  'channels.manage': 'Configure email channels, SLA policies, webhooks',
  'tokens.manage': 'Create and revoke service tokens and other people’s tokens',
  'sessions.manage': 'See and revoke other people’s sessions',
  'audit.read': 'Read the audit trail and verify its integrity',
  'reports.read': 'Read reports',
  'reviews.manage': 'Start, close and export access reviews',
  'reviews.decide': 'Decide items in access reviews assigned to me',
  'quarantine.read': 'See quarantined messages',
  'quarantine.release': 'Release or delete quarantined messages',
  'keys.rotate': 'Rotate encryption keys',
  'training.read': 'See training progress (who has done which module, who is overdue)',
  'training.manage': 'Add training modules, set assignment rules and assign training',
  'simulations.manage': 'Create and end phishing simulation campaigns',
  'simulations.read': 'Read phishing simulation results',
  'awareness.read': 'See awareness scores, simulation outcomes and training of people in scope (team leads: their teams)',
  'incidents.read': 'Read security incidents, their evidence and breach records',
  'incidents.manage': 'Open and run security incidents: containment actions, hand-off to IT, breach records',
  'siem.manage': 'Add, change, test and remove the SIEM destinations the audit trail streams to',
  'siem.read': 'See SIEM destinations and their delivery status (lag, last error)',
  'insider.read': 'Read insider-threat alerts, their evidence and the thresholds',
  'insider.manage': 'Acknowledge and dismiss insider-threat alerts, suppress rules, set thresholds and scheduled deactivations',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export type Scope = 'own' | 'team' | 'org';
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];
export const SCOPE_RANK: Record<Scope, number> = { own: 1, team: 2, org: 3 };

/** Permissions that step-up (a fresh second factor) protects. */
export const STEP_UP_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'customers.reveal',
  'customers.export',
  'customers.erase',
  'roles.manage',
  'policies.manage',
  'keys.rotate',
  'tokens.manage',
]);

export interface BuiltInRole {
  key: string;
  name: string;
  requirePhishingResistant: boolean;
  grants: Array<[Permission, Scope]>;
}

const org = (...perms: Permission[]): Array<[Permission, Scope]> => perms.map((p) => [p, 'org']);
const team = (...perms: Permission[]): Array<[Permission, Scope]> => perms.map((p) => [p, 'team']);

export const BUILT_IN_ROLES: BuiltInRole[] = [
  {
    key: 'agent',
    name: 'Agent',
    requirePhishingResistant: false,
    grants: [...team('tickets.read', 'tickets.write', 'tickets.take', 'customers.read', 'customers.reveal', 'customers.write', 'customers.verify'), ['reports.read', 'own']],
  },
  {
    key: 'supervisor',
    name: 'Team lead',
    requirePhishingResistant: false,
    grants: [
      ...team('tickets.read', 'tickets.write', 'tickets.assign', 'tickets.take', 'tickets.bulk', 'customers.read', 'customers.reveal', 'customers.write', 'customers.verify'),
      ...org('users.read', 'macros.manage', 'kb.manage', 'reviews.decide'),
      ['reviews.manage', 'team'],
      ['reports.read', 'team'],
      ['training.read', 'team'],
      ['awareness.read', 'team'],
    ],
  },
  {
    key: 'administrator',
    name: 'Administrator',
    requirePhishingResistant: true,
    grants: org(
      'tickets.read', 'tickets.write', 'tickets.assign', 'tickets.take', 'tickets.bulk',
      'customers.read', 'customers.reveal', 'customers.write', 'customers.verify', 'customers.export', 'customers.erase',
      'macros.manage', 'kb.manage', 'users.read', 'users.manage', 'roles.manage', 'teams.manage', 'policies.manage', 'channels.manage',
      'tokens.manage', 'sessions.manage', 'reports.read', 'keys.rotate', 'training.read', 'training.manage',
      'siem.manage', 'siem.read',
      'privacy.read', 'privacy.manage',
    ),
  },
  {
    key: 'security_officer',
    name: 'Security officer',
    requirePhishingResistant: true,
    grants: org(
      'audit.read', 'reports.read', 'users.read', 'sessions.manage', 'reviews.manage', 'reviews.decide',
      'quarantine.read', 'quarantine.release', 'customers.export', 'customers.erase', 'tickets.read', 'customers.read',
      'training.read', 'training.manage',
      'simulations.manage', 'simulations.read', 'awareness.read',
      'incidents.read', 'incidents.manage',
      'siem.manage', 'siem.read',
      'insider.read', 'insider.manage',
      'privacy.read', 'privacy.manage',
    ),
  },
  {
    key: 'auditor',
    name: 'Auditor',
    requirePhishingResistant: false,
    // Read-only: may read the audit trail and reports, may change nothing.
    grants: org('audit.read', 'reports.read', 'users.read', 'training.read', 'incidents.read', 'siem.read', 'insider.read', 'privacy.read'),
  },
];

/** Permissions that only read. An auditor-like role must hold nothing else. */
export const READ_ONLY_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(['tickets.read', 'customers.read', 'users.read', 'audit.read', 'reports.read', 'quarantine.read', 'training.read', 'simulations.read', 'awareness.read', 'incidents.read', 'siem.read', 'insider.read', 'privacy.read']);

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}
