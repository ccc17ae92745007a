/**
 * Contract of the phishing simulation routes (src/threats/simulations/simulations.routes.ts):
 * templates with preview, campaigns, results, and the public landing endpoints.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid } from './common.js';

export const SIMULATION_BANNERS = ['as_real', 'none'] as const;
export const LANDING_FORMS = ['none', 'credentials', 'payment'] as const;
export const DELIVERY_PATHS = ['queue', 'mailbox'] as const;
/** Bounds of a security officer's own template (decision 0197); the service checks the rest (flags found, {{link}}). */
export const TEMPLATE_BOUNDS = { subject: 200, fromName: 100, localPart: 64, body: 8000, flags: 12, flagText: 400, versions: 10, perOrg: 50 } as const;
const LanguageTag = Type.String({ minLength: 2, maxLength: 35, pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$' });

/**
 * Decision 0223: a version's own harmless attachment. The service refuses (problem+json) a file name with a path
 * separator, a line break, a quote, "..", or an extension of its own, and a text longer than one page.
 */
export const AttachmentBody = Type.Object({
  /** Without extension; letters, digits, spaces and . _ ( ) -; may carry {{document.number}}. */
  filename: Type.String({ minLength: 1, maxLength: 100 }),
  title: Type.String({ minLength: 1, maxLength: 120 }),
  /** Plain text with the message's variables (not {{link}}) and {{document.number|date|due|amount}}. */
  text: Type.String({ maxLength: 2000 }),
  /** The mailbox variant's one button. */
  button: Type.String({ minLength: 1, maxLength: 40 }),
}, { additionalProperties: false });
export const AttachmentView = Type.Object({ filename: Type.String(), title: Type.String(), text: Type.String(), button: Type.String() });
/** The attachment as placed for the sample agent: the name with .pdf, the heading, the page's lines. */
export const AttachmentPreview = Type.Object({ filename: Type.String(), title: Type.String(), lines: Type.Array(Type.String()), button: Type.String() });

export const RedFlagView = Type.Object({ in: Literals(['subject', 'from', 'body'] as const), quote: Type.String(), explanation: Type.String() });
export const TemplateSummary = Type.Object({
  id: Type.String(), version: Type.Integer(), name: Type.String(), scenario: Type.String(), difficulty: Type.Integer({ minimum: 1, maximum: 3 }), trainingTopic: Type.String(),
  /** False: shipped with Trustdesk (read-only, can be copied); true: the organisation's own. */
  custom: Type.Boolean(),
  languages: Type.Array(Type.String()),
});
export const TemplatePreview = Type.Object({
  template: TemplateSummary,
  fromName: Type.String(), fromAddress: Type.String(), subject: Type.String(), text: Type.String(),
  redFlags: Type.Array(RedFlagView),
  language: Type.String(),
  /** The attachment as the sample agent would get it (null: none). */
  attachment: Type.Optional(Nullable(AttachmentPreview)),
});

const RedFlagInput = Type.Object({
  in: Literals(['subject', 'from', 'body'] as const),
  quote: Type.String({ minLength: 1, maxLength: TEMPLATE_BOUNDS.flagText }),
  explanation: Type.String({ minLength: 1, maxLength: TEMPLATE_BOUNDS.flagText }),
}, { additionalProperties: false });

export const TemplateVersionBody = Type.Object({
  language: LanguageTag,
  fromName: Type.String({ minLength: 1, maxLength: TEMPLATE_BOUNDS.fromName }),
  fromLocalPart: Type.String({ minLength: 1, maxLength: TEMPLATE_BOUNDS.localPart }),
  subject: Type.String({ minLength: 1, maxLength: TEMPLATE_BOUNDS.subject }),
  /** Plain text with {{agent.name}}, {{organisation.name}}, {{customer.name}}, {{sender.domain}} and (required) {{link}}. */
  body: Type.String({ minLength: 1, maxLength: TEMPLATE_BOUNDS.body }),
  /** Each marks a span of the subject, sender or body by quoting it exactly. */
  redFlags: Type.Array(RedFlagInput, { minItems: 2, maxItems: TEMPLATE_BOUNDS.flags }),
  /** A harmless file that reports when opened; the body then needs no {{link}}. Absent or null: none. */
  attachment: Type.Optional(Nullable(AttachmentBody)),
}, { additionalProperties: false });

export const TemplateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scenario: Type.String({ maxLength: 1000 }),
  difficulty: Type.Integer({ minimum: 1, maximum: 3 }),
  /** A training module key: a counted click or data entry enrols the person in it. */
  trainingTopic: Type.String({ minLength: 1, maxLength: 100 }),
  defaultLanguage: LanguageTag,
  versions: Type.Array(TemplateVersionBody, { minItems: 1, maxItems: TEMPLATE_BOUNDS.versions }),
}, { additionalProperties: false });

export const OrgTemplate = Type.Object({
  id: Uuid, version: Type.Integer(), name: Type.String(), scenario: Type.String(), difficulty: Type.Integer(), trainingTopic: Type.String(), defaultLanguage: Type.String(),
  versions: Type.Array(Type.Object({
    language: Type.String(), fromName: Type.String(), fromLocalPart: Type.String(), subject: Type.String(), body: Type.String(),
    redFlags: Type.Array(RedFlagView),
    attachment: Type.Optional(Nullable(AttachmentView)),
  })),
  updatedAt: Timestamp,
});

export const DraftPreviewBody = Type.Object({ template: TemplateBody, language: Type.Optional(LanguageTag) }, { additionalProperties: false });
export const DraftPreview = Type.Object({
  fromName: Type.String(), fromAddress: Type.String(), subject: Type.String(), text: Type.String(), redFlags: Type.Array(RedFlagView), language: Type.String(),
  attachment: Type.Optional(Nullable(AttachmentPreview)),
  /** What keeps it from being saved (empty: valid). */
  problems: Type.Array(Type.String()),
});

export const SimulationSettingsBody = Type.Object({
  /** Addresses or CIDR ranges of the organisation's own mail scanners: their clicks are discounted. */
  scannerRanges: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 }),
  /** The phishing banner a campaign gets unless it chooses otherwise. */
  banner: Literals(SIMULATION_BANNERS),
  /** Which language version of a template staff are sent (a template without it sends its default). */
  language: LanguageTag,
}, { additionalProperties: false });

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Hostname = Type.String({ minLength: 3, maxLength: 253, pattern: '^(?=.{3,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$' });
const IdList = Type.Array(Uuid, { maxItems: 500 });

export const CreateCampaignBody = Type.Object({
  name: Name,
  templateId: Type.String({ minLength: 1, maxLength: 100 }),
  mailboxId: Uuid,
  /** The domain the simulated sender writes from: one the organisation controls (its acknowledgements land there). */
  senderDomain: Hostname,
  /** Absent: the organisation's banner setting. */
  banner: Type.Optional(Literals(SIMULATION_BANNERS)),
  /** A realistic credential or payment form before the teaching page (only THAT something was typed is recorded). */
  landingForm: Type.Optional(Literals(LANDING_FORMS)),
  /** 'queue' (default): an inbound ticket; 'mailbox': the agent's own mailbox through the relay. */
  delivery: Type.Optional(Literals(DELIVERY_PATHS)),
  startsAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Deliveries are spread at random over this many minutes from the start (0: all at once; up to 14 days). */
  windowMinutes: Type.Integer({ minimum: 0, maximum: 20160 }),
  /** How long after the window clicks and reports still count. */
  durationDays: Type.Integer({ minimum: 1, maximum: 60 }),
  targets: Type.Object({
    roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 })),
    teamIds: Type.Optional(IdList),
    userIds: Type.Optional(IdList),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export const Campaign = Type.Object({
  id: Uuid, name: Type.String(), templateId: Type.String(), templateName: Type.String(), mailboxId: Uuid, senderDomain: Type.String(), banner: Literals(SIMULATION_BANNERS),
  landingForm: Literals(LANDING_FORMS), delivery: Literals(DELIVERY_PATHS),
  status: Literals(['scheduled', 'ended'] as const), startsAt: Timestamp, windowMinutes: Type.Integer(), endsAt: Timestamp, createdAt: Timestamp,
});

export const SimulationEvent = Type.Object({
  type: Literals(['delivered', 'opened', 'clicked', 'data_entered', 'attachment_opened', 'reported', 'skipped'] as const),
  at: Timestamp,
  /** Why the event counts for nothing (a scanner's prefetch, a click after the end), null when it counts. */
  discountedReason: Nullable(Type.String()),
});

export const CampaignResults = Type.Object({
  campaign: Campaign,
  counts: Type.Object({
    recipients: Type.Integer(), delivered: Type.Integer(), opened: Type.Integer(), clicked: Type.Integer(), dataEntered: Type.Integer(), attachmentOpened: Type.Integer(),
    reported: Type.Integer(), noAction: Type.Integer(), skipped: Type.Integer(), discounted: Type.Integer(),
  }),
  recipients: Type.Array(Type.Object({
    recipientId: Uuid, userId: Uuid, userName: Type.String(), status: Type.String(), skipReason: Nullable(Type.String()),
    outcome: Literals(['reported', 'data_entered', 'attachment_opened', 'clicked', 'opened', 'no_action', 'pending', 'skipped'] as const),
    events: Type.Array(SimulationEvent),
  })),
});

const Ok = Type.Object({ ok: Type.Literal(true) });
export const LandingTokenBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** A person's own simulation language (null: the organisation's), with what they may choose from. */
export const MyLanguage = Type.Object({
  language: Nullable(LanguageTag),
  organizationLanguage: LanguageTag,
  /** Languages the organisation's templates are written in (the shipped ones in English), for the picker. */
  available: Type.Array(LanguageTag),
});
export const MyLanguageBody = Type.Object({ language: Nullable(LanguageTag) }, { additionalProperties: false });

export const simulationEndpoints = {
  myLanguage: { method: 'GET', url: '/api/account/language', response: MyLanguage },
  saveMyLanguage: { method: 'PUT', url: '/api/account/language', body: MyLanguageBody, response: MyLanguage },
  templates: { method: 'GET', url: '/api/simulations/templates', response: Type.Object({ items: Type.Array(TemplateSummary) }) },
  preview: { method: 'GET', url: '/api/simulations/templates/:id/preview', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }), querystring: Type.Object({ language: Type.Optional(LanguageTag) }), response: TemplatePreview },
  copy: { method: 'POST', url: '/api/simulations/templates/:id/copy', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }), response: OrgTemplate, status: 201 },
  draftPreview: { method: 'POST', url: '/api/simulations/templates/preview', body: DraftPreviewBody, response: DraftPreview },
  orgTemplates: { method: 'GET', url: '/api/simulations/custom-templates', response: Type.Object({ items: Type.Array(OrgTemplate) }) },
  orgTemplate: { method: 'GET', url: '/api/simulations/custom-templates/:id', params: IdParams, response: OrgTemplate },
  createTemplate: { method: 'POST', url: '/api/simulations/custom-templates', body: TemplateBody, response: OrgTemplate, status: 201 },
  updateTemplate: { method: 'PUT', url: '/api/simulations/custom-templates/:id', params: IdParams, body: TemplateBody, response: OrgTemplate },
  deleteTemplate: { method: 'DELETE', url: '/api/simulations/custom-templates/:id', params: IdParams, response: Ok },
  settings: { method: 'GET', url: '/api/simulations/settings', response: SimulationSettingsBody },
  saveSettings: { method: 'PUT', url: '/api/simulations/settings', body: SimulationSettingsBody, response: SimulationSettingsBody },
  list: { method: 'GET', url: '/api/simulations/campaigns', response: Type.Object({ items: Type.Array(Campaign) }) },
  create: { method: 'POST', url: '/api/simulations/campaigns', body: CreateCampaignBody, response: Type.Object({ id: Uuid, recipients: Type.Integer() }), status: 201 },
  results: { method: 'GET', url: '/api/simulations/campaigns/:id', params: IdParams, response: CampaignResults },
  deliver: { method: 'POST', url: '/api/simulations/campaigns/:id/deliver', params: IdParams, response: Type.Object({ delivered: Type.Integer(), skipped: Type.Integer(), failed: Type.Integer() }) },
  end: { method: 'POST', url: '/api/simulations/campaigns/:id/end', params: IdParams, response: Ok },
  confirm: { method: 'POST', url: '/api/simulations/landing/seen', body: LandingTokenBody, response: Ok },
  entered: { method: 'POST', url: '/api/simulations/landing/entered', body: LandingTokenBody, response: Ok },
} as const;
