/**
 * Every feature's route plugin, in one list: buildApp registers them after the
 * cross-cutting plugins, so each is behind the deny-by-default gate.
 */
import type { FastifyInstance } from 'fastify';
import { accessReviewRoutes } from '../access-reviews/access-reviews.routes.js';
import { auditRoutes } from '../audit/audit.routes.js';
import { authRoutes } from '../auth/auth.routes.js';
import { mfaRoutes } from '../auth/mfa/mfa.routes.js';
import { ticketRoutes } from '../tickets/tickets.routes.js';
import { userRoutes } from '../users/users.routes.js';
import { customerRoutes } from '../customers/customers.routes.js';
import { dlpPolicyRoutes } from '../dlp-policy/dlp-policy.routes.js';
import { macroRoutes } from '../macros/macros.routes.js';
import { mailboxRoutes } from '../mail/mailboxes.routes.js';
import { organizationRoutes } from '../organization/organization.routes.js';
import { searchRoutes } from '../search/search.routes.js';
import { slaRoutes } from '../sla/sla.routes.js';
import { ticketBulkRoutes } from '../tickets/ticket-bulk.routes.js';
import { ticketFileRoutes } from '../tickets/ticket-files.routes.js';
import { webhookRoutes } from '../webhooks/webhooks.routes.js';
import { phishingReportRoutes } from '../phishing-reports/phishing-reports.routes.js';
import { portalRoutes } from '../portal/portal.routes.js';
import { quarantineRoutes } from '../quarantine/quarantine.routes.js';
import { routingRoutes } from '../routing/routing.routes.js';
import { secureMessageRoutes } from '../secure-messages/secure-messages.routes.js';
import { verificationRoutes } from '../verification/verification.routes.js';
import { webRoutes } from './web.js';

export const appRoutes: Array<(app: FastifyInstance) => Promise<void>> = [
  authRoutes,
  mfaRoutes,
  userRoutes,
  ticketRoutes,
  ticketBulkRoutes,
  ticketFileRoutes,
  searchRoutes,
  macroRoutes,
  slaRoutes,
  webhookRoutes,
  mailboxRoutes,
  routingRoutes,
  organizationRoutes,
  customerRoutes,
  dlpPolicyRoutes,
  secureMessageRoutes,
  verificationRoutes,
  accessReviewRoutes,
  auditRoutes,
  quarantineRoutes,
  phishingReportRoutes,
  portalRoutes,
  // Last: the web app's HTML shell and assets (public; the shell holds no data).
  webRoutes,
];
