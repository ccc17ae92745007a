/**
 * Contract of the field masking policy (src/helpdesk/customers/masking-policy.routes.ts):
 * which customer fields each role sees in clear on the tickets it may read, which
 * reveals need a fresh second factor, and what a reveal reason must carry.
 * Decision 0143.
 */
import { Type, type Static } from 'typebox';
import type { Endpoint } from './common.js';
import { REVEALABLE_FIELDS, REVEAL_REASON_MIN } from './customers.js';

/** The customer fields the policy speaks of (the same names as a reveal's `field`). */
export const MASKING_FIELDS = REVEALABLE_FIELDS;
export type MaskingField = (typeof MASKING_FIELDS)[number];
/** Shown in clear to a role the policy does not name (and the default for every role): the display name. */
export const DEFAULT_CLEAR_FIELDS: readonly MaskingField[] = ['name'];
export const MAX_REASON_CATEGORIES = 20;
export const REASON_CATEGORY_MAX = 60;
/** A role key as roles are stored (migration 0002). */
export const ROLE_KEY_PATTERN = '^[a-z][a-z0-9_]{1,40}$';

export const MaskingFieldT = Type.Enum<[...typeof MASKING_FIELDS]>(MASKING_FIELDS);
const FieldList = Type.Array(MaskingFieldT, { maxItems: MASKING_FIELDS.length, uniqueItems: true });

export const MaskingPolicy = Type.Object({
  /** Role key → the fields that role sees in clear. A role not named here sees DEFAULT_CLEAR_FIELDS. */
  clear: Type.Record(Type.String({ pattern: ROLE_KEY_PATTERN }), FieldList),
  /** Fields whose reveal needs a fresh second factor (step-up). Every reveal needs a reason. */
  stepUp: FieldList,
  reasons: Type.Object({
    /** A reason's minimum length: never below the ten characters of decision 0109. */
    minLength: Type.Integer({ minimum: REVEAL_REASON_MIN, maximum: 200 }),
    /** When not empty, a reveal picks one of these besides its free text. */
    categories: Type.Array(Type.String({ minLength: 1, maxLength: REASON_CATEGORY_MAX, pattern: '\\S' }), { maxItems: MAX_REASON_CATEGORIES, uniqueItems: true }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });
export type MaskingPolicy = Static<typeof MaskingPolicy>;

export const MaskingPolicyView = Type.Object({
  /** The policy with every current role of the organisation listed in `clear`. */
  policy: MaskingPolicy,
  roles: Type.Array(Type.Object({ key: Type.String(), name: Type.String(), builtIn: Type.Boolean() })),
  /** The fields the caller sees in clear (the union over their roles). */
  mine: FieldList,
});

/** The requester as a ticket list shows them: the name in clear or masked (`W••• A•••`), as the policy allows. */
export const RequesterDisplay = Type.Object({ name: Type.String(), masked: Type.Boolean() });

export const maskingEndpoints = {
  /** tickets.read: the policy in force (agents read it for the reveal form). */
  read: { method: 'GET', url: '/api/organization/masking-policy', response: MaskingPolicyView },
  /** policies.manage (step-up): replace the policy; audited with before and after. */
  update: { method: 'PUT', url: '/api/organization/masking-policy', body: MaskingPolicy, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;
