/**
 * Contract of the branding routes (src/helpdesk/branding/): the name, accent colour and logo
 * customers see (read and change: channels.manage), their public read-out for the portal, and
 * each mailbox's automatic acknowledgement of new requests. Decisions 0158, 0159.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';

export const BRANDING_LIMITS = { displayNameMax: 100, logoMaxBytes: 256 * 1024, accentMinContrast: 4.5, ackTemplateMax: 4000 } as const;
export const ACK_PLACEHOLDER_NAMES = ['ticket.number', 'portal.link', 'organization.name'] as const;

export const BrandingView = Type.Object({
  /** The name set for customers, or null to use the organisation's name. */
  displayName: Nullable(Type.String()),
  accentColor: Nullable(Type.String()),
  /** What customers see now. */
  name: Type.String(),
  organizationName: Type.String(),
  /** Public address of the portal logo, or null. */
  logoUrl: Nullable(Type.String()),
});
export const BrandingBody = Type.Object({
  displayName: Nullable(Type.String({ maxLength: BRANDING_LIMITS.displayNameMax })),
  accentColor: Nullable(Type.String({ maxLength: 7 })),
}, { additionalProperties: false });
export const LogoResult = Type.Object({ logoUrl: Type.String(), contentType: Type.String() });

export const PortalBrandingParams = Type.Object({ organizationId: Uuid });
export const PortalBranding = Type.Object({ name: Type.String(), accentColor: Nullable(Type.String()), logoUrl: Nullable(Type.String()) });

export const Acknowledgement = Type.Object({
  mailboxId: Type.String(),
  enabled: Type.Boolean(),
  template: Type.String(),
  /** Whether the template is the built-in one (never saved). */
  isDefault: Type.Boolean(),
});
export const AcknowledgementBody = Type.Object({
  enabled: Type.Boolean(),
  template: Type.String({ minLength: 1, maxLength: BRANDING_LIMITS.ackTemplateMax }),
}, { additionalProperties: false });

export const brandingEndpoints = {
  read: { method: 'GET', url: '/api/branding', response: BrandingView },
  update: { method: 'PUT', url: '/api/branding', body: BrandingBody, response: BrandingView },
  /** Raw body (application/octet-stream): PNG, JPEG or WebP, sniffed; never SVG. */
  uploadLogo: { method: 'PUT', url: '/api/branding/logo', response: LogoResult },
  removeLogo: { method: 'DELETE', url: '/api/branding/logo', response: Type.Object({ ok: Type.Literal(true) }) },
  portal: { method: 'GET', url: '/api/portal/branding/:organizationId', params: PortalBrandingParams, response: PortalBranding },
  /** The image itself (public, nosniff, its exact type). */
  portalLogo: { method: 'GET', url: '/api/portal/branding/:organizationId/logo', params: PortalBrandingParams },
  acknowledgement: { method: 'GET', url: '/api/mailboxes/:id/acknowledgement', params: IdParams, response: Acknowledgement },
  updateAcknowledgement: { method: 'PUT', url: '/api/mailboxes/:id/acknowledgement', params: IdParams, body: AcknowledgementBody, response: Acknowledgement },
} as const satisfies Record<string, Endpoint>;
