/**
 * Every feature's route plugin, in one list: buildApp registers them after the
 * cross-cutting plugins, so each is behind the deny-by-default gate.
 */
import type { FastifyInstance } from 'fastify';
import { accessReviewRoutes } from '../../identity/access-reviews/access-reviews.routes.js';
import { auditRoutes } from '../../protection/audit/audit.routes.js';
import { authRoutes } from '../../identity/auth/auth.routes.js';
import { mfaRoutes } from '../../identity/auth/mfa/mfa.routes.js';
import { ticketRoutes } from '../../helpdesk/tickets/tickets.routes.js';
import { userRoutes } from '../../identity/users/users.routes.js';
import { customerRoutes } from '../../helpdesk/customers/customers.routes.js';
import { privacyPortalRoutes, privacyRoutes } from '../../helpdesk/privacy/privacy.routes.js';
import { retentionRoutes } from '../../helpdesk/privacy/retention.routes.js';
import { maskingPolicyRoutes } from '../../helpdesk/customers/masking-policy.routes.js';
import { dlpPolicyRoutes } from '../../protection/dlp-policy/dlp-policy.routes.js';
import { macroRoutes } from '../../helpdesk/macros/macros.routes.js';
import { knowledgeRoutes } from '../../helpdesk/knowledge/knowledge.routes.js';
import { mailboxRoutes } from '../../helpdesk/mail/mailboxes.routes.js';
import { organizationRoutes } from '../../identity/organization/organization.routes.js';
import { searchRoutes } from '../../helpdesk/search/search.routes.js';
import { slaRoutes } from '../../helpdesk/sla/sla.routes.js';
import { ticketBulkRoutes } from '../../helpdesk/tickets/ticket-bulk.routes.js';
import { ticketFileRoutes } from '../../helpdesk/tickets/ticket-files.routes.js';
import { webhookRoutes } from '../webhooks/webhooks.routes.js';
import { phishingReportRoutes } from '../../threats/phishing-reports/phishing-reports.routes.js';
import { phishingLearningRoutes } from '../../threats/phishing-learning/phishing-learning.routes.js';
import { portalRoutes } from '../../helpdesk/portal/portal.routes.js';
import { portalMfaRoutes } from '../../helpdesk/portal/portal-mfa.routes.js';
import { quarantineRoutes } from '../../threats/quarantine/quarantine.routes.js';
import { routingRoutes } from '../../helpdesk/routing/routing.routes.js';
import { signatureRoutes } from '../../helpdesk/signatures/signatures.routes.js';
import { secureMessageRoutes } from '../../helpdesk/secure-messages/secure-messages.routes.js';
import { verificationRoutes } from '../../helpdesk/verification/verification.routes.js';
import { workRoutes } from '../../helpdesk/work/work.routes.js';
import { notificationRoutes } from '../../helpdesk/notifications/notifications.routes.js';
import { csatRoutes } from '../../helpdesk/csat/csat.routes.js';
import { reportRoutes } from '../../helpdesk/reports/reports.routes.js';
import { brandingRoutes } from '../../helpdesk/branding/branding.routes.js';
import { onboardingRoutes } from '../../identity/onboarding/onboarding.routes.js';
import { realtimeRoutes } from '../realtime/realtime.routes.js';
import { chatRoutes } from '../../helpdesk/chat/chat.routes.js';
import { trainingRoutes } from '../../identity/training/training.routes.js';
import { policyRoutes } from '../../identity/policies/policies.routes.js';
import { simulationRoutes } from '../../threats/simulations/simulations.routes.js';
import { awarenessRoutes } from '../../threats/awareness/awareness.routes.js';
import { incidentRoutes } from '../../threats/incidents/incidents.routes.js';
import { siemRoutes } from '../../protection/siem/siem.routes.js';
import { imapRoutes } from '../../helpdesk/mail/imap/imap.routes.js';
import { insiderRoutes } from '../../threats/insider/insider.routes.js';
import { ssoRoutes } from '../../identity/sso/sso.routes.js';
import { scimRoutes } from '../../identity/scim/scim.routes.js';
import { scimAdminRoutes } from '../../identity/scim/scim-admin.routes.js';
import { deviceRoutes } from '../../identity/devices/devices.routes.js';
import { webRoutes } from './web.js';

export const appRoutes: Array<(app: FastifyInstance) => Promise<void>> = [
  authRoutes,
  mfaRoutes,
  ssoRoutes,
  scimRoutes,
  scimAdminRoutes,
  deviceRoutes,
  userRoutes,
  ticketRoutes,
  ticketBulkRoutes,
  ticketFileRoutes,
  workRoutes,
  searchRoutes,
  macroRoutes,
  knowledgeRoutes,
  slaRoutes,
  webhookRoutes,
  mailboxRoutes,
  signatureRoutes,
  routingRoutes,
  organizationRoutes,
  customerRoutes,
  privacyRoutes,
  privacyPortalRoutes,
  retentionRoutes,
  maskingPolicyRoutes,
  dlpPolicyRoutes,
  secureMessageRoutes,
  verificationRoutes,
  accessReviewRoutes,
  auditRoutes,
  quarantineRoutes,
  phishingReportRoutes,
  phishingLearningRoutes,
  portalRoutes,
  portalMfaRoutes,
  notificationRoutes,
  csatRoutes,
  reportRoutes,
  brandingRoutes,
  onboardingRoutes,
  realtimeRoutes,
  chatRoutes,
  trainingRoutes,
  policyRoutes,
  simulationRoutes,
  awarenessRoutes,
  incidentRoutes,
  siemRoutes,
  imapRoutes,
  insiderRoutes,
  // Last: the web app's HTML shell and assets (public; the shell holds no data).
  webRoutes,
];
