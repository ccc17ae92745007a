import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '../auth/permissions.js';
import { ACTION_PERMISSIONS, findUnusedPermissions, isDormant, OBSERVABLE_PERMISSIONS, permissionsForAction } from './usage.js';

describe('audit action → permission mapping', () => {
  it('maps the actions the code base audits today', () => {
    expect(permissionsForAction('ticket.read')).toEqual(['tickets.read']);
    expect(permissionsForAction('ticket.status.change')).toEqual(['tickets.write']);
    expect(permissionsForAction('ticket.assign')).toEqual(['tickets.assign']);
    expect(permissionsForAction('customer.read_masked')).toEqual(['customers.read']);
    expect(permissionsForAction('customer.field.reveal')).toEqual(['customers.reveal']);
    expect(permissionsForAction('user.roles_change')).toEqual(['users.manage']);
    expect(permissionsForAction('role.update')).toEqual(['roles.manage']);
    expect(permissionsForAction('access_review.item.revoke')).toEqual(['reviews.decide']);
    expect(permissionsForAction('session.revoke_all')).toEqual(['sessions.manage']);
  });

  it('maps nothing for actions that need no permission or are ambiguous', () => {
    for (const a of ['auth.signin', 'session.revoke', 'token.create', 'token.use', 'setup.complete', 'ticketXread', 'ticket', 'customer.readx', 'roles.update']) {
      expect(permissionsForAction(a), a).toEqual([]);
    }
  });

  it('names only real permissions, and every family pattern ends with a dot', () => {
    for (const [pattern, permission] of ACTION_PERMISSIONS) {
      expect(ALL_PERMISSIONS).toContain(permission);
      expect(pattern).toMatch(/^[a-z_]+(\.[a-z_]+)*\.?$/);
    }
    expect(OBSERVABLE_PERMISSIONS.has('tokens.manage')).toBe(false);
  });
});

describe('flags', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  it('calls an account dormant when it never signed in or not within the window', () => {
    expect(isDormant({ lastSigninAt: null, days: 90, now })).toBe(true);
    expect(isDormant({ lastSigninAt: new Date('2025-03-04T00:00:00Z'), days: 90, now })).toBe(false);
    expect(isDormant({ lastSigninAt: new Date('2025-03-02T23:59:59Z'), days: 90, now })).toBe(true);
  });

  it('reports only observable permissions that were not exercised', () => {
    expect(findUnusedPermissions({ granted: ['tickets.read', 'tickets.write', 'tokens.manage', 'not.a.permission'], exercised: ['tickets.read'] })).toEqual(['tickets.write']);
    expect(findUnusedPermissions({ granted: ['tickets.read'], exercised: ['tickets.read'] })).toEqual([]);
  });
});
