/**
 * Contract of the customer routes (src/customers/customers.routes.ts): find by
 * exact email or phone, the masked record, reveal one field with a reason
 * (step-up; verification first when the organisation requires it), merge.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';

export const REVEALABLE_FIELDS = ['name', 'email', 'address', 'notes', 'phones', 'emails', 'customFields'] as const;
export type RevealableField = (typeof REVEALABLE_FIELDS)[number];
export const REVEAL_REASON_MIN = 3;
export const REVEAL_REASON_MAX = 500;

/** Every field masked (j•••@example.com, •••• 1234); `hasAddress`/`hasNotes` say whether revealing them shows anything. */
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
});
export const CustomerFindQuery = Type.Object({ email: Type.Optional(Type.String({ maxLength: 254 })), phone: Type.Optional(Type.String({ maxLength: 40 })) });
export const RevealBody = Type.Object({
  field: Type.Enum<[...typeof REVEALABLE_FIELDS]>(REVEALABLE_FIELDS),
  reason: Type.String({ minLength: REVEAL_REASON_MIN, maxLength: REVEAL_REASON_MAX }),
  /** The ticket the agent works on: the verification policy looks for a recent verification there. */
  ticketId: Type.Optional(Uuid),
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
