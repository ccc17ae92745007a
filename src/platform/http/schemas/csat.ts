/**
 * Contract of the satisfaction-survey routes (src/helpdesk/csat/csat.routes.ts). A solved email
 * ticket's customer gets links to rate it Good or Bad; opening a link only shows a page (mail
 * scanners follow links), the rating is recorded when the customer submits it (decision 0155).
 * Customers may also rate solved tickets in the portal; agents see the rating on the ticket.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Timestamp, type Endpoint } from './common.js';

export const CSAT_RATINGS = ['good', 'bad'] as const;
export type CsatRating = (typeof CSAT_RATINGS)[number];
export const CSAT_SOURCES = ['email', 'portal'] as const;
export type CsatSource = (typeof CSAT_SOURCES)[number];
export const CSAT_COMMENT_MAX_CHARS = 2_000;

export const CsatRatingValue = Type.Union([Type.Literal('good'), Type.Literal('bad')]);
/** The rating link's token (`tdc_` + 43 base64url characters); anything else is answered as invalid. */
export const CsatToken = Type.String({ maxLength: 100 });
export const CsatComment = Type.String({ maxLength: CSAT_COMMENT_MAX_CHARS });

export const CsatCheckBody = Type.Object({ token: CsatToken }, { additionalProperties: false });
/** What the rating page shows before anything is recorded: no customer data, only the ticket number and the rating given so far. */
export const CsatLinkState = Type.Object({
  state: Type.Union([Type.Literal('usable'), Type.Literal('expired'), Type.Literal('invalid')]),
  ticketNumber: Nullable(Type.Integer()),
  rating: Nullable(CsatRatingValue),
  expiresAt: Nullable(Timestamp),
});
export const CsatRateBody = Type.Object({ token: CsatToken, rating: CsatRatingValue, comment: Type.Optional(CsatComment) }, { additionalProperties: false });
export const CsatRecorded = Type.Object({ rating: CsatRatingValue, ratedAt: Timestamp, redactions: Type.Integer() });

export const PortalCsatBody = Type.Object({ rating: CsatRatingValue, comment: Type.Optional(CsatComment) }, { additionalProperties: false });
export const PortalCsatState = Type.Object({
  /** The ticket is solved or closed: the customer may rate it (or change their rating). */
  canRate: Type.Boolean(),
  rating: Nullable(CsatRatingValue),
  ratedAt: Nullable(Timestamp),
});

export const TicketCsat = Type.Object({
  rating: Nullable(Type.Object({
    rating: CsatRatingValue,
    /** Null when none was given or the customer's data was erased. */
    comment: Nullable(Type.String()),
    source: Type.Union([Type.Literal('email'), Type.Literal('portal')]),
    ratedAt: Timestamp,
  })),
  /** When the last survey email was queued, if any. */
  surveySentAt: Nullable(Timestamp),
});

export const CsatSettings = Type.Object({
  /** Solving an email ticket emails the requester the two rating links (default on). */
  enabled: Type.Boolean(),
}, { additionalProperties: false });
const Ok = Type.Object({ ok: Type.Literal(true) });

export const csatEndpoints = {
  /** Agent (tickets.read on the ticket): the ticket's rating and comment (an audited read). */
  ticket: { method: 'GET', url: '/api/tickets/:id/csat', params: IdParams, response: TicketCsat },
  /** Anyone with the link: what the rating page shows; records nothing. */
  check: { method: 'POST', url: '/api/portal/csat/check', body: CsatCheckBody, response: CsatLinkState },
  /** Anyone with the link, until it expires: record (or change) the rating and an optional comment. */
  rate: { method: 'POST', url: '/api/portal/csat/rate', body: CsatRateBody, response: CsatRecorded },
  /** Customer (portal session): whether one of my requests can be rated, and my rating. */
  portalState: { method: 'GET', url: '/api/portal/tickets/:id/csat', params: IdParams, response: PortalCsatState },
  /** Customer (portal session): rate one of my solved requests. */
  portalRate: { method: 'POST', url: '/api/portal/tickets/:id/csat', params: IdParams, body: PortalCsatBody, response: CsatRecorded },
  /** Administrator (channels.manage): whether solving sends the survey. */
  settings: { method: 'GET', url: '/api/organization/csat', response: CsatSettings },
  setSettings: { method: 'PUT', url: '/api/organization/csat', body: CsatSettings, response: Ok },
} as const satisfies Record<string, Endpoint>;
