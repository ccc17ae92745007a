/**
 * Pure: what an identity provider's assertion is worth as a second factor, under the organisation's choice
 * (decision 0204). By default nothing: Trustdesk asks for its own factor after single sign-on. An organisation
 * that trusts its provider's MFA accepts `amr` mfa/hwk/swk or an `acr` it names; only `amr` hwk or an `acr` it
 * names as phishing-resistant satisfies roles that require a passkey.
 */

export interface MfaTrust {
  trustProviderMfa: boolean;
  mfaAcrValues: readonly string[];
  phishingResistantAcrValues: readonly string[];
}

/** The session's `mfa_method` when the provider's assertion is accepted. */
export type ProviderFactor = 'sso-mfa' | 'sso-phishing-resistant';

export interface Assurance {
  /** The factor the session carries from the provider, or null: Trustdesk's own second factor follows. */
  factor: ProviderFactor | null;
  /** What the provider asserted, bounded, for the audit trail (method names, never tokens). */
  amr: string[];
  acr: string | null;
}

const MFA_AMR = new Set(['mfa', 'hwk', 'swk']);
const PHISHING_RESISTANT_AMR = new Set(['hwk']);

function amrOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 40).slice(0, 10);
}

export function providerAssurance(claims: { amr?: unknown; acr?: unknown }, trust: MfaTrust): Assurance {
  const amr = amrOf(claims.amr);
  const acr = typeof claims.acr === 'string' && claims.acr.length <= 200 ? claims.acr : null;
  if (!trust.trustProviderMfa) return { factor: null, amr, acr };
  const phishingResistant = amr.some((m) => PHISHING_RESISTANT_AMR.has(m)) || (acr !== null && trust.phishingResistantAcrValues.includes(acr));
  if (phishingResistant) return { factor: 'sso-phishing-resistant', amr, acr };
  const mfa = amr.some((m) => MFA_AMR.has(m)) || (acr !== null && trust.mfaAcrValues.includes(acr));
  return { factor: mfa ? 'sso-mfa' : null, amr, acr };
}
