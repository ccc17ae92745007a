/**
 * Test support for the isolation matrix (isolation-matrix.test.ts): a fresh
 * organisation holding one real object of every kind a route takes an id of,
 * made the way the product makes it — through its HTTP API as the
 * organisation's own staff, SCIM token or portal customer, or through its
 * services (email ingestion, sessions, chat), and by a direct insert only
 * where neither exists (an insider alert, a portal customer's passkey).
 *
 * Every free-text field set here (names, subjects, bodies, titles, the local
 * part of email addresses) holds the organisation's marker, so that a list or
 * search of another organisation that shows any of it is caught by the text.
 *
 * Imported by tests only.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Services } from '../app/services.js';
import { buildOrg, buildUser, signInAs, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createSession, sessionHandle } from '../../identity/auth/sessions.js';
import { SoftAuthenticator } from '../../identity/auth/mfa/testing/soft-authenticator.js';
import { proofMessage } from '../../identity/devices/proof.js';
import { idpMetadata, newIdpKeys } from '../../identity/sso/saml-testing.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import { resolveMailboxes } from '../../helpdesk/mail/mailboxes.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { portalSignIn } from '../../helpdesk/portal/testing.js';
import { createPortalDeps } from '../../helpdesk/portal/deps.js';
import { authenticateVisitor, postCustomerMessage } from '../../helpdesk/chat/conversations.js';
import { MemoryBlobStore, type BlobStore } from '../../protection/blobs/store.js';

export const KINDS = [
  'accessReview',
  'accessReviewItem',
  'auditEntry',
  'webauthnCredential',
  'session',
  'user',
  'samlConnection',
  'chat',
  'customer',
  'device',
  'incident',
  'insiderAlert',
  'insiderSuppression',
  'kbArticle',
  'kbArticleSlug',
  'kbCategory',
  'macro',
  'mailbox',
  'notification',
  'imapAccount',
  'phishingReport',
  'policyVersion',
  'portalPasskey',
  'secureMessage',
  'ticket',
  'message',
  'attachment',
  'verification',
  'privacyHold',
  'privacyRequest',
  'retentionRun',
  'quarantineItem',
  'role',
  'routingRule',
  'scimToken',
  'senderListEntry',
  'siemDestination',
  'simulationCampaign',
  'customTemplate',
  'slaPolicy',
  'team',
  'token',
  'trainingAssignment',
  'trainingRule',
  'invitation',
  'view',
  'webhook',
  'scimGroup',
  'scimUser',
  'csat',
] as const;
export type Kind = (typeof KINDS)[number];

/**
 * One object: its id as routes take it, and the table whose row it is (a table with org_id, except where noted
 * on the kind below). Exceptions, where no column of the row equals `id`:
 * - session: `id` is the session's public handle, sessionHandle(sessions.id_hash); the row is the `sessions` row of
 *   B's staff user (sessions.org_id = B). No column holds the handle itself.
 * - auditEntry: `id` is the entry's chain index as a string (audit_log.idx), of an entry with org_id = B.
 * - kbArticleSlug: `id` is the slug (kb_articles.slug) of the published article kbArticle.
 * - chat: `id` is the chat's ticket id (the /api/chats/:id routes take the ticket id); the row is the `tickets` row
 *   (org_id = B), and chat_conversations.ticket_id points at it.
 * - scimUser: `id` is the user id; the row is scim_users (user_id, org_id = B).
 * - scimGroup: `id` is the team id; the row is scim_groups (team_id, org_id = B).
 * Rows without org_id, and what makes them B's:
 * - accessReviewItem: access_review_items.campaign_id is objects.accessReview (access_review_campaigns.org_id = B).
 * - webauthnCredential: webauthn_credentials.user_id is B's staff user (users.org_id = B).
 */
export interface Seeded {
  id: string;
  table: string;
}

export interface SeededOrg {
  org: TestOrg;
  objects: Record<Kind, Seeded>;
  /** In every free-text field set while seeding. */
  marker: string;
  /** The staff member who made everything: agent, supervisor, administrator and security officer. */
  staff: SignedIn;
  /** A signed-in portal session of the ticket's requester (objects.customer). */
  portal: { headers: Record<string, string> };
  /** A live SCIM token of the organisation (the one whose id is objects.scimToken). */
  scimToken: string;
}

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

type Response = LightMyRequestResponse;

function must(res: Response, status: number | number[], what: string): Response {
  const ok = Array.isArray(status) ? status : [status];
  if (!ok.includes(res.statusCode)) throw new Error(`isolation fixture: ${what} answered ${res.statusCode} ${res.body.slice(0, 500)}`);
  return res;
}

function fail(what: string): never {
  throw new Error(`isolation fixture: ${what}`);
}

/** A raw email with a text body and one small text attachment. */
function rawEmail(input: { from: string; to: string; subject: string; body: string; attachment?: { name: string; text: string } }): Buffer {
  const boundary = `b-${randomUUID()}`;
  const head = [`From: ${input.from}`, `To: ${input.to}`, `Subject: ${input.subject}`, `Message-ID: <${randomUUID()}@isolation.example>`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0'];
  if (!input.attachment) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', input.body, ''].join('\r\n'));
  return Buffer.from(
    [
      ...head,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      input.body,
      `--${boundary}`,
      `Content-Type: text/plain; name="${input.attachment.name}"`,
      `Content-Disposition: attachment; filename="${input.attachment.name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(input.attachment.text).toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

/**
 * A fresh organisation with one object of every kind in KINDS, all made by its own principals. Takes a few
 * seconds on PGlite. `options.blobs` is where the ingested email's attachment and raw message go: by default a
 * memory store of its own, so nothing is written to disk; the attachment's row exists and every look-up by id
 * works, but its bytes are not where the shipped file routes read (a local folder). A test that wants B to download
 * it passes the store its app's file routes use (createTicketFileRoutes / buildPortalApp's `blobs`).
 */
/** The domain of the organisation's customer's address: known from the marker alone, before anything exists. */
export const customerDomainFor = (marker: string) => `customer-${marker}.example`;

export async function seedEveryKind(app: FastifyInstance, services: Services, options: { marker?: string; blobs?: BlobStore } = {}): Promise<SeededOrg> {
  const marker = options.marker ?? `zq${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const db = services.database.db;
  const org = await buildOrg(services, `Org ${marker}`);
  const short = org.orgId.slice(0, 8);
  const domain = `${marker}-${short}.example`;
  const objects = {} as Record<Kind, Seeded>;
  const put = (kind: Kind, id: string | undefined | null, table: string) => {
    if (!id) fail(`no id for ${kind}`);
    objects[kind] = { id, table };
  };

  // B's staff member, holding every built-in role but the auditor's: the one principal that makes everything.
  const staffUser = await buildUser(services, org, { roles: ['agent', 'supervisor', 'administrator', 'security_officer'], email: `${marker}.staff@${domain}`, name: `Staff ${marker}` });
  let staff = await signInAs(app, staffUser);
  const call = async (method: InjectOptions['method'], url: string, payload: unknown, status: number | number[], what = `${method} ${url}`) =>
    must(await app.inject({ method, url, headers: staff.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) }), status, what);
  put('user', staffUser.userId, 'users');

  // --- Organisation structure -------------------------------------------------------------------
  const team = (await call('POST', '/api/teams', { name: `Team ${marker}` }, 201)).json().id as string;
  put('team', team, 'teams');
  // Staff joins the team (to lead the shared view and be a reader of the team's tickets); a change of teams may end the
  // person's sessions, so sign in again afterwards.
  await call('PUT', `/api/users/${staffUser.userId}/teams`, { teamIds: [team] }, 200);
  staff = await signInAs(app, staffUser);

  const mailboxAddress = `${marker}.support@${domain}`;
  const mailbox = (await call('POST', '/api/mailboxes', { address: mailboxAddress, name: `Support ${marker}`, teamId: team }, 201)).json().id as string;
  put('mailbox', mailbox, 'mailboxes');

  const customerDomain = customerDomainFor(marker);
  const routingRule = await call('POST', '/api/routing-rules', { name: `Rule ${marker}`, position: 1, enabled: true, matchMailboxId: mailbox, matchSenderDomain: customerDomain, matchSubjectWords: [], setTeamId: team, setAssigneeId: staffUser.userId, setPriority: 'high', addTags: [] }, 201);
  put('routingRule', routingRule.json().id, 'routing_rules');


  // --- The ticket: by email, with a customer, a message and an attachment -------------------------
  const deps = await createHelpdeskDeps(services);
  const blobs = options.blobs ?? new MemoryBlobStore();
  const hooks = createDefaultHooks({ db, keyring: services.keyring, mailer: services.mailer });
  const routes = await resolveMailboxes(db, [mailboxAddress]);
  const ingest = async (raw: Buffer, mailFrom: string) => {
    const [outcome] = await ingestInboundEmail(deps, { hooks, blobs, maxAttachmentBytes: 1_000_000 }, { raw, mailFrom, rcptTo: [mailboxAddress] }, routes);
    if (outcome?.outcome !== 'ticket_created') fail(`ingest answered ${JSON.stringify(outcome)}`);
    return outcome;
  };
  const customerEmail = `${marker}.customer@${customerDomain}`;
  const main = await ingest(
    rawEmail({ from: `Customer ${marker} <${customerEmail}>`, to: mailboxAddress, subject: `Order question ${marker}`, body: `Hello, where is my order? ${marker}`, attachment: { name: `${marker}-receipt.txt`, text: `Receipt ${marker}\n` } }),
    customerEmail,
  );
  const ticketId = main.ticketId;
  put('ticket', ticketId, 'tickets');
  put('message', main.messageId, 'messages');
  const ticketRow = await db.selectFrom('tickets').where('id', '=', ticketId).where('org_id', '=', org.orgId).select(['requester_id']).executeTakeFirstOrThrow();
  put('customer', ticketRow.requester_id, 'customers');
  const attachment = await db.selectFrom('attachments').where('message_id', '=', main.messageId).where('org_id', '=', org.orgId).select('id').executeTakeFirst();
  put('attachment', attachment?.id, 'attachments');
  // Routing assigned the ticket to staff: "assigned" notification (the system assigned it, so staff is told).
  const notification = await db.selectFrom('notifications').where('user_id', '=', staffUser.userId).where('org_id', '=', org.orgId).select('id').executeTakeFirst();
  put('notification', notification?.id, 'notifications');

  const portal = await portalSignIn(app, { orgId: org.orgId, email: customerEmail });

  // --- A reported message: quarantine item, phishing report, pending block suggestion ---------------
  const lureEmail = `${marker}.lure@lure-${short}.example`;
  const lure = await ingest(rawEmail({ from: `Lure ${marker} <${lureEmail}>`, to: mailboxAddress, subject: `Invoice ${marker}`, body: `Please see the attached invoice. ${marker}` }), lureEmail);
  const reported = (await call('POST', `/api/tickets/${lure.ticketId}/messages/${lure.messageId}/report-phishing`, { comment: `Asked for a password ${marker}` }, 201)).json();
  put('quarantineItem', reported.quarantineId, 'quarantine');
  put('phishingReport', reported.reportId, 'phishing_reports');
  put('senderListEntry', reported.blockSuggestionId, 'sender_lists');

  // --- Helpdesk configuration -------------------------------------------------------------------
  put('macro', (await call('POST', '/api/macros', { name: `Macro ${marker}`, body: `Thanks ${marker}` }, 201)).json().id, 'macros');
  const category = (await call('POST', '/api/kb/categories', { name: `Category ${marker}` }, 201)).json().id as string;
  put('kbCategory', category, 'kb_categories');
  const article = (await call('POST', '/api/kb/articles', { title: `Article ${marker}`, body: `<p>Text ${marker}</p>`, categoryId: category }, 201)).json();
  await call('POST', `/api/kb/articles/${article.id}/publish`, {}, 200);
  put('kbArticle', article.id, 'kb_articles');
  put('kbArticleSlug', article.slug, 'kb_articles');
  const sla = { name: `SLA ${marker}`, timeZone: 'Europe/London', businessHours: { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, targets: { normal: { firstResponseMinutes: 60, resolutionMinutes: 480 } } };
  put('slaPolicy', (await call('POST', '/api/sla-policies', sla, 201)).json().id, 'sla_policies');
  const view = { name: `View ${marker}`, teamId: team, filters: {}, columns: ['number', 'subject', 'priority'], sort: 'priority', sortDir: 'desc' };
  put('view', (await call('POST', '/api/views', view, 201)).json().id, 'saved_views');

  // --- Identity and access ----------------------------------------------------------------------
  const roleKey = `r_${marker.replace(/[^a-z0-9]/gi, '').toLowerCase()}`.slice(0, 40);
  put('role', (await call('POST', '/api/roles', { key: roleKey, name: `Role ${marker}`, grants: [{ permission: 'tickets.read', scope: 'team' }] }, 201)).json().id, 'roles');
  put('token', (await call('POST', '/api/tokens', { name: `Token ${marker}`, scopes: ['tickets.read'], expiresInDays: 30 }, 201)).json().id, 'api_tokens');
  const scim = (await call('POST', '/api/scim/tokens', { name: `SCIM ${marker}`, expiresInDays: 30 }, 201)).json();
  put('scimToken', scim.id, 'scim_tokens');
  const invitation = await call('POST', '/api/users/invitations', { email: `${marker}.invited@${domain}`, name: `Invited ${marker}`, roleIds: [], teamIds: [] }, 201);
  // The invitation's id is the invited person's account (users.status = 'invited', org_id = B).
  put('invitation', invitation.json().id, 'users');
  const review = (await call('POST', '/api/access-reviews', { name: `Review ${marker}`, deadline: new Date(Date.now() + 14 * 86_400_000).toISOString() }, 201)).json();
  put('accessReview', review.campaign.id, 'access_review_campaigns');
  put('accessReviewItem', review.items[0]?.id, 'access_review_items');

  // Another session of staff (to be ended by id), a passkey and a registered browser.
  const session = await createSession(db, { userId: staffUser.userId, orgId: org.orgId, ip: '127.0.0.1', userAgent: `vitest ${marker}`, policy: app.auth.policy, mfa: { at: new Date(), method: 'webauthn' } });
  put('session', sessionHandle(session.idHash), 'sessions');
  const authenticator = new SoftAuthenticator({ origin: new URL(services.config.publicUrl).origin });
  const regOptions = (await call('POST', '/api/auth/mfa/webauthn/register/options', undefined, 200)).json();
  const registered = await call('POST', '/api/auth/mfa/webauthn/register/verify', { challengeId: regOptions.challengeId, response: authenticator.register(regOptions.options), name: `Key ${marker}` }, 200);
  if (registered.cookies.some((c) => c.name === 'td_session')) fail('registering a second passkey rotated the session');
  const credential = await db.selectFrom('webauthn_credentials').where('user_id', '=', staffUser.userId).select('id').executeTakeFirst();
  put('webauthnCredential', credential?.id, 'webauthn_credentials');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const ch = (await call('POST', '/api/devices/challenge', undefined, 200)).json() as { challenge: string; binding: string };
  const timestamp = Date.now();
  const signature = sign('sha256', Buffer.from(proofMessage({ purpose: 'register', challenge: ch.challenge, binding: ch.binding, timestamp }), 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const device = await call('POST', '/api/devices/register', { name: `Laptop ${marker}`, publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, challenge: ch.challenge, timestamp, signature: signature.toString('base64url') }, 201);
  put('device', device.json().device.id, 'devices');

  // Single sign-on by SAML.
  const idp = newIdpKeys(`IdP ${marker}`);
  const saml = await call('PUT', '/api/sso/connection/saml', {
    enabled: true,
    displayName: `SAML ${marker}`.slice(0, 60),
    idpMetadataXml: idpMetadata({ entityId: `https://idp.${domain}/saml`, ssoUrl: `https://idp.${domain}/sso`, certificatePem: idp.certificatePem }),
    emailDomains: [`sso-${short}.example`],
    trustProviderMfa: false,
  }, 200);
  put('samlConnection', saml.json().connection?.id, 'sso_connections');

  // SCIM: a user and a group, through /scim/v2 with the organisation's SCIM token.
  const scimCall = async (url: string, body: unknown) =>
    must(await app.inject({ method: 'POST', url: `/scim/v2${url}`, headers: { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) }), 201, `SCIM POST ${url}`).json();
  const scimUserName = `${marker}.scim@${domain}`;
  const scimUser = await scimCall('/Users', { schemas: [SCIM_USER], userName: scimUserName, name: { givenName: `Given${marker}`, familyName: `Family${marker}` }, emails: [{ value: scimUserName, type: 'work', primary: true }], active: true });
  put('scimUser', scimUser.id, 'scim_users');
  const scimGroup = await scimCall('/Groups', { schemas: [SCIM_GROUP], displayName: `Group ${marker}`, externalId: `g-${marker}`, members: [{ value: scimUser.id }] });
  put('scimGroup', scimGroup.id, 'scim_groups');

  // --- Security operations ----------------------------------------------------------------------
  put('incident', (await call('POST', '/api/incidents', { type: 'other', title: `Incident ${marker}` }, 201)).json().id, 'incidents');
  put('insiderSuppression', (await call('POST', '/api/insider/suppressions', { rule: 'dormant', userId: staffUser.userId, reason: `Back from leave ${marker}`, days: 1 }, 201)).json().id, 'insider_suppressions');
  // No API or service raises an alert: the insider runner does, from the audit trail. Its own insert, by hand.
  const alertId = randomUUID();
  await db.insertInto('insider_alerts').values({ id: alertId, org_id: org.orgId, rule: 'denied', user_id: staffUser.userId, explanation: `Refused reads ${marker}`, evidence: JSON.stringify([]), facts: JSON.stringify({ count: 5 }), since: new Date(Date.now() - 600_000), raised_at: new Date(), event_idx: 0 }).execute();
  put('insiderAlert', alertId, 'insider_alerts');
  put('siemDestination', (await call('POST', '/api/siem/destinations', { name: `SIEM ${marker}`, transport: 'tcp', host: '127.0.0.1', port: 9, format: 'cef', enabled: false }, 201)).json().id, 'siem_destinations');
  const imap = await call('POST', '/api/organization/mail/imap', { name: `IMAP ${marker}`, mailboxId: mailbox, host: `imap.${domain}`, port: 993, security: 'tls', username: `${marker}.imap`, auth: 'password', password: `pw-${marker}`, enabled: false }, 201);
  put('imapAccount', imap.json().id, 'imap_accounts');
  const version = { language: 'en', fromName: `Sender ${marker}`, fromLocalPart: 'orders', subject: `Refund ${marker}`, body: `Please refund to this new card today, no time for checks: {{link}} ${marker}`, redFlags: [{ in: 'body', quote: 'this new card', explanation: `Refunds go back ${marker}` }, { in: 'body', quote: 'no time for checks', explanation: `Urgency ${marker}` }] };
  const template = await call('POST', '/api/simulations/custom-templates', { name: `Template ${marker}`, scenario: `Scenario ${marker}`, difficulty: 2, trainingTopic: 'phishing-in-the-queue', defaultLanguage: 'en', versions: [version] }, 201);
  put('customTemplate', template.json().id, 'simulation_templates');
  const campaign = await call('POST', '/api/simulations/campaigns', { name: `Campaign ${marker}`, templateId: 'shared-document', mailboxId: mailbox, senderDomain: `share-${short}.example`, windowMinutes: 0, durationDays: 7, targets: { userIds: [staffUser.userId] } }, 201);
  put('simulationCampaign', campaign.json().id, 'simulation_campaigns');
  put('trainingRule', (await call('POST', '/api/training/rules', { moduleKey: 'reporting-incidents', roleKey: null, teamId: team, dueDays: 30, everyMonths: 12 }, 201)).json().id, 'training_rules');
  await call('POST', '/api/training/assignments', { moduleKey: 'phishing-in-the-queue', userIds: [staffUser.userId], dueDays: 14 }, 201);
  const assignment = await db.selectFrom('training_assignments').where('user_id', '=', staffUser.userId).where('org_id', '=', org.orgId).where('module_key', '=', 'phishing-in-the-queue').select('id').executeTakeFirst();
  put('trainingAssignment', assignment?.id, 'training_assignments');

  // --- On the ticket: a secure message, a verification ---------------------------------------------
  put('secureMessage', (await call('POST', `/api/tickets/${ticketId}/secure-replies`, { body: `Your PIN letter ${marker}` }, 201)).json().secureMessageId, 'secure_messages');
  put('verification', (await call('POST', `/api/tickets/${ticketId}/verifications`, { channel: 'email' }, [200, 201])).json().verificationId, 'customer_verifications');
  // The portal customer's passkey: the portal adds one only after a WebAuthn ceremony under a step-up policy; a row
  // as portal-mfa.security.test.ts writes it.
  const passkeyId = randomUUID();
  await db.insertInto('customer_webauthn_credentials').values({ id: passkeyId, org_id: org.orgId, customer_id: objects.customer.id, credential_id: `cred-${passkeyId}`, public_key: Buffer.from([1, 2, 3]), name: `Passkey ${marker}` }).execute();
  put('portalPasskey', passkeyId, 'customer_webauthn_credentials');

  // --- Privacy ------------------------------------------------------------------------------------
  put('privacyHold', (await call('POST', '/api/privacy/holds', { objectType: 'ticket', objectId: lure.ticketId, reason: `Litigation ${marker}` }, 200)).json().id, 'legal_holds');
  put('privacyRequest', (await call('POST', '/api/privacy/requests', { customerId: objects.customer.id, kind: 'access' }, [200, 201])).json().id, 'privacy_requests');
  put('retentionRun', (await call('POST', '/api/privacy/retention/runs', undefined, 200)).json().id, 'retention_runs');

  // --- Chat: a visitor starts one on the website and writes, which makes its ticket ---------------------
  const site = `https://shop-${short}.example`;
  await call('PUT', '/api/chat-settings', { enabled: true, teamId: team, allowedOrigins: [site], maxChatsPerAgent: 2, offerTimeoutSeconds: 30 }, 200);
  const started = must(await app.inject({ method: 'POST', url: '/api/chat/conversations', payload: { orgId: org.orgId, host: site, name: `Visitor ${marker}` } }), 201, 'start a chat').json();
  const chatDeps = { ...(await createPortalDeps(services)), bus: app.bus, presence: app.presence };
  const client = { ip: '127.0.0.1', userAgent: 'vitest', requestId: `seed-${marker}` };
  const visitor = await authenticateVisitor(chatDeps, started.token, client);
  const sent = await postCustomerMessage(chatDeps, visitor, { clientId: randomUUID(), body: `Hi from chat ${marker}` });
  put('chat', sent.ticketId, 'tickets');

  // --- Policy: a published internal data-handling policy, attested by staff --------------------------
  await call('PUT', '/api/policies/internal/draft', { title: `Data handling ${marker}`, bodyMarkdown: `Handle data with care ${marker}`, audience: [] }, 200);
  await call('POST', '/api/policies/internal/publish', { effectiveAt: new Date().toISOString() }, [200, 201]);
  const policyVersion = await db.selectFrom('data_policy_versions').where('org_id', '=', org.orgId).select('id').orderBy('created_at', 'desc').executeTakeFirst();
  put('policyVersion', policyVersion?.id, 'data_policy_versions');
  await call('POST', '/api/policies/attestations', { versionId: policyVersion!.id }, 201);

  // --- CSAT: only a solved request is rated, so the ticket is solved last ------------------------------
  await call('POST', `/api/tickets/${ticketId}/status`, { status: 'solved' }, 200);
  must(await app.inject({ method: 'POST', url: `/api/portal/tickets/${ticketId}/csat`, headers: portal.headers, payload: { rating: 'good', comment: `Quick and kind ${marker}` } }), 200, 'rate the ticket');
  const rating = await db.selectFrom('csat_ratings').where('ticket_id', '=', ticketId).where('org_id', '=', org.orgId).select('id').executeTakeFirst();
  put('csat', rating?.id, 'csat_ratings');

  // --- A webhook, made last and switched off: nothing of the seeding is ever sent to it ------------------
  // The services of a test refuse private addresses (and a host name would need DNS): a public address literal,
  // subscribed only to an event nothing here causes (ticket.split), then deactivated. So it has no deliveries.
  const webhook = (await call('POST', '/api/webhooks', { url: `https://1.1.1.1/hooks/${marker}`, events: ['ticket.split'] }, 201)).json().id as string;
  await call('PUT', `/api/webhooks/${webhook}`, { active: false }, 200);
  put('webhook', webhook, 'webhook_subscriptions');

  // --- An audit entry of the organisation, with its chain index ----------------------------------------
  await services.audit.flush();
  const entry = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('idx', 'is not', null).select('idx').orderBy('idx', 'desc').executeTakeFirst();
  put('auditEntry', entry?.idx === undefined || entry.idx === null ? null : String(entry.idx), 'audit_log');

  // Work the seeding left for after its answers (mail, the retention run) done now, not during the caller's reads.
  await services.deferred.drain();
  await services.audit.flush();

  const missing = KINDS.filter((k) => !objects[k]);
  if (missing.length) fail(`no object for ${missing.join(', ')}`);
  return { org, objects, marker, staff, portal: { headers: { ...portal.headers } }, scimToken: scim.token as string };
}
