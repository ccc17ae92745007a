/**
 * Who sees the security centre: the same rule drives the top-bar link and the
 * /security page, so an administrator (no audit, review or quarantine
 * ability) gets neither a link nor a partial centre, only the page explaining
 * how to get a security officer.
 */
import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLES } from '../../src/identity/auth/permissions.js';
import { maySeeSecurityCentre, SECURITY_CENTRE_ABILITIES } from '../src/security/access.js';

const canOf = (role: string) => {
  const grants = new Set(BUILT_IN_ROLES.find((r) => r.key === role)?.grants.map(([p]) => p as string));
  return (permission: string) => grants.has(permission);
};

describe('security centre access', () => {
  it('opens for security officers, auditors and team leads (access reviews), not for administrators or agents', () => {
    expect(maySeeSecurityCentre(canOf('security_officer'))).toBe(true);
    expect(maySeeSecurityCentre(canOf('auditor'))).toBe(true);
    expect(maySeeSecurityCentre(canOf('supervisor'))).toBe(true);
    // An administrator holds tickets.read, which alone used to show a centre with one phishing-reports card.
    expect(canOf('administrator')('tickets.read')).toBe(true);
    expect(maySeeSecurityCentre(canOf('administrator'))).toBe(false);
    expect(maySeeSecurityCentre(canOf('agent'))).toBe(false);
  });

  it('keys on permissions that exist, each of which gives the centre a section', () => {
    const all = new Set(BUILT_IN_ROLES.flatMap((r) => r.grants.map(([p]) => p as string)));
    for (const ability of SECURITY_CENTRE_ABILITIES) expect(all.has(ability), ability).toBe(true);
    expect(SECURITY_CENTRE_ABILITIES).not.toContain('tickets.read');
  });
});
