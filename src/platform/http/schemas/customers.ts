/**
 * Contract of the customer routes (src/helpdesk/customers/customers.routes.ts): find by
 * exact email or phone, the masked record, reveal one field with a reason
 * (step-up; verification first when the organisation requires it), merge.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';

export const REVEALABLE_FIELDS = ['name', 'email', 'address', 'notes', 'phones', 'emails', 'customFields'] as const;
export type RevealableField = (typeof REVEALABLE_FIELDS)[number];
/** A reason someone can later read in the audit trail: ten characters at least, not only spaces or one repeated character. */
export const REVEAL_REASON_MIN = 10;
export const REVEAL_REASON_MAX = 500;
/** The same rule as a schema pattern: something besides spaces, and more than one distinct character. */
export const REVEAL_REASON_PATTERN = '^(?!\\s*(\\S)(?:\\s*\\1)*\\s*$)[\\s\\S]*\\S[\\s\\S]*$';

/** Why a reason is not acceptable, or null: the server's check, and the app's hint. */
export function revealReasonProblem(reason: string): string | null {
  const r = reason.trim();
  if (r.length < REVEAL_REASON_MIN || r.length > REVEAL_REASON_MAX) return `Give a reason (${REVEAL_REASON_MIN} to ${REVEAL_REASON_MAX} characters) for revealing this field.`;
  if (new Set(Array.from(r.replace(/\s+/g, ''))).size < 2) return 'Say why you need this field; a repeated character is not a reason.';
  return null;
}

/**
 * The customer as the masking policy lets the caller see them: fields in `clear` as they are, the others masked
 * (j•••@example.com, •••• 1234); `hasAddress`/`hasNotes` say whether revealing them shows anything. `address`,
 * `notes` and `customFields` are present only when the caller sees them in clear.
 */
export const MaskedCustomer = Type.Object({
  id: Uuid,
  erased: Type.Boolean(),
  mergedInto: Nullable(Uuid),
  name: Type.String(),
  email: Type.String(),
  phones: Type.Array(Type.String()),
  emails: Type.Array(Type.String()),
  hasAddress: Type.Boolean(),
  hasNotes: Type.Boolean(),
  clear: Type.Array(Type.Enum<[...typeof REVEALABLE_FIELDS]>(REVEALABLE_FIELDS)),
  address: Type.Optional(Type.String()),
  notes: Type.Optional(Type.String()),
  customFields: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export const CustomerFindQuery = Type.Object({ email: Type.Optional(Type.String({ maxLength: 254 })), phone: Type.Optional(Type.String({ maxLength: 40 })) });
export const RevealBody = Type.Object({
  field: Type.Enum<[...typeof REVEALABLE_FIELDS]>(REVEALABLE_FIELDS),
  reason: Type.String({ minLength: REVEAL_REASON_MIN, maxLength: REVEAL_REASON_MAX, pattern: REVEAL_REASON_PATTERN }),
  /** The ticket the agent works on: the verification policy looks for a recent verification there. */
  ticketId: Type.Optional(Uuid),
  /** One of the organisation's reason categories, required when the masking policy lists any (decision 0145). */
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
}, { additionalProperties: false });
/** `value` is a string, a list of strings (phones, emails), an object (customFields) or null. */
export const Revealed = Type.Object({ field: Type.String(), value: Type.Unknown() });
export const MergeCustomerBody = Type.Object({ duplicateId: Uuid, reason: Type.String({ minLength: REVEAL_REASON_MIN, maxLength: REVEAL_REASON_MAX }) }, { additionalProperties: false });

export const customerEndpoints = {
  /** customers.read: results masked, only customers the caller may see. */
  find: { method: 'GET', url: '/api/customers', querystring: CustomerFindQuery, response: Type.Object({ items: Type.Array(MaskedCustomer) }) },
  /** customers.read: masked (audited). */
  read: { method: 'GET', url: '/api/customers/:id', params: IdParams, response: MaskedCustomer },
  /** customers.reveal (step-up): one field in the clear, with the reason in the audit trail. */
  reveal: { method: 'POST', url: '/api/customers/:id/reveal', params: IdParams, body: RevealBody, response: Revealed },
  /** customers.write at organisation scope. */
  merge: { method: 'POST', url: '/api/customers/:id/merge', params: IdParams, body: MergeCustomerBody, response: Type.Object({ ticketsMoved: Type.Integer() }) },
} as const satisfies Record<string, Endpoint>;
