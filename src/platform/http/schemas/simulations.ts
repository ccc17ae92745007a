/**
 * Contract of the phishing simulation routes (src/threats/simulations/simulations.routes.ts):
 * templates with preview, campaigns, results, and the public landing endpoints.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid } from './common.js';

export const SIMULATION_BANNERS = ['as_real', 'none'] as const;

export const RedFlagView = Type.Object({ in: Literals(['subject', 'from', 'body'] as const), quote: Type.String(), explanation: Type.String() });
export const TemplateSummary = Type.Object({
  id: Type.String(), version: Type.Integer(), name: Type.String(), scenario: Type.String(), difficulty: Type.Integer({ minimum: 1, maximum: 3 }), trainingTopic: Type.String(),
});
export const TemplatePreview = Type.Object({
  template: TemplateSummary,
  fromName: Type.String(), fromAddress: Type.String(), subject: Type.String(), text: Type.String(),
  redFlags: Type.Array(RedFlagView),
});

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Hostname = Type.String({ minLength: 3, maxLength: 253, pattern: '^(?=.{3,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$' });
const IdList = Type.Array(Uuid, { maxItems: 500 });

export const CreateCampaignBody = Type.Object({
  name: Name,
  templateId: Type.String({ minLength: 1, maxLength: 100 }),
  mailboxId: Uuid,
  /** The domain the simulated sender writes from: one the organisation controls (its acknowledgements land there). */
  senderDomain: Hostname,
  banner: Literals(SIMULATION_BANNERS),
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
  id: Uuid, name: Type.String(), templateId: Type.String(), mailboxId: Uuid, senderDomain: Type.String(), banner: Literals(SIMULATION_BANNERS),
  status: Literals(['scheduled', 'ended'] as const), startsAt: Timestamp, windowMinutes: Type.Integer(), endsAt: Timestamp, createdAt: Timestamp,
});

export const SimulationEvent = Type.Object({
  type: Literals(['delivered', 'opened', 'clicked', 'data_entered', 'reported', 'skipped'] as const),
  at: Timestamp,
  /** Why the event counts for nothing (a scanner's prefetch, a click after the end), null when it counts. */
  discountedReason: Nullable(Type.String()),
});

export const CampaignResults = Type.Object({
  campaign: Campaign,
  counts: Type.Object({
    recipients: Type.Integer(), delivered: Type.Integer(), opened: Type.Integer(), clicked: Type.Integer(), dataEntered: Type.Integer(),
    reported: Type.Integer(), noAction: Type.Integer(), skipped: Type.Integer(), discounted: Type.Integer(),
  }),
  recipients: Type.Array(Type.Object({
    recipientId: Uuid, userId: Uuid, userName: Type.String(), status: Type.String(), skipReason: Nullable(Type.String()),
    outcome: Literals(['reported', 'data_entered', 'clicked', 'opened', 'no_action', 'pending', 'skipped'] as const),
    events: Type.Array(SimulationEvent),
  })),
});

const Ok = Type.Object({ ok: Type.Literal(true) });
export const LandingTokenBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const simulationEndpoints = {
  templates: { method: 'GET', url: '/api/simulations/templates', response: Type.Object({ items: Type.Array(TemplateSummary) }) },
  preview: { method: 'GET', url: '/api/simulations/templates/:id/preview', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }), response: TemplatePreview },
  list: { method: 'GET', url: '/api/simulations/campaigns', response: Type.Object({ items: Type.Array(Campaign) }) },
  create: { method: 'POST', url: '/api/simulations/campaigns', body: CreateCampaignBody, response: Type.Object({ id: Uuid, recipients: Type.Integer() }), status: 201 },
  results: { method: 'GET', url: '/api/simulations/campaigns/:id', params: IdParams, response: CampaignResults },
  deliver: { method: 'POST', url: '/api/simulations/campaigns/:id/deliver', params: IdParams, response: Type.Object({ delivered: Type.Integer(), skipped: Type.Integer(), failed: Type.Integer() }) },
  end: { method: 'POST', url: '/api/simulations/campaigns/:id/end', params: IdParams, response: Ok },
  confirm: { method: 'POST', url: '/api/simulations/landing/seen', body: LandingTokenBody, response: Ok },
  entered: { method: 'POST', url: '/api/simulations/landing/entered', body: LandingTokenBody, response: Ok },
} as const;
