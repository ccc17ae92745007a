/**
 * Contract of the data-handling policy routes (src/identity/policies/policies.routes.ts; docs/policies.md,
 * decisions 0212–0214). Drafts, publishing and the version history need policies.manage. Any staff member
 * reads the internal policy in force (with its generated part) and attests to it; who has not attested is
 * for training.read (team leads: their teams) and policies.manage. The public policy is read without
 * signing in, through the portal route.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';
import { ROLE_KEY_PATTERN } from './masking.js';

export const POLICY_KINDS = ['internal', 'public'] as const;
export const POLICY_BODY_MAX = 100_000;
/** Days after a version takes effect before a missing attestation counts as overdue. */
export const ATTESTATION_DUE_DAYS = 7;
/** What every customer is told, in the portal and at the foot of every email. */
export const SECURE_WAY_GUIDANCE = 'We will never ask for your full card number or password by email. To send us anything sensitive, use the secure message link we send you, or the chat.';

const Kind = Literals(POLICY_KINDS);
export const KindParams = Type.Object({ kind: Kind });

export const PolicyVersionSummary = Type.Object({
  id: Uuid,
  kind: Kind,
  version: Type.Integer(),
  title: Type.String(),
  audience: Type.Array(Type.String()),
  effectiveAt: Timestamp,
  publishedAt: Timestamp,
  publishedBy: Nullable(Type.String()),
  /** in_force: the one that applies now; upcoming: takes effect later; superseded: replaced. */
  state: Literals(['in_force', 'upcoming', 'superseded'] as const),
});

/** A version or draft rendered: the author's part as sanitised HTML, and for the internal policy the generated part. */
export const PolicyVersionView = Type.Intersect([PolicyVersionSummary, Type.Object({
  bodyMarkdown: Type.String(),
  html: Type.String(),
  /** Internal policy: rendered now from the settings in force. Public policy: null. */
  generatedHtml: Nullable(Type.String()),
})]);

export const PolicyDraftView = Type.Object({
  id: Uuid,
  kind: Kind,
  title: Type.String(),
  bodyMarkdown: Type.String(),
  audience: Type.Array(Type.String()),
  updatedAt: Timestamp,
  html: Type.String(),
  generatedHtml: Nullable(Type.String()),
});

export const PolicyOverview = Type.Object({
  kind: Kind,
  draft: Nullable(PolicyDraftView),
  versions: Type.Array(PolicyVersionSummary),
});

export const DraftBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  bodyMarkdown: Type.String({ maxLength: POLICY_BODY_MAX }),
  /** Internal policy: role keys asked to attest (empty: everyone). Must be empty for the public one. */
  audience: Type.Array(Type.String({ pattern: ROLE_KEY_PATTERN }), { maxItems: 50, uniqueItems: true }),
}, { additionalProperties: false });

export const PublishBody = Type.Object({
  /** When the version takes effect: now or later (at most a year ahead); never backdated by more than a day. */
  effectiveAt: Type.String({ format: 'date-time' }),
}, { additionalProperties: false });

export const MyPolicy = Type.Object({
  /** The internal version in force, rendered, or null when none is published yet. */
  current: Nullable(PolicyVersionView),
  /** The caller must attest to `current` before working in the console. */
  pending: Type.Boolean(),
  dueAt: Nullable(Timestamp),
  attestations: Type.Array(Type.Object({ versionId: Uuid, version: Type.Integer(), title: Type.String(), attestedAt: Timestamp })),
});

export const AttestBody = Type.Object({ versionId: Uuid }, { additionalProperties: false });
export const AttestResult = Type.Object({ versionId: Uuid, version: Type.Integer(), attestedAt: Timestamp, /** true when this person had already attested (nothing new recorded). */ already: Type.Boolean() });

export const OutstandingRow = Type.Object({ userId: Uuid, name: Type.String(), email: Type.String(), roles: Type.Array(Type.String()), dueAt: Timestamp, overdue: Type.Boolean() });
export const Outstanding = Type.Object({
  version: Nullable(Type.Object({ id: Uuid, version: Type.Integer(), title: Type.String(), effectiveAt: Timestamp })),
  items: Type.Array(OutstandingRow),
  attested: Type.Integer(),
});

export const PersonAttestations = Type.Object({
  userId: Uuid,
  items: Type.Array(Type.Object({ versionId: Uuid, version: Type.Integer(), title: Type.String(), attestedAt: Timestamp })),
});

export const PublicPolicy = Type.Object({
  organization: Type.Object({ id: Uuid, name: Type.String() }),
  policy: Nullable(Type.Object({ version: Type.Integer(), title: Type.String(), html: Type.String(), effectiveAt: Timestamp })),
  guidance: Type.String(),
});

export const policyEndpoints = {
  /** policies.manage: both policies, their drafts and version history. */
  overview: { method: 'GET', url: '/api/policies', response: Type.Object({ items: Type.Array(PolicyOverview) }) },
  /** policies.manage: save the draft of one policy (created on first save). */
  saveDraft: { method: 'PUT', url: '/api/policies/:kind/draft', params: KindParams, body: DraftBody, response: PolicyDraftView },
  /** policies.manage (fresh second factor): the draft becomes the next immutable version. */
  publish: { method: 'POST', url: '/api/policies/:kind/publish', params: KindParams, body: PublishBody, response: PolicyVersionView, status: 201 },
  /** policies.manage: one published version, rendered. */
  version: { method: 'GET', url: '/api/policies/versions/:id', params: IdParams, response: PolicyVersionView },
  /** Any staff member: the internal policy in force and whether they must attest. */
  mine: { method: 'GET', url: '/api/policies/me', response: MyPolicy },
  /** Any staff member, from a session: confirm they read the version in force (idempotent). */
  attest: { method: 'POST', url: '/api/policies/attestations', body: AttestBody, response: AttestResult, status: 201 },
  /** training.read (team leads: their teams) or policies.manage: who has not attested the version in force. */
  outstanding: { method: 'GET', url: '/api/policies/attestations/outstanding', response: Outstanding },
  /** One person's attestations: their own, or anyone's in scope for training.read / policies.manage. */
  person: { method: 'GET', url: '/api/policies/attestations/people/:id', params: IdParams, response: PersonAttestations },
  /** Public: an organisation's public policy in force and the plain guidance (portal). */
  publicPolicy: { method: 'GET', url: '/api/portal/policy', querystring: Type.Object({ organizationId: Type.Optional(Uuid) }), response: PublicPolicy },
} as const satisfies Record<string, Endpoint>;
