/** What a provider's assertion is worth as a second factor (decision 0204): nothing unless the organisation trusts it. */
import { describe, expect, it } from 'vitest';
import { providerAssurance } from './assurance.js';

const off = { trustProviderMfa: false, mfaAcrValues: ['urn:mfa'], phishingResistantAcrValues: ['urn:phr'] };
const on = { ...off, trustProviderMfa: true };

describe('providerAssurance', () => {
  it('counts nothing while the organisation does not trust its provider, whatever is asserted', () => {
    expect(providerAssurance({ amr: ['hwk', 'mfa'], acr: 'urn:phr' }, off)).toEqual({ factor: null, amr: ['hwk', 'mfa'], acr: 'urn:phr' });
  });

  it('maps amr and the configured acr values when trusted', () => {
    expect(providerAssurance({ amr: ['pwd'] }, on).factor).toBeNull();
    expect(providerAssurance({ amr: ['pwd', 'mfa'] }, on).factor).toBe('sso-mfa');
    expect(providerAssurance({ amr: ['swk'] }, on).factor).toBe('sso-mfa');
    expect(providerAssurance({ amr: ['hwk'] }, on).factor).toBe('sso-phishing-resistant');
    expect(providerAssurance({ acr: 'urn:mfa' }, on).factor).toBe('sso-mfa');
    expect(providerAssurance({ acr: 'urn:phr' }, on).factor).toBe('sso-phishing-resistant');
    expect(providerAssurance({ acr: 'urn:something-else' }, on).factor).toBeNull();
  });

  it('ignores malformed claims and bounds what it keeps for the audit trail', () => {
    expect(providerAssurance({ amr: 'mfa', acr: 42 }, on)).toEqual({ factor: null, amr: [], acr: null });
    expect(providerAssurance({ amr: [1, null, 'x'.repeat(41), 'mfa'] }, on)).toEqual({ factor: 'sso-mfa', amr: ['mfa'], acr: null });
    expect(providerAssurance({ amr: Array.from({ length: 50 }, (_, i) => `m${i}`) }, on).amr).toHaveLength(10);
  });
});
