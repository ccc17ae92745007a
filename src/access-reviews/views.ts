/**
 * The shapes access reviews show to callers, declared once as TypeBox schemas:
 * the routes validate and serialise with them, the service and the export
 * derive their types from them (nothing outside these shapes is ever sent).
 */
import { Type, type Static } from '@fastify/type-provider-typebox';

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

export type CampaignView = Static<typeof CampaignSchema>;
export type ItemView = Static<typeof ItemSchema>;
export type CampaignAbilities = Static<typeof CampaignAbilitiesSchema>;
export type CreateCampaignInput = Static<typeof CreateCampaignSchema>;
export type DecideItemInput = Static<typeof DecideItemSchema>;
