/**
 * Who the security centre is for. The top-bar link and the /security page use
 * the same list, so a member either sees the link and the parts of the centre
 * their abilities allow, or no link and a page saying how to get access —
 * never a centre with only a stray card in it. Decision 0117.
 */

/** Holding any of these opens the security centre (audit trail, access reviews, quarantine). */
export const SECURITY_CENTRE_ABILITIES = ['audit.read', 'reviews.manage', 'reviews.decide', 'quarantine.read', 'simulations.read', 'awareness.read', 'incidents.read', 'insider.read'] as const;

export function maySeeSecurityCentre(can: (permission: string) => boolean): boolean {
  return SECURITY_CENTRE_ABILITIES.some(can);
}
