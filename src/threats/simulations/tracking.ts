/**
 * What a recipient does with a simulation: the click on the tracking link (the
 * public landing page), the link inside a mailbox attachment, the landing
 * page's own confirmation that a person saw it (script ran), something typed
 * on a landing form (recorded, never read), opening the attachment in the
 * console (decision 0200), and "Report phishing". Tokens are looked up by
 * their SHA-256 only.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { assignModule } from '../../identity/training/assignments.service.js';
import { hashToken, recordEvent } from './events.js';
import { campaignTemplate } from './custom-templates.js';
import { markFlags, renderTemplate, type MarkedPart } from './templates.js';
import { readSimulationSettings, scannerRangeOf } from './settings.js';
import type { LandingForm, SimulationEventType } from './schema.js';
import './schema.js';

/** Any base64url string of a plausible length; anything else is refused before the database is asked. */
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,64}$/;
/** A recipient's events stop being stored past this many (a flood adds nothing). */
export const MAX_EVENTS_PER_RECIPIENT = 50;
/** A click this soon after delivery counts only once the landing page's script confirms a person (scanners prefetch at once). */
export const SCANNER_WINDOW_SECONDS = 60;

/** A delivered recipient with what its pages need, by a condition on the recipients table. */
function recipientQuery(db: HelpdeskDeps['db']) {
  return db
    .selectFrom('simulation_recipients')
    .innerJoin('simulation_campaigns', 'simulation_campaigns.id', 'simulation_recipients.campaign_id')
    .innerJoin('users', 'users.id', 'simulation_recipients.user_id')
    .innerJoin('organizations', 'organizations.id', 'simulation_recipients.org_id')
    .where('simulation_recipients.status', '=', 'delivered')
    .select([
      'simulation_recipients.id', 'simulation_recipients.org_id', 'simulation_recipients.user_id', 'simulation_recipients.customer_name', 'simulation_recipients.delivered_at',
      'simulation_recipients.language', 'simulation_recipients.campaign_id', 'simulation_campaigns.template_id', 'simulation_campaigns.template', 'simulation_campaigns.landing_form', 'simulation_campaigns.sender_domain', 'simulation_campaigns.status as campaign_status', 'simulation_campaigns.ends_at',
      'users.name as agent_name', 'users.status as user_status', 'organizations.name as org_name',
    ]);
}

/**
 * The recipient a token names: the message's link token, or the token in a mailbox attachment's link
 * (`via: 'attachment'`, decision 0200). Both are looked up by their SHA-256 only.
 */
async function findByToken(db: HelpdeskDeps['db'], token: string) {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const hash = hashToken(token);
  const r = await recipientQuery(db)
    .where((eb) => eb.or([eb('simulation_recipients.token_hash', '=', hash), eb('simulation_recipients.attachment_token_hash', '=', hash)]))
    .select('simulation_recipients.attachment_token_hash')
    .executeTakeFirst();
  if (!r) return undefined;
  const { attachment_token_hash: attachmentHash, ...rest } = r;
  return { ...rest, via: attachmentHash && Buffer.from(attachmentHash).equals(hash) ? ('attachment' as const) : ('link' as const) };
}

/** A delivered recipient, found by a token or by its message. */
type Recipient = NonNullable<Awaited<ReturnType<ReturnType<typeof recipientQuery>['executeTakeFirst']>>>;
type Found = NonNullable<Awaited<ReturnType<typeof findByToken>>>;
/** The event a token's visit records: a click on the message's link, or an open through the attachment's link. */
const eventOf = (r: Found): 'clicked' | 'attachment_opened' => (r.via === 'attachment' ? 'attachment_opened' : 'clicked');

async function eventsOf(db: HelpdeskDeps['db'], recipientId: string) {
  return db.selectFrom('simulation_events').where('recipient_id', '=', recipientId).select(['type', 'discounted_reason']).execute();
}

function ended(r: Recipient, now: Date): boolean {
  return r.campaign_status === 'ended' || new Date(r.ends_at) <= now;
}

/** Appends an event unless the recipient's log is full. */
async function append(db: HelpdeskDeps['db'], r: Recipient, type: SimulationEventType, discountedReason: string | null): Promise<void> {
  const events = await eventsOf(db, r.id);
  if (events.length >= MAX_EVENTS_PER_RECIPIENT) return;
  await recordEvent(db, { orgId: r.org_id, recipientId: r.id, type, discountedReason });
}

type TrackingDeps = Pick<HelpdeskDeps, 'db' | 'audit' | 'logger'>;
const ENROL_DUE_DAYS = 14;

/**
 * A counted failure (a click or data entered) enrols the person in the training module that matches the
 * template, due in two weeks; an open assignment of that module is left as it is. Best effort: a module the
 * organisation does not have, or a failure here, never loses the event.
 */
async function enrolAfterFailure(deps: TrackingDeps, r: Recipient): Promise<void> {
  const topic = campaignTemplate(r, r.language)?.template.trainingTopic;
  if (!topic) return;
  await deps.db
    .transaction()
    .execute((trx) => assignModule({ db: deps.db, audit: deps.audit }, trx, { orgId: r.org_id, userId: r.user_id, moduleKey: topic, dueAt: new Date(Date.now() + ENROL_DUE_DAYS * 86_400_000), source: 'simulation' }))
    .catch((err: unknown) => deps.logger.warn({ err, recipientId: r.id }, 'training enrolment after a simulation failed'));
}

export interface LandingView {
  from: MarkedPart[];
  subject: MarkedPart[];
  body: MarkedPart[];
  flags: Array<{ explanation: string }>;
  trainingTopic: string;
  templateName: string;
  /** The form shown before the teaching page (none: teach at once). */
  form: LandingForm;
  orgName: string;
  /** How the person got here: the message's link, the link inside its attachment, or opening the attachment in the console. */
  via: 'link' | 'attachment' | 'console';
}

/**
 * Why an event from this address, at this moment, counts for nothing (null: it counts). After the campaign's
 * end nothing counts; an address in one of the organisation's scanner ranges is its own scanner, named.
 */
async function discountOf(deps: TrackingDeps, r: Recipient, now: Date, ip: string | null | undefined): Promise<string | null> {
  if (ended(r, now)) return 'after_campaign_end';
  // Someone deactivated after delivery: kept, never counted or enrolled (their mailbox may outlive their account).
  if (r.user_status !== 'active') return 'deactivated';
  const range = scannerRangeOf(ip, (await readSimulationSettings(deps.db, r.org_id)).scannerRanges);
  return range ? `scanner_range:${range}` : null;
}

/** The landing page's view of the recipient's message, red flags marked. */
function viewOf(r: Recipient, publicUrl: string, token: string | null, via: LandingView['via']): LandingView | null {
  const template = campaignTemplate(r, r.language)?.template;
  if (!template) return null;
  // The console's teaching page has no raw token (only its hash is kept): the link is shown elided.
  const values = { agentName: r.agent_name, orgName: r.org_name, customerName: r.customer_name, link: `${publicUrl}/l/${token ?? '…'}`, senderDomain: r.sender_domain };
  const m = renderTemplate(template, values);
  const pick = (where: 'subject' | 'from' | 'body') => template.redFlags.map((f) => (f.in === where ? { quote: renderTemplate({ ...template, body: f.quote }, values).text } : { quote: '' }));
  return {
    from: markFlags(`${m.fromName} <${m.fromAddress}>`, pick('from')),
    subject: markFlags(m.subject, pick('subject')),
    body: markFlags(m.text, pick('body')),
    flags: template.redFlags.map((f) => ({ explanation: f.explanation })),
    trainingTopic: template.trainingTopic,
    templateName: template.name,
    form: r.landing_form,
    orgName: r.org_name,
    via,
  };
}

/**
 * A click on the tracking link, or on the link inside a mailbox attachment (recorded as `attachment_opened`).
 * Unknown, malformed or undelivered tokens: null (nothing recorded). After the campaign's end, for someone
 * deactivated since, from one of the organisation's scanner ranges, or within seconds of delivery (a scanner's
 * prefetch until the page's script says otherwise), the event is kept but discounted, with the reason.
 */
export async function landOnSimulation(deps: TrackingDeps, input: { token: string; publicUrl: string; now?: Date; ip?: string | null }): Promise<LandingView | null> {
  const now = input.now ?? new Date();
  const r = await findByToken(deps.db, input.token);
  if (!r) return null;
  const view = viewOf(r, input.publicUrl, r.via === 'link' ? input.token : null, r.via);
  if (!view) return null;
  const sinceDelivery = r.delivered_at ? (now.getTime() - new Date(r.delivered_at).getTime()) / 1000 : 0;
  const reason = (await discountOf(deps, r, now, input.ip)) ?? (sinceDelivery < SCANNER_WINDOW_SECONDS ? 'soon_after_delivery_no_script' : null);
  await append(deps.db, r, eventOf(r), reason);
  if (!reason) await enrolAfterFailure(deps, r);
  return view;
}

/**
 * The landing page's script ran: a person saw the page. Counts the click (or attachment open) a scanner
 * window discounted, unless one already counts or the campaign is over. False for a token that is not a
 * live recipient's.
 */
export async function confirmHumanView(deps: TrackingDeps, input: { token: string; now?: Date; ip?: string | null }): Promise<boolean> {
  const now = input.now ?? new Date();
  const r = await findByToken(deps.db, input.token);
  if (!r || ended(r, now)) return false;
  const type = eventOf(r);
  const events = await eventsOf(deps.db, r.id);
  if (!events.some((e) => e.type === type)) return false;
  // A scanner of the organisation's own that runs script is still a scanner: nothing is counted.
  if (await discountOf(deps, r, now, input.ip)) return true;
  if (events.some((e) => e.type === type && !e.discounted_reason)) return true;
  await append(deps.db, r, type, null);
  await enrolAfterFailure(deps, r);
  return true;
}

/**
 * The target's (or anyone's) opening of a simulated message's attachment through the console's download route,
 * inside that route's transaction (decision 0200). Undefined when the message is not a simulation. Counted
 * only for the target, in a signed-in session (an API token is an integration, not a person), once, while the
 * campaign runs; otherwise kept with the reason. Audited as `simulation.attachment_open`. The caller enrols
 * the person after its commit (`teachAfterAttachmentOpen`) and shows the teaching page instead of the file.
 */
export async function recordConsoleAttachmentOpen(
  trx: Transaction<Database>,
  deps: Pick<HelpdeskDeps, 'audit' | 'publicUrl'>,
  ctx: AgentContext,
  input: { messageId: string; ticketId: string; attachmentId: string; now?: Date },
): Promise<{ view: LandingView; counted: boolean; recipient: Recipient } | undefined> {
  const p = ctx.principal;
  const now = input.now ?? new Date();
  const r = await recipientQuery(trx).where('simulation_recipients.message_id', '=', input.messageId).where('simulation_recipients.org_id', '=', p.orgId).executeTakeFirst();
  if (!r) return undefined;
  const view = viewOf(r, deps.publicUrl, null, 'console');
  if (!view) return undefined;
  const reason = p.kind !== 'session' ? 'api_token' : p.userId !== r.user_id ? 'opened_by_someone_else' : ended(r, now) ? 'after_campaign_end' : null;
  const events = await eventsOf(trx, r.id);
  const already = events.some((e) => e.type === 'attachment_opened' && !e.discounted_reason);
  if (!(reason === null && already)) await append(trx, r, 'attachment_opened', reason);
  await deps.audit.append(trx, {
    ...actingFromAgent(ctx), action: 'simulation.attachment_open', object: { type: 'simulation_recipient', id: r.id }, result: 'success',
    details: { campaignId: r.campaign_id, ticketId: input.ticketId, attachmentId: input.attachmentId, discountedReason: reason },
  });
  return { view, counted: reason === null && !already, recipient: r };
}

/** After a counted console open has committed: enrolment in the template's module, as a click does. */
export async function teachAfterAttachmentOpen(deps: TrackingDeps, r: Recipient): Promise<void> {
  await enrolAfterFailure(deps, r);
}

/**
 * Something was typed into a landing form. What was typed is never read or stored: the caller passes the
 * token alone. Returns the teaching page's view (null for a token that is not a live recipient's).
 */
export async function recordDataEntered(deps: TrackingDeps, input: { token: string; publicUrl?: string; now?: Date; ip?: string | null }): Promise<LandingView | null> {
  const now = input.now ?? new Date();
  const r = await findByToken(deps.db, input.token);
  if (!r) return null;
  const view = viewOf(r, input.publicUrl ?? '', r.via === 'link' ? input.token : null, r.via);
  if (!view) return null;
  const events = await eventsOf(deps.db, r.id);
  if (events.some((e) => e.type === 'data_entered' && !e.discounted_reason)) return view;
  const reason = await discountOf(deps, r, now, input.ip);
  await append(deps.db, r, 'data_entered', reason);
  if (!reason) await enrolAfterFailure(deps, r);
  return view;
}

/**
 * "Report phishing" on a simulated message, inside the report's transaction:
 * the message is marked reported (hidden, as a real report would), the
 * recipient's log gets "reported" (counted when the target reported it), and
 * the audit trail says so. Undefined when the message is not a simulation.
 */
export async function reportSimulation(trx: Transaction<Database>, deps: HelpdeskDeps, ctx: AgentContext, input: { messageId: string; ticketId: string }): Promise<{ reportId: string; simulation: true } | undefined> {
  const p = ctx.principal;
  const r = await trx
    .selectFrom('simulation_recipients')
    .innerJoin('simulation_campaigns', 'simulation_campaigns.id', 'simulation_recipients.campaign_id')
    .where('simulation_recipients.message_id', '=', input.messageId)
    .where('simulation_recipients.org_id', '=', p.orgId)
    .select(['simulation_recipients.id', 'simulation_recipients.user_id', 'simulation_campaigns.id as campaign_id'])
    .executeTakeFirst();
  if (!r) return undefined;
  await trx.updateTable('messages').set({ reported_at: new Date() }).where('id', '=', input.messageId).execute();
  const eventId = randomUUID();
  await trx.insertInto('simulation_events').values({ id: eventId, org_id: p.orgId, recipient_id: r.id, type: 'reported', discounted_reason: r.user_id === p.userId ? null : 'reported_by_someone_else' }).execute();
  await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.report', object: { type: 'simulation_recipient', id: r.id }, result: 'success', details: { campaignId: r.campaign_id, ticketId: input.ticketId } });
  return { reportId: eventId, simulation: true };
}
