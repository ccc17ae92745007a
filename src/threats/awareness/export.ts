/**
 * The dashboard's per-person and per-campaign tables as CSV, pure. Names, team and campaign names are typed by
 * people, so every cell a spreadsheet would evaluate (a leading = + - @, tab or carriage return) gets a leading
 * apostrophe: the same RFC 4180 writer and neutralisation as the access-review export.
 */
import { toCsv } from '../../identity/access-reviews/export.js';
import type { Dashboard } from './awareness.service.js';

const num = (v: number | null): string => (v === null ? '' : String(v));

export const PEOPLE_COLUMNS = [
  'user_id', 'name', 'teams', 'roles', 'score', 'simulations_delivered', 'clicked', 'attachment_opened', 'data_entered', 'reported', 'no_action',
  'training_assigned', 'training_passed', 'training_overdue',
] as const;

export const CAMPAIGN_COLUMNS = [
  'campaign_id', 'name', 'template', 'starts_at', 'status', 'delivered', 'clicked', 'attachment_opened', 'data_entered', 'reported', 'no_action',
  'click_rate', 'attachment_open_rate', 'data_entry_rate', 'report_rate', 'median_minutes_to_report',
] as const;

export function peopleCsv(d: Dashboard): string {
  return toCsv([[...PEOPLE_COLUMNS], ...d.people.map((p) => [
    p.userId, p.name, p.teams.join('; '), p.roles.join(' '), String(p.score), String(p.delivered), String(p.clicked), String(p.attachmentOpened), String(p.dataEntered), String(p.reported), String(p.noAction),
    String(p.trainingAssigned), String(p.trainingPassed), String(p.trainingOverdue),
  ])]);
}

export function campaignsCsv(d: Dashboard): string {
  return toCsv([[...CAMPAIGN_COLUMNS], ...d.campaigns.map((c) => [
    c.campaignId, c.name, c.template, c.startsAt, c.status, String(c.delivered), String(c.clicked), String(c.attachmentOpened), String(c.dataEntered), String(c.reported), String(c.noAction),
    num(c.clickRate), num(c.attachmentOpenRate), num(c.dataEntryRate), num(c.reportRate), num(c.medianMinutesToReport),
  ])]);
}
