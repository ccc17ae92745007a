/**
 * Contract of the sensitive-data policy routes (src/protection/dlp-policy/dlp-policy.routes.ts):
 * the organisation's policy (read by agents, changed under policies.manage) and
 * the reply composer's draft check before a reply goes out by plain email.
 */
import { Type } from 'typebox';
import { IdParams, type Endpoint } from './common.js';

export const DLP_ACTIONS = ['redact', 'flag', 'ignore'] as const;
export const CARD_REDACTIONS = ['first6last4', 'last4'] as const;
/** warn: the agent must acknowledge; block: the agent must send a secure message instead. */
export const REPLY_MODES = ['warn', 'block'] as const;
/** Types no setting can weaken (PCI DSS): the server refuses any other action for them. */
export const ALWAYS_REDACTED = ['payment_card', 'card_security_code'] as const;
/**
 * What a secure message carries in clear although a plain reply would remove it: the secure channel exists to
 * hand a customer a one-time code, a PIN, a temporary password or a key. Card numbers and security codes never
 * (PCI DSS; they stay masked there too). Decision 0121.
 */
export const SECURE_MESSAGE_CARRIES = ['one_time_code', 'password', 'secret'] as const;
/** The placeholder stored where a value was removed (`[redacted:one_time_code]`); people see a readable marker instead. */
export const REDACTION_TOKEN = /\[redacted:([a-z_]{1,40})\]/g;

// Type.Enum with the explicit tuple keeps the union type (Literals() currently widens readonly tuples to string).
export const DlpAction = Type.Enum<[...typeof DLP_ACTIONS]>(DLP_ACTIONS);
export const DlpSettings = Type.Object({
  /** Sensitive type (see `types` in the policy read) → action. */
  actions: Type.Record(Type.String(), DlpAction),
  cardRedaction: Type.Enum<[...typeof CARD_REDACTIONS]>(CARD_REDACTIONS),
  replyMode: Type.Enum<[...typeof REPLY_MODES]>(REPLY_MODES),
}, { additionalProperties: false });

export const DlpPolicyView = Type.Object({
  settings: DlpSettings,
  /** The action applied to each type after defaults and the always-redacted rule. */
  effective: Type.Record(Type.String(), DlpAction),
  /** Every sensitive type the detector knows. */
  types: Type.Array(Type.String()),
});

export const REPLY_CHECK_MAX_CHARS = 200_000;
export const ReplyCheckBody = Type.Object({ body: Type.String({ maxLength: REPLY_CHECK_MAX_CHARS }) }, { additionalProperties: false });
export const ReplyCheck = Type.Object({
  /** Sensitive types found in the draft (never the values). */
  sensitiveTypes: Type.Array(Type.String()),
  /** True when a public reply would go out as a plain email. */
  byPlainEmail: Type.Boolean(),
  replyMode: Type.String(),
  suggestSecureMessage: Type.Boolean(),
  /** Types a public reply would remove before anyone sees it (the customer receives a marker instead). */
  removedTypes: Type.Array(Type.String()),
  /** Sent as a secure message instead: what it would carry in clear, and what it would still remove (card numbers). */
  secureMessage: Type.Object({ carries: Type.Array(Type.String()), removes: Type.Array(Type.String()) }),
});

export const dlpPolicyEndpoints = {
  /** tickets.read: the policy and the effective action per type. */
  read: { method: 'GET', url: '/api/organization/dlp-policy', response: DlpPolicyView },
  /** policies.manage: change the policy (card numbers and security codes stay redacted). */
  update: { method: 'PUT', url: '/api/organization/dlp-policy', body: DlpSettings, response: Type.Object({ ok: Type.Literal(true) }) },
  /** tickets.write: what a draft reply would carry out. */
  checkReply: { method: 'POST', url: '/api/tickets/:id/replies/check', params: IdParams, body: ReplyCheckBody, response: ReplyCheck },
} as const satisfies Record<string, Endpoint>;
