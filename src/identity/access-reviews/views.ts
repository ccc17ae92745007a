/**
 * The shapes access reviews show to callers. They live in the shared contract
 * module src/platform/http/schemas/access-reviews.ts (the web app imports the same
 * objects); re-exported here for the service, decisions and export.
 */
export {
  CampaignAbilitiesSchema, CampaignDetailSchema, CampaignListSchema, CampaignSchema, CampaignWithAbilitiesSchema,
  CreateCampaignSchema, DecideItemSchema, ExportSchema, ItemSchema, ItemWithAbilitiesSchema,
  type CampaignAbilities, type CampaignView, type CreateCampaignInput, type DecideItemInput, type ItemView,
} from '../../platform/http/schemas/access-reviews.js';
