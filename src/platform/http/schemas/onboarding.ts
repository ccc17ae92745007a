/**
 * Contract of the onboarding checklist (src/identity/onboarding/): what an administrator still has to do on a new
 * installation, each item computed from real state, and dismissing the list. Decision 0160.
 */
import { Type } from 'typebox';
import { Literals, type Endpoint } from './common.js';

export const ONBOARDING_ITEMS = ['mailbox', 'team', 'securityPolicy', 'testEmail'] as const;
export type OnboardingItemKey = (typeof ONBOARDING_ITEMS)[number];

export const OnboardingItem = Type.Object({
  key: Literals(ONBOARDING_ITEMS),
  done: Type.Boolean(),
  /** The screen where it is done. */
  href: Type.String(),
});
export const Onboarding = Type.Object({
  items: Type.Array(OnboardingItem),
  complete: Type.Boolean(),
  dismissed: Type.Boolean(),
  /** Whether to show the checklist: not complete and not dismissed. */
  show: Type.Boolean(),
});

export const onboardingEndpoints = {
  read: { method: 'GET', url: '/api/onboarding', response: Onboarding },
  dismiss: { method: 'POST', url: '/api/onboarding/dismiss', response: Onboarding },
} as const satisfies Record<string, Endpoint>;
