/**
 * Contract of the access-review routes (src/identity/access-reviews/access-reviews.routes.ts):
 * campaigns, their items, decisions and the export (decisions 0060–0062).
 * The routes validate and serialise with these shapes, the service and the
 * export derive their types from them: nothing outside them is ever sent.
 */
import { Type, type Static } from 'typebox';
import type { Endpoint } from './common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ format: 'uuid' });
const Time = Type.String({ format: 'date-time' });

export const CampaignAbilitiesSchema = Type.Object({
  decide: Type.Boolean(),
  close: Type.Boolean(),
  export: Type.Boolean(),
});

export const CampaignSchema = Type.Object({
  id: Id,
  name: Type.String(),
  teamId: Nullable(Id),
  teamName: Nullable(Type.String()),
  createdBy: Id,
  reviewerId: Nullable(Id),
  deadline: Time,
  revokeUndecided: Type.Boolean(),
  dormantDays: Type.Integer(),
  unusedDays: Type.Integer(),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  createdAt: Time,
  closedAt: Nullable(Time),
  closeReason: Nullable(Type.Union([Type.Literal('manual'), Type.Literal('deadline')])),
  counts: Type.Object({ total: Type.Integer(), certified: Type.Integer(), revoked: Type.Integer(), undecided: Type.Integer() }),
});

export const ItemSchema = Type.Object({
  id: Id,
  userId: Id,
  userEmail: Nullable(Type.String()),
  userName: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('role'), Type.Literal('team')]),
  roleId: Nullable(Id),
  roleKey: Nullable(Type.String()),
  roleName: Nullable(Type.String()),
  teamId: Nullable(Id),
  teamName: Nullable(Type.String()),
  lastSigninAt: Nullable(Time),
  dormant: Type.Boolean(),
  /** Deprovisioned over SCIM since the previous review (decision 0208). */
  deprovisioned: Type.Boolean(),
  grantedPermissions: Type.Array(Type.String()),
  unusedPermissions: Type.Array(Type.String()),
  decision: Nullable(Type.Union([Type.Literal('certify'), Type.Literal('revoke')])),
  decidedBy: Nullable(Id),
  decidedAt: Nullable(Time),
  comment: Nullable(Type.String()),
  appliedAt: Nullable(Time),
});

export const ItemWithAbilitiesSchema = Type.Object({ ...ItemSchema.properties, abilities: Type.Object({ decide: Type.Boolean() }) });

export const CampaignWithAbilitiesSchema = Type.Object({ ...CampaignSchema.properties, abilities: CampaignAbilitiesSchema });

export const CampaignDetailSchema = Type.Object({
  campaign: CampaignWithAbilitiesSchema,
  items: Type.Array(ItemWithAbilitiesSchema),
});

export const CampaignListSchema = Type.Object({ campaigns: Type.Array(CampaignWithAbilitiesSchema) });

export const CreateCampaignSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** Omitted or null: all staff of the organisation. */
  teamId: Type.Optional(Nullable(Id)),
  /** Omitted: the person starting the campaign. */
  reviewerId: Type.Optional(Id),
  deadline: Time,
  revokeUndecided: Type.Optional(Type.Boolean()),
  dormantDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  unusedDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
}, { additionalProperties: false });

export const DecideItemSchema = Type.Object({
  decision: Type.Union([Type.Literal('certify'), Type.Literal('revoke')]),
  comment: Type.String({ minLength: 1, maxLength: 2000 }),
}, { additionalProperties: false });

export const ExportSchema = Type.Object({
  format: Type.Literal('trustdesk.access-review.v1'),
  exportedAt: Time,
  campaign: CampaignSchema,
  items: Type.Array(ItemSchema),
});

export const CampaignListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
}, { additionalProperties: false });
export const CampaignParams = Type.Object({ id: Id });
export const ItemParams = Type.Object({ id: Id, itemId: Id });
export const ExportQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')])) }, { additionalProperties: false });

export const accessReviewEndpoints = {
  list: { method: 'GET', url: '/api/access-reviews', querystring: CampaignListQuery, response: CampaignListSchema },
  start: { method: 'POST', url: '/api/access-reviews', body: CreateCampaignSchema, response: CampaignDetailSchema, status: 201 },
  read: { method: 'GET', url: '/api/access-reviews/:id', params: CampaignParams, response: CampaignDetailSchema },
  decide: { method: 'POST', url: '/api/access-reviews/:id/items/:itemId/decision', params: ItemParams, body: DecideItemSchema, response: Type.Object({ item: ItemSchema }) },
  close: { method: 'POST', url: '/api/access-reviews/:id/close', params: CampaignParams, response: Type.Object({ campaign: CampaignWithAbilitiesSchema }) },
  /** JSON with `?format=json`; CSV (the default) is a download, opened as a link rather than through `call`. */
  export: { method: 'GET', url: '/api/access-reviews/:id/export', params: CampaignParams, querystring: ExportQuery, response: ExportSchema },
} as const satisfies Record<string, Endpoint>;

export type CampaignView = Static<typeof CampaignSchema>;
export type ItemView = Static<typeof ItemSchema>;
export type CampaignAbilities = Static<typeof CampaignAbilitiesSchema>;
export type CreateCampaignInput = Static<typeof CreateCampaignSchema>;
export type DecideItemInput = Static<typeof DecideItemSchema>;
