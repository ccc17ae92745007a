/**
 * Access review results as CSV (RFC 4180) and JSON. Pure: plain data in,
 * text out. Reviewers' comments and people's names end up in spreadsheets, so
 * every CSV cell that a spreadsheet would read as a formula is neutralised
 * (OWASP "CSV injection"): a leading = + - @, tab or carriage return gets a
 * single quote in front, which spreadsheets show as text.
 */
import type { CampaignView, ItemView } from './views.js';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A cell a spreadsheet will show as text, never evaluate. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One RFC 4180 field: quoted when it holds a comma, quote or line break; quotes doubled. */
export function csvField(value: string): string {
  const safe = neutralizeCell(value);
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows to RFC 4180 text: CRLF after every record, including the last. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export const CSV_COLUMNS = [
  'campaign_id', 'campaign_name', 'item_id', 'user_id', 'user_email', 'user_name', 'kind',
  'role_key', 'role_name', 'team_id', 'team_name', 'last_signin_at', 'dormant',
  'granted_permissions', 'unused_permissions', 'decision', 'decided_by', 'decided_at', 'comment', 'applied_at',
] as const;

const text = (v: string | null | undefined): string => v ?? '';

export function formatCampaignCsv(campaign: CampaignView, items: readonly ItemView[]): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const i of items) {
    rows.push([
      campaign.id, campaign.name, i.id, i.userId, text(i.userEmail), text(i.userName), i.kind,
      text(i.roleKey), text(i.roleName), text(i.teamId), text(i.teamName), text(i.lastSigninAt), i.dormant ? 'true' : 'false',
      i.grantedPermissions.join(' '), i.unusedPermissions.join(' '), text(i.decision), text(i.decidedBy), text(i.decidedAt), text(i.comment), text(i.appliedAt),
    ]);
  }
  return toCsv(rows);
}

export interface CampaignExport {
  format: 'trustdesk.access-review.v1';
  exportedAt: string;
  campaign: CampaignView;
  items: ItemView[];
}

/** JSON carries the values as they are: a JSON consumer does not evaluate formulas. */
export function formatCampaignJson(campaign: CampaignView, items: readonly ItemView[], exportedAt: Date): CampaignExport {
  return { format: 'trustdesk.access-review.v1', exportedAt: exportedAt.toISOString(), campaign, items: [...items] };
}
