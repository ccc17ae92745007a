/**
 * Simulation campaigns: creation (targets resolved to active staff, delivery
 * times staggered over the send window), delivery into the support queue through
 * the ingest pipeline real mail takes, and results. Decision 0192.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Principal } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import type { IngestHooks } from '../../helpdesk/ingest/hooks.js';
import { createThreatAnalyzer } from '../../helpdesk/ingest/hooks.js';
import { scanSensitiveData } from '../../helpdesk/ingest/scan.js';
import { createOrgContextLoader } from '../phishing-reports/org-context.js';
import { createLearnedLoader } from '../phishing-learning/store.js';
import { campaignTemplate, resolveForCampaign } from './custom-templates.js';
import { CUSTOMER_NAMES, renderTemplate } from './templates.js';
import { buildSimulatedMessage } from './message.js';
import { buildAttachment, drawInvoiceFacts } from './attachment.js';
import { readSimulationSettings } from './settings.js';
import { hashToken, recordEvent } from './events.js';
import type { DeliveryPath, LandingForm, SimulationBanner, SimulationEventType } from './schema.js';
import './schema.js';

export const MAX_RECIPIENTS = 1000;
const SYSTEM = { type: 'system' as const, id: 'simulations' };

export interface CampaignInput {
  name: string;
  templateId: string;
  mailboxId: string;
  senderDomain: string;
  /** Absent: the organisation's banner setting (decision 0197). */
  banner?: SimulationBanner | undefined;
  landingForm?: LandingForm | undefined;
  delivery?: DeliveryPath | undefined;
  startsAt?: string | undefined;
  windowMinutes: number;
  durationDays: number;
  targets: { roles?: string[] | undefined; teamIds?: string[] | undefined; userIds?: string[] | undefined };
}

/** The active staff a target selection names, in the caller's organisation only. */
async function resolveTargets(deps: HelpdeskDeps, orgId: string, targets: CampaignInput['targets']): Promise<string[]> {
  const ids = new Set<string>();
  const base = () => deps.db.selectFrom('users').where('users.org_id', '=', orgId).where('users.status', '=', 'active');
  if (targets.userIds?.length) for (const r of await base().where('users.id', 'in', targets.userIds).select('users.id').execute()) ids.add(r.id);
  if (targets.roles?.length) {
    const rows = await base().innerJoin('user_roles', 'user_roles.user_id', 'users.id').innerJoin('roles', 'roles.id', 'user_roles.role_id').where('roles.org_id', '=', orgId).where('roles.key', 'in', targets.roles).select('users.id').execute();
    for (const r of rows) ids.add(r.id);
  }
  if (targets.teamIds?.length) {
    const rows = await base().innerJoin('team_members', 'team_members.user_id', 'users.id').innerJoin('teams', 'teams.id', 'team_members.team_id').where('teams.org_id', '=', orgId).where('teams.id', 'in', targets.teamIds).select('users.id').execute();
    for (const r of rows) ids.add(r.id);
  }
  return [...ids];
}

export async function createCampaign(deps: HelpdeskDeps, ctx: AgentContext, input: CampaignInput, options: { relay?: RawSender | undefined } = {}): Promise<{ id: string; recipients: number }> {
  const p = ctx.principal;
  if (input.delivery === 'mailbox' && !options.relay) throw new AppError('validation_failed', 'Delivery to staff mailboxes needs an SMTP relay (TRUSTDESK_RELAY_URL); none is configured.', { extra: { errors: [{ field: 'delivery', message: 'no relay configured' }] } });
  const template = await resolveForCampaign(deps.db, p.orgId, input.templateId);
  if (!template) throw new AppError('validation_failed', 'No such template.');
  const banner = input.banner ?? (await readSimulationSettings(deps.db, p.orgId)).banner;
  const mailbox = await deps.db.selectFrom('mailboxes').where('id', '=', input.mailboxId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
  if (!mailbox) throw new AppError('validation_failed', 'No such mailbox.');
  const users = await resolveTargets(deps, p.orgId, input.targets);
  if (users.length === 0) throw new AppError('validation_failed', 'The targets name no active staff.');
  if (users.length > MAX_RECIPIENTS) throw new AppError('validation_failed', `At most ${MAX_RECIPIENTS} recipients per campaign.`);
  const startsAt = input.startsAt ? new Date(input.startsAt) : new Date();
  const endsAt = new Date(startsAt.getTime() + input.windowMinutes * 60_000 + input.durationDays * 86_400_000);
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('simulation_campaigns').values({
      id, org_id: p.orgId, name: input.name, template_id: input.templateId, mailbox_id: input.mailboxId, sender_domain: input.senderDomain.toLowerCase(),
      banner, starts_at: startsAt, window_minutes: input.windowMinutes, ends_at: endsAt, created_by: p.userId,
      template: template.stored ? JSON.stringify(template.stored) : null, landing_form: input.landingForm ?? 'none', delivery: input.delivery ?? 'queue',
    }).execute();
    const windowMs = input.windowMinutes * 60_000;
    await trx.insertInto('simulation_recipients').values(users.map((userId) => ({
      id: randomUUID(), org_id: p.orgId, campaign_id: id, user_id: userId,
      customer_name: CUSTOMER_NAMES[randomInt(CUSTOMER_NAMES.length)] as string,
      // Staggered: each recipient at its own moment in the window, so colleagues do not get it together.
      scheduled_at: new Date(startsAt.getTime() + (windowMs > 0 ? randomInt(windowMs) : 0)),
    }))).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.create', object: { type: 'simulation_campaign', id }, result: 'success', details: { templateId: input.templateId, recipients: users.length, banner, landingForm: input.landingForm ?? 'none', delivery: input.delivery ?? 'queue' } });
  });
  return { id, recipients: users.length };
}

export async function endCampaign(deps: HelpdeskDeps, ctx: AgentContext, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('simulation_campaigns').where('id', '=', id).where('org_id', '=', ctx.principal.orgId).select(['id', 'status']).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such campaign.');
    if (row.status === 'ended') throw new AppError('conflict', 'This campaign has already ended.');
    await trx.updateTable('simulation_campaigns').set({ status: 'ended', ends_at: new Date() }).where('id', '=', id).execute();
    await trx.updateTable('simulation_recipients').set({ status: 'skipped', skip_reason: 'campaign_ended' }).where('campaign_id', '=', id).where('status', '=', 'scheduled').execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.end', object: { type: 'simulation_campaign', id }, result: 'success' });
  });
}

export interface DeliveryOptions {
  blobs: BlobStore;
  maxAttachmentBytes: number;
  /** Where the landing page is served (no trailing slash). */
  publicUrl: string;
  /** The SMTP relay's raw sender, when one is configured: delivery to staff's own mailboxes. */
  relay?: RawSender | undefined;
}

export type RawSender = (envelope: { from: string; to: string[] }, raw: Buffer) => Promise<void>;

/**
 * The ingest hooks for a simulation. 'as_real': the organisation's real
 * analysis runs (banner as for real mail), but a "phishing" verdict is lowered
 * to "suspicious" so the message reaches the agent instead of quarantine, and
 * the sender's domain is never remembered as known. 'none': no analysis, no banner.
 * Security officers are never notified: nothing is quarantined.
 */
export function simulationHooks(deps: HelpdeskDeps, banner: SimulationBanner): IngestHooks {
  const analyzer = createThreatAnalyzer({
    loadOrgContext: createOrgContextLoader({ db: deps.db, keyring: deps.keyring }),
    loadLearned: createLearnedLoader({ db: deps.db, keyring: deps.keyring, logger: deps.logger }),
  });
  return {
    analyzeThreats: banner === 'none' ? async () => null : async (input) => {
      const a = await analyzer(input);
      return a && a.verdict === 'phishing' ? { ...a, verdict: 'suspicious' } : a;
    },
    scanSensitiveData,
    notify: async () => undefined,
  };
}

/**
 * Delivers every recipient whose moment has come (at most `limit`). Each is
 * claimed first (scheduled → delivering, so two workers never send one twice),
 * then checked: an agent deactivated since the campaign began, or a campaign
 * ended, is skipped with the reason. The token is drawn here; only its hash is kept.
 */
export async function deliverDueSimulations(deps: HelpdeskDeps, options: DeliveryOptions, input: { now?: Date; orgId?: string; campaignId?: string; limit?: number } = {}): Promise<{ delivered: number; skipped: number; failed: number }> {
  const now = input.now ?? new Date();
  let due = deps.db.selectFrom('simulation_recipients').where('status', '=', 'scheduled').where('scheduled_at', '<=', now).select('id').limit(input.limit ?? 50);
  if (input.orgId) due = due.where('org_id', '=', input.orgId);
  if (input.campaignId) due = due.where('campaign_id', '=', input.campaignId);
  const claimed = await deps.db
    .updateTable('simulation_recipients')
    .set({ status: 'delivering' })
    .where('id', 'in', due)
    .where('status', '=', 'scheduled')
    .returning(['id', 'org_id', 'campaign_id', 'user_id', 'customer_name'])
    .execute();
  const counts = { delivered: 0, skipped: 0, failed: 0 };
  for (const r of claimed) {
    const outcome = await deliverOne(deps, options, r, now).catch(async (err: unknown) => {
      deps.logger.warn({ err, recipientId: r.id }, 'simulation delivery failed');
      await deps.db.updateTable('simulation_recipients').set({ status: 'failed', skip_reason: 'delivery_failed' }).where('id', '=', r.id).execute();
      return 'failed' as const;
    });
    counts[outcome] += 1;
  }
  return counts;
}

async function deliverOne(deps: HelpdeskDeps, options: DeliveryOptions, r: { id: string; org_id: string; campaign_id: string; user_id: string; customer_name: string }, now: Date): Promise<'delivered' | 'skipped'> {
  const c = await deps.db.selectFrom('simulation_campaigns').where('id', '=', r.campaign_id).selectAll().executeTakeFirstOrThrow();
  const user = await deps.db.selectFrom('users').where('id', '=', r.user_id).where('org_id', '=', r.org_id).select(['name', 'email', 'status', 'language']).executeTakeFirst();
  const mailbox = await deps.db.selectFrom('mailboxes').where('id', '=', c.mailbox_id).select(['id', 'org_id', 'address', 'team_id']).executeTakeFirst();
  const settings = await readSimulationSettings(deps.db, r.org_id);
  // The person's own language when they chose one, else the organisation's (decision 0197, migration 0043).
  const chosen = campaignTemplate(c, user?.language ?? settings.language);
  const template = chosen?.template;
  const skip = c.status === 'ended' || new Date(c.ends_at) <= now ? 'campaign_ended' : user?.status !== 'active' ? 'deactivated' : !mailbox || !template ? 'mailbox_or_template_gone' : null;
  if (skip || !mailbox || !template || !user) {
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('simulation_recipients').set({ status: 'skipped', skip_reason: skip }).where('id', '=', r.id).execute();
      await recordEvent(trx, { orgId: r.org_id, recipientId: r.id, type: 'skipped', discountedReason: skip });
    });
    return 'skipped';
  }
  const org = await deps.db.selectFrom('organizations').where('id', '=', r.org_id).select('name').executeTakeFirstOrThrow();
  // No fixed shape: the length varies per recipient; only the hash is stored.
  const token = randomBytes(randomInt(18, 31)).toString('base64url');
  // A mailbox attachment's link has a token of its own, so an open through it is told from a click (decision 0200).
  const attachmentToken = template.attachment && c.delivery === 'mailbox' ? randomBytes(randomInt(18, 31)).toString('base64url') : null;
  await deps.db.updateTable('simulation_recipients').set({ token_hash: hashToken(token), attachment_token_hash: attachmentToken ? hashToken(attachmentToken) : null, language: chosen?.language ?? null }).where('id', '=', r.id).execute();
  const values = { agentName: user.name, orgName: org.name, customerName: r.customer_name, link: `${options.publicUrl}/l/${token}`, senderDomain: c.sender_domain };
  const rendered = renderTemplate(template, values);
  // The harmless file: a PDF whose opening the console's download route sees (no token inside), or for a
  // mailbox an HTML page whose one link carries the attachment token.
  const attachment = template.attachment
    ? buildAttachment(template.attachment, values, drawInvoiceFacts(now), attachmentToken ? `${options.publicUrl}/l/${attachmentToken}` : null)
    : undefined;
  if (c.delivery === 'mailbox') {
    // The agent's own mailbox, through the relay: the same ordinary-looking message, addressed to them.
    if (!options.relay) throw new Error('no relay configured for mailbox delivery');
    await options.relay({ from: rendered.fromAddress, to: [user.email] }, buildSimulatedMessage(rendered, { to: user.email, date: now, attachment }));
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('simulation_recipients').set({ status: 'delivered', delivered_at: new Date() }).where('id', '=', r.id).execute();
      await recordEvent(trx, { orgId: r.org_id, recipientId: r.id, type: 'delivered' });
      await deps.audit.append(trx, { orgId: r.org_id, actor: SYSTEM, action: 'simulation.deliver', object: { type: 'simulation_recipient', id: r.id }, result: 'success', details: { campaignId: c.id, delivery: 'mailbox' } });
    });
    return 'delivered';
  }
  const raw = buildSimulatedMessage(rendered, { to: mailbox.address, date: now, attachment });
  const route = { id: mailbox.id, orgId: mailbox.org_id, address: mailbox.address, teamId: mailbox.team_id };
  const [outcome] = await ingestInboundEmail(deps, { hooks: simulationHooks(deps, c.banner), blobs: options.blobs, maxAttachmentBytes: options.maxAttachmentBytes }, { raw, mailFrom: rendered.fromAddress, rcptTo: [mailbox.address] }, [route]);
  if (!outcome || !('ticketId' in outcome)) throw new Error(`simulated message not stored as a ticket (${outcome?.outcome ?? 'nothing'})`);
  await deps.db.transaction().execute(async (trx) => {
    // Assigned to the target, as a routed ticket would be.
    await trx.updateTable('tickets').set({ assignee_id: r.user_id }).where('id', '=', outcome.ticketId).where('org_id', '=', r.org_id).execute();
    await trx.updateTable('simulation_recipients').set({ status: 'delivered', ticket_id: outcome.ticketId, message_id: outcome.messageId, delivered_at: new Date() }).where('id', '=', r.id).execute();
    await recordEvent(trx, { orgId: r.org_id, recipientId: r.id, type: 'delivered' });
    await deps.audit.append(trx, { orgId: r.org_id, actor: SYSTEM, action: 'simulation.deliver', object: { type: 'simulation_recipient', id: r.id }, result: 'success', details: { campaignId: c.id, ticketId: outcome.ticketId } });
  });
  return 'delivered';
}

/** The simulation a ticket message belongs to, if any (in the caller's organisation). */
export async function simulationOfMessage(db: HelpdeskDeps['db'], orgId: string, messageId: string) {
  return db
    .selectFrom('simulation_recipients')
    .innerJoin('simulation_campaigns', 'simulation_campaigns.id', 'simulation_recipients.campaign_id')
    .where('simulation_recipients.message_id', '=', messageId)
    .where('simulation_recipients.org_id', '=', orgId)
    .select(['simulation_recipients.id', 'simulation_recipients.user_id', 'simulation_campaigns.template_id'])
    .executeTakeFirst();
}

/** "Opened": the target agent viewed the simulated ticket (once is enough; later views add nothing). */
export async function recordTicketViewed(db: HelpdeskDeps['db'], input: { orgId: string; ticketId: string; userId: string }): Promise<void> {
  const r = await db.selectFrom('simulation_recipients').where('ticket_id', '=', input.ticketId).where('org_id', '=', input.orgId).where('user_id', '=', input.userId).select('id').executeTakeFirst();
  if (!r) return;
  const seen = await db.selectFrom('simulation_events').where('recipient_id', '=', r.id).where('type', '=', 'opened').select('id').executeTakeFirst();
  if (!seen) await recordEvent(db, { orgId: input.orgId, recipientId: r.id, type: 'opened' });
}

/** Worst mistake first after a report: typing into a form, opening the attachment, clicking the link. */
export type Outcome = 'reported' | 'data_entered' | 'attachment_opened' | 'clicked' | 'opened' | 'no_action' | 'pending' | 'skipped';

export interface RecipientResult {
  recipientId: string;
  userId: string;
  userName: string;
  status: string;
  skipReason: string | null;
  outcome: Outcome;
  events: Array<{ type: SimulationEventType; at: string; discountedReason: string | null }>;
}

export async function campaignResults(deps: HelpdeskDeps, p: Principal, id: string) {
  const c = await deps.db.selectFrom('simulation_campaigns').where('id', '=', id).where('org_id', '=', p.orgId).selectAll().executeTakeFirst();
  if (!c) throw new AppError('not_found', 'No such campaign.');
  const rows = await deps.db.selectFrom('simulation_recipients').innerJoin('users', 'users.id', 'simulation_recipients.user_id').where('simulation_recipients.campaign_id', '=', id)
    .select(['simulation_recipients.id', 'simulation_recipients.user_id', 'users.name', 'simulation_recipients.status', 'simulation_recipients.skip_reason']).orderBy('users.name').execute();
  const events = rows.length ? await deps.db.selectFrom('simulation_events').where('recipient_id', 'in', rows.map((r) => r.id)).select(['recipient_id', 'type', 'created_at', 'discounted_reason']).orderBy('created_at').orderBy(sql`id`).execute() : [];
  const counts = { recipients: rows.length, delivered: 0, opened: 0, clicked: 0, dataEntered: 0, attachmentOpened: 0, reported: 0, noAction: 0, skipped: 0, discounted: 0 };
  const recipients: RecipientResult[] = rows.map((r) => {
    const mine = events.filter((e) => e.recipient_id === r.id);
    const counted = (t: SimulationEventType) => mine.some((e) => e.type === t && !e.discounted_reason);
    const outcome: Outcome = r.status === 'skipped' || r.status === 'failed' ? 'skipped' : r.status !== 'delivered' ? 'pending'
      : counted('reported') ? 'reported' : counted('data_entered') ? 'data_entered' : counted('attachment_opened') ? 'attachment_opened' : counted('clicked') ? 'clicked' : counted('opened') ? 'opened' : 'no_action';
    if (r.status === 'delivered') counts.delivered += 1;
    if (counted('opened')) counts.opened += 1;
    if (counted('clicked')) counts.clicked += 1;
    if (counted('data_entered')) counts.dataEntered += 1;
    if (counted('attachment_opened')) counts.attachmentOpened += 1;
    if (counted('reported')) counts.reported += 1;
    if (outcome === 'no_action' || outcome === 'opened') counts.noAction += 1;
    if (outcome === 'skipped') counts.skipped += 1;
    counts.discounted += mine.filter((e) => e.discounted_reason && e.type !== 'skipped').length;
    return { recipientId: r.id, userId: r.user_id, userName: r.name, status: r.status, skipReason: r.skip_reason, outcome, events: mine.map((e) => ({ type: e.type, at: new Date(e.created_at).toISOString(), discountedReason: e.discounted_reason })) };
  });
  return { campaign: presentCampaign(c), counts, recipients };
}

export function presentCampaign(c: { id: string; name: string; template_id: string; template: { name: string } | null; mailbox_id: string; sender_domain: string; banner: SimulationBanner; landing_form: LandingForm; delivery: DeliveryPath; status: string; starts_at: Date | string; window_minutes: number; ends_at: Date | string; created_at: Date | string }) {
  return {
    id: c.id, name: c.name, templateId: c.template_id, templateName: c.template?.name ?? campaignTemplate({ template_id: c.template_id, template: null }, null)?.template.name ?? c.template_id,
    mailboxId: c.mailbox_id, senderDomain: c.sender_domain, banner: c.banner, landingForm: c.landing_form, delivery: c.delivery, status: c.status as 'scheduled' | 'ended',
    startsAt: new Date(c.starts_at).toISOString(), windowMinutes: c.window_minutes, endsAt: new Date(c.ends_at).toISOString(), createdAt: new Date(c.created_at).toISOString(),
  };
}

export async function listCampaigns(deps: HelpdeskDeps, p: Principal) {
  const rows = await deps.db.selectFrom('simulation_campaigns').where('org_id', '=', p.orgId).selectAll().orderBy('created_at', 'desc').limit(200).execute();
  return rows.map(presentCampaign);
}
