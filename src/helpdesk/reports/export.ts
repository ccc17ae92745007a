/**
 * Reports as CSV (pure): one file per report, RFC 4180, cells a spreadsheet would read as a
 * formula neutralised (the same writer as access-review exports). Team and channel names are
 * the only free text, and they are staff-written, but a formula in a name must not run.
 */
import { toCsv } from '../../identity/access-reviews/export.js';
import type { ReportDashboardView, ReportName } from '../../platform/http/schemas/reports.js';

const num = (v: number | null): string => (v === null ? '' : String(v));

export function reportCsv(report: ReportName, d: Omit<ReportDashboardView, 'filters'>): string {
  switch (report) {
    case 'volume':
      return toCsv([['day', 'created', 'solved', 'backlog'], ...d.volume.map((r) => [r.day, num(r.created), num(r.solved), num(r.backlog)])]);
    case 'times':
      return toCsv([
        ['measure', 'tickets', 'p50_minutes', 'p90_minutes'],
        ['first_response', num(d.times.firstResponse.count), num(d.times.firstResponse.p50), num(d.times.firstResponse.p90)],
        ['resolution', num(d.times.resolution.count), num(d.times.resolution.p50), num(d.times.resolution.p90)],
      ]);
    case 'sla':
      return toCsv([
        ['target', 'met', 'breached', 'pending', 'attainment_percent'],
        ['first_response', num(d.sla.firstResponse.met), num(d.sla.firstResponse.breached), num(d.sla.firstResponse.pending), num(d.sla.firstResponse.attainment)],
        ['resolution', num(d.sla.resolution.met), num(d.sla.resolution.breached), num(d.sla.resolution.pending), num(d.sla.resolution.attainment)],
      ]);
    case 'csat':
      return toCsv([['day', 'good', 'bad'], ...d.csat.days.map((r) => [r.day, num(r.good), num(r.bad)]), ['total', num(d.csat.good), num(d.csat.bad)]]);
    case 'channels':
      return toCsv([['channel', 'tickets'], ...d.channels.map((r) => [r.channel, num(r.count)])]);
    case 'threats':
      return toCsv([
        ['kind', 'value', 'count'],
        ...d.threats.verdicts.map((r) => ['verdict', r.verdict, num(r.count)]),
        ...(d.threats.quarantined ?? []).map((r) => ['quarantined', r.reason, num(r.count)]),
      ]);
  }
}
