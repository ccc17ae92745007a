/**
 * The security posture of every organisation, for the provider who looks after
 * them (issue 19: "which client is at risk"). Figures and counts only: no
 * names, addresses or contents of any customer or staff member, so whoever may
 * see posture may see it for every organisation without reading client data.
 *
 * Each figure is read from the records the features already keep, the way
 * awareness scores are (decision 0196), so it never disagrees with them:
 * - staff second factors: active people (service accounts aside) with a
 *   confirmed authenticator app or a passkey, and those without a passkey;
 * - open incidents; phishing quarantine in the last 30 days and still held;
 * - simulations in the last 90 days: delivered, clicked (a click, data entered
 *   or an attachment opened) and reported, discounted events left out (0192);
 * - training assignments: passed, outstanding and overdue;
 * - access reviews past their deadline and still open;
 * - the last verification of the organisation's audit trail and its result;
 * - the installation's last backup (`trustdesk backup create` records one).
 * `attention` lists, in words, what a provider should look at first.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

export interface OrganizationPosture {
  id: string;
  slug: string;
  name: string;
  status: string;
  staff: number;
  staffWithSecondFactor: number;
  staffWithoutPasskey: number;
  openIncidents: number;
  quarantined30d: number;
  quarantineHeld: number;
  simulations90d: { delivered: number; clicked: number; reported: number; clickRate: number | null; reportRate: number | null };
  training: { assignments: number; passed: number; overdue: number; completionRate: number | null };
  overdueAccessReviews: number;
  auditVerification: { at: string; ok: boolean } | null;
  lastBackupAt: string | null;
  attention: string[];
}

const DAY = 86_400_000;
/** How stale a check may be before the overview says so. */
export const POSTURE_LIMITS = { auditVerifyDays: 30, backupDays: 7 } as const;

type Counts = Map<string, Record<string, number>>;

async function grouped(db: Db, query: ReturnType<typeof sql<Record<string, unknown>>>): Promise<Counts> {
  const { rows } = await query.execute(db);
  const out: Counts = new Map();
  for (const r of rows) {
    const { org_id: orgId, ...rest } = r as { org_id: string } & Record<string, unknown>;
    out.set(orgId, Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, Number(v ?? 0)])));
  }
  return out;
}

const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 1000 : null);

/** Posture of every organisation not deleted, oldest first. */
export async function organizationPostures(db: Db, now = new Date()): Promise<OrganizationPosture[]> {
  const orgs = await db.selectFrom('organizations').where('status', '<>', 'deleted').select(['id', 'slug', 'name', 'status']).orderBy('created_at').orderBy('id').execute();
  const since30 = new Date(now.getTime() - 30 * DAY);
  const since90 = new Date(now.getTime() - 90 * DAY);
  const [staff, incidents, quarantine, simulations, training, reviews, verifications, backup] = await Promise.all([
    grouped(db, sql`
      SELECT u.org_id,
             count(*) AS staff,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)
                               OR EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.user_id = u.id)) AS with_factor,
             count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.user_id = u.id)) AS without_passkey
        FROM users u
       WHERE u.status = 'active' AND NOT u.service_account
       GROUP BY u.org_id`),
    grouped(db, sql`SELECT org_id, count(*) AS open FROM incidents WHERE status <> 'resolved' GROUP BY org_id`),
    grouped(db, sql`
      SELECT org_id, count(*) FILTER (WHERE created_at >= ${since30}) AS recent, count(*) FILTER (WHERE status = 'held') AS held
        FROM quarantine GROUP BY org_id`),
    grouped(db, sql`
      SELECT r.org_id,
             count(*) AS delivered,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM simulation_events e WHERE e.recipient_id = r.id AND e.discounted_reason IS NULL
                                             AND e.type IN ('clicked', 'data_entered', 'attachment_opened'))) AS clicked,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM simulation_events e WHERE e.recipient_id = r.id AND e.discounted_reason IS NULL
                                             AND e.type = 'reported')) AS reported
        FROM simulation_recipients r
       WHERE r.status = 'delivered' AND r.delivered_at >= ${since90}
       GROUP BY r.org_id`),
    grouped(db, sql`
      SELECT a.org_id, count(*) AS assignments, count(*) FILTER (WHERE a.status = 'passed') AS passed,
             count(*) FILTER (WHERE a.status <> 'passed' AND a.due_at < ${now}) AS overdue
        FROM training_assignments a JOIN users u ON u.id = a.user_id
       WHERE u.status = 'active'
       GROUP BY a.org_id`),
    grouped(db, sql`SELECT org_id, count(*) AS overdue FROM access_review_campaigns WHERE status = 'open' AND deadline < ${now} GROUP BY org_id`),
    db
      .selectFrom('audit_log')
      .where('action', '=', 'audit.verify')
      .where('org_id', 'is not', null)
      .distinctOn('org_id')
      .select(['org_id', 'ts', 'result'])
      .orderBy('org_id')
      .orderBy('seq', 'desc')
      .execute(),
    db.selectFrom('audit_log').where('action', '=', 'backup.create').where('result', '=', 'success').select('ts').orderBy('seq', 'desc').limit(1).executeTakeFirst(),
  ]);
  const verified = new Map(verifications.map((v) => [v.org_id as string, { at: new Date(v.ts).toISOString(), ok: v.result === 'success' }]));
  const lastBackupAt = backup ? new Date(backup.ts).toISOString() : null;

  return orgs.map((o) => {
    const s = staff.get(o.id) ?? {};
    const sim = simulations.get(o.id) ?? {};
    const tr = training.get(o.id) ?? {};
    const q = quarantine.get(o.id) ?? {};
    const p: OrganizationPosture = {
      id: o.id,
      slug: o.slug,
      name: o.name,
      status: o.status,
      staff: s.staff ?? 0,
      staffWithSecondFactor: s.with_factor ?? 0,
      staffWithoutPasskey: s.without_passkey ?? 0,
      openIncidents: incidents.get(o.id)?.open ?? 0,
      quarantined30d: q.recent ?? 0,
      quarantineHeld: q.held ?? 0,
      simulations90d: { delivered: sim.delivered ?? 0, clicked: sim.clicked ?? 0, reported: sim.reported ?? 0, clickRate: rate(sim.clicked ?? 0, sim.delivered ?? 0), reportRate: rate(sim.reported ?? 0, sim.delivered ?? 0) },
      training: { assignments: tr.assignments ?? 0, passed: tr.passed ?? 0, overdue: tr.overdue ?? 0, completionRate: rate(tr.passed ?? 0, tr.assignments ?? 0) },
      overdueAccessReviews: reviews.get(o.id)?.overdue ?? 0,
      auditVerification: verified.get(o.id) ?? null,
      lastBackupAt,
      attention: [],
    };
    p.attention = attentionOf(p, now);
    return p;
  });
}

/** What a provider should look at first, most serious first, in words a technician acts on. */
export function attentionOf(p: OrganizationPosture, now = new Date()): string[] {
  const out: string[] = [];
  const days = (iso: string) => Math.floor((now.getTime() - new Date(iso).getTime()) / DAY);
  if (p.openIncidents > 0) out.push(`${p.openIncidents} open incident${p.openIncidents === 1 ? '' : 's'}`);
  if (p.auditVerification && !p.auditVerification.ok) out.push('audit trail verification failed');
  const missing = p.staff - p.staffWithSecondFactor;
  if (missing > 0) out.push(`${missing} staff without a second factor`);
  if (p.overdueAccessReviews > 0) out.push(`${p.overdueAccessReviews} access review${p.overdueAccessReviews === 1 ? '' : 's'} overdue`);
  if (p.simulations90d.delivered > 0 && p.simulations90d.clicked > p.simulations90d.reported) out.push('more simulation clicks than reports');
  if (p.training.overdue > 0) out.push(`${p.training.overdue} training assignment${p.training.overdue === 1 ? '' : 's'} overdue`);
  if (!p.auditVerification) out.push('audit trail never verified');
  else if (p.auditVerification.ok && days(p.auditVerification.at) > POSTURE_LIMITS.auditVerifyDays) out.push(`audit trail last verified ${days(p.auditVerification.at)} days ago`);
  if (!p.lastBackupAt) out.push('no backup recorded');
  else if (days(p.lastBackupAt) > POSTURE_LIMITS.backupDays) out.push(`last backup ${days(p.lastBackupAt)} days ago`);
  return out;
}

const CSV_COLUMNS: Array<[string, (p: OrganizationPosture) => string | number | null]> = [
  ['organization_id', (p) => p.id],
  ['slug', (p) => p.slug],
  ['name', (p) => p.name],
  ['status', (p) => p.status],
  ['staff', (p) => p.staff],
  ['staff_with_second_factor', (p) => p.staffWithSecondFactor],
  ['staff_without_passkey', (p) => p.staffWithoutPasskey],
  ['open_incidents', (p) => p.openIncidents],
  ['quarantined_30d', (p) => p.quarantined30d],
  ['quarantine_held', (p) => p.quarantineHeld],
  ['simulations_delivered_90d', (p) => p.simulations90d.delivered],
  ['simulation_click_rate_90d', (p) => p.simulations90d.clickRate],
  ['simulation_report_rate_90d', (p) => p.simulations90d.reportRate],
  ['training_assignments', (p) => p.training.assignments],
  ['training_completion_rate', (p) => p.training.completionRate],
  ['training_overdue', (p) => p.training.overdue],
  ['overdue_access_reviews', (p) => p.overdueAccessReviews],
  ['audit_verified_at', (p) => p.auditVerification?.at ?? null],
  ['audit_verification_ok', (p) => (p.auditVerification ? String(p.auditVerification.ok) : null)],
  ['last_backup_at', (p) => p.lastBackupAt],
  ['attention', (p) => p.attention.join('; ')],
];

/**
 * RFC 4180 CSV, one row per organisation. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR at
 * its start) is prefixed with an apostrophe: organisation names are typed by operators, not trusted (OWASP CSV
 * injection).
 */
export function postureCsv(rows: OrganizationPosture[]): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [CSV_COLUMNS.map(([h]) => h).join(','), ...rows.map((p) => CSV_COLUMNS.map(([, f]) => cell(f(p))).join(','))].join('\r\n') + '\r\n';
}
