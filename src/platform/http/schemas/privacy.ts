/**
 * Contract of the data-subject request routes (src/helpdesk/privacy/privacy.routes.ts): the queue with due
 * dates, recording a request, the identity check, approval (an erasure is carried out on approval), rejection,
 * the certificate of erasure and the organisation's two-person setting.
 */
import { Type } from 'typebox';
import { Nullable, Uuid, type Endpoint } from './common.js';

export const PRIVACY_REQUEST_KINDS = ['access', 'erasure'] as const;
export const PRIVACY_REQUEST_STATUSES = ['new', 'verified', 'approved', 'done', 'rejected'] as const;
const Kind = Type.Union([Type.Literal('access'), Type.Literal('erasure')]);
const Status = Type.Union([Type.Literal('new'), Type.Literal('verified'), Type.Literal('approved'), Type.Literal('done'), Type.Literal('rejected')]);
const Reason = Type.String({ minLength: 3, maxLength: 500 });

export const PrivacyRequest = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  kind: Kind,
  via: Type.Union([Type.Literal('portal'), Type.Literal('agent'), Type.Literal('api'), Type.Literal('cli'), Type.Literal('retention')]),
  status: Status,
  /** How the customer's identity was checked: a verification code, or a staff check with a reason (audited). */
  verification: Nullable(Type.Union([Type.Literal('code'), Type.Literal('staff'), Type.Literal('policy')])),
  verificationId: Nullable(Type.String()),
  requestedBy: Nullable(Type.String()),
  verifiedBy: Nullable(Type.String()),
  verifiedAt: Nullable(Type.String()),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String()),
  rejectedReason: Nullable(Type.String()),
  receivedAt: Type.String(),
  /** One month after receipt (GDPR art. 12(3)). */
  dueAt: Type.String(),
  overdue: Type.Boolean(),
  completedAt: Nullable(Type.String()),
  hasCertificate: Type.Boolean(),
});

export const PrivacyRequestParams = Type.Object({ id: Uuid });
export const PrivacyListQuery = Type.Object({ status: Type.Optional(Type.Union([Status, Type.Literal('open')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false });
export const CreatePrivacyRequestBody = Type.Object(
  {
    customerId: Uuid,
    kind: Kind,
    /** A verification of this customer that succeeded (the agent's code check); required unless the caller holds privacy.manage. */
    verificationId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export const VerifyPrivacyRequestBody = Type.Object(
  {
    /** A verification of this customer that succeeded; or, without it, a staff check described by `reason`. */
    verificationId: Type.Optional(Uuid),
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false },
);
export const RejectPrivacyRequestBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const CertificateQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])) }, { additionalProperties: false });
export const PrivacySettings = Type.Object(
  {
    /** When on, the person who recorded or verified a request cannot approve it. */
    secondApprover: Type.Boolean(),
    /** Name staff members in an access export's list of staff accesses (otherwise their roles only). */
    exportStaffNames: Type.Boolean(),
    /** Days an access export stays downloadable (default 30). */
    exportDays: Type.Integer({ minimum: 1, maximum: 90 }),
  },
  { additionalProperties: false },
);
/** A change of settings: the fields given are changed, the others kept. */
export const PrivacySettingsChange = Type.Partial(PrivacySettings, { additionalProperties: false });

/** The signed-in customer's own request, as the portal shows it. */
export const PortalPrivacyRequest = Type.Object({ id: Type.String(), kind: Kind, status: Status, receivedAt: Type.String(), dueAt: Type.String(), completedAt: Nullable(Type.String()) });
const ExportToken = Type.String({ minLength: 1, maxLength: 100 });

export const privacyEndpoints = {
  list: { method: 'GET', url: '/api/privacy/requests', querystring: PrivacyListQuery, response: Type.Object({ items: Type.Array(PrivacyRequest) }) },
  create: { method: 'POST', url: '/api/privacy/requests', body: CreatePrivacyRequestBody, response: PrivacyRequest },
  read: { method: 'GET', url: '/api/privacy/requests/:id', params: PrivacyRequestParams, response: PrivacyRequest },
  verify: { method: 'POST', url: '/api/privacy/requests/:id/verify', params: PrivacyRequestParams, body: VerifyPrivacyRequestBody, response: PrivacyRequest },
  approve: { method: 'POST', url: '/api/privacy/requests/:id/approve', params: PrivacyRequestParams, response: PrivacyRequest },
  reject: { method: 'POST', url: '/api/privacy/requests/:id/reject', params: PrivacyRequestParams, body: RejectPrivacyRequestBody, response: PrivacyRequest },
  certificate: { method: 'GET', url: '/api/privacy/requests/:id/certificate', params: PrivacyRequestParams, querystring: CertificateQuery },
  settings: { method: 'GET', url: '/api/privacy/settings', response: PrivacySettings },
  saveSettings: { method: 'PUT', url: '/api/privacy/settings', body: PrivacySettingsChange, response: PrivacySettings },
} as const satisfies Record<string, Endpoint>;

/** The customer's side: their requests in the portal, and the export's download through the emailed link and a code. */
export const portalPrivacyEndpoints = {
  list: { method: 'GET', url: '/api/portal/privacy-requests', response: Type.Object({ items: Type.Array(PortalPrivacyRequest) }) },
  create: {
    method: 'POST',
    url: '/api/portal/privacy-requests',
    body: Type.Object({ kind: Kind }, { additionalProperties: false }),
    response: Type.Object({ request: PortalPrivacyRequest, created: Type.Boolean() }),
  },
  check: { method: 'POST', url: '/api/portal/privacy-export/check', body: Type.Object({ token: ExportToken }, { additionalProperties: false }), response: Type.Object({ state: Type.Union([Type.Literal('usable'), Type.Literal('spent')]) }) },
  open: { method: 'POST', url: '/api/portal/privacy-export/open', body: Type.Object({ token: ExportToken }, { additionalProperties: false }), response: Type.Object({ challengeId: Type.String(), expiresAt: Type.String() }) },
  download: {
    method: 'POST',
    url: '/api/portal/privacy-export/download',
    body: Type.Object({ token: ExportToken, challengeId: Uuid, code: Type.String({ minLength: 4, maxLength: 12 }) }, { additionalProperties: false }),
  },
} as const satisfies Record<string, Endpoint>;
