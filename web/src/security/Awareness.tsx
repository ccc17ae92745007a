/**
 * The awareness dashboard (/security/awareness; decision 0196) for team leads (their teams) and security
 * officers (everyone): scores, per-campaign and monthly simulation rates, by team and by role, training, and
 * each person with a link to their page. The per-person and per-campaign tables download as CSV.
 */
import { Link } from 'wouter';
import { awarenessEndpoints as e } from '../../../src/platform/http/schemas/awareness.js';
import { call } from '../api.js';
import { formatDuration, t, type MessageKey } from '../i18n/index.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { BarChart, LineChart, percent, type ChartSeries } from './AwarenessCharts.js';
import { AwarenessPersonView } from './AwarenessPerson.js';
import { SecurityNav } from './SecurityNav.js';
import './awareness.css';

const minutes = (m: number | null) => (m === null ? t('awareness.none') : formatDuration(Math.max(1, m) * 60_000));
const score = (s: number | null) => (s === null ? t('awareness.none') : String(s));

function Csv({ table, label }: { table: 'people' | 'campaigns'; label: string }) {
  return <a className="report-csv" href={`${e.export.url}?table=${table}`} download aria-label={t('awareness.csvOf', { table: label })}>{t('awareness.csv')}</a>;
}

const RATE_SERIES = (): ChartSeries[] => [
  { label: t('awareness.series.click'), tone: 'aw-c1' },
  { label: t('awareness.series.data'), tone: 'aw-c2' },
  { label: t('awareness.series.report'), tone: 'aw-c3' },
];

export function AwarenessDashboardPage() {
  const res = useResource(() => call(e.dashboard), []);
  const d = res.data;
  const totals = d?.campaigns.reduce((a, c) => ({ delivered: a.delivered + c.delivered, clicked: a.clicked + c.clicked, reported: a.reported + c.reported }), { delivered: 0, clicked: 0, reported: 0 });
  const kpis: Array<[MessageKey, string]> = d && totals ? [
    ['awareness.kpi.score', score(d.overall.score)],
    ['awareness.kpi.people', String(d.overall.people)],
    ['awareness.kpi.clickRate', percent(totals.delivered ? totals.clicked / totals.delivered : null)],
    ['awareness.kpi.reportRate', percent(totals.delivered ? totals.reported / totals.delivered : null)],
    ['awareness.kpi.completion', percent(d.training.completionRate)],
    ['awareness.kpi.overdue', String(d.training.overdue)],
  ] : [];
  return (
    <Page title={t('awareness.title')} subtitle={d ? t(`awareness.subtitle.${d.scope}`) : undefined} wide>
      <SecurityNav />
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {!d ? (res.loading ? <Loading /> : null) : (
        <>
          <ul className="aw-kpis">
            {kpis.map(([label, value]) => <li key={label} className="aw-kpi"><span className="aw-kpi__label">{t(label)}</span><span className="aw-kpi__value">{value}</span></li>)}
          </ul>
          <Section id="aw-campaigns" title={t('awareness.campaigns')} actions={<Csv table="campaigns" label={t('awareness.campaigns')} />}>
            {d.campaigns.length > 0 ? (
              <BarChart title={t('awareness.campaigns.chart')} labels={d.campaigns.map((c) => c.name)} series={RATE_SERIES()}
                values={d.campaigns.map((c) => [c.clickRate, c.dataEntryRate, c.reportRate])} max={1} format={percent} />
            ) : null}
            <DataTable caption={t('awareness.campaigns')} rows={d.campaigns} rowKey={(c) => c.campaignId} empty={t('awareness.empty')} columns={[
              { key: 'name', header: t('awareness.col.campaign'), render: (c) => <Link href={`/security/simulations/${c.campaignId}`}>{c.name}</Link> },
              { key: 'template', header: t('awareness.col.template'), render: (c) => c.template },
              { key: 'delivered', header: t('awareness.col.delivered'), numeric: true, render: (c) => c.delivered },
              { key: 'clicked', header: t('awareness.col.clicked'), numeric: true, render: (c) => c.clicked },
              { key: 'attachment', header: t('awareness.col.attachmentOpened'), numeric: true, render: (c) => c.attachmentOpened },
              { key: 'data', header: t('awareness.col.dataEntered'), numeric: true, render: (c) => c.dataEntered },
              { key: 'reported', header: t('awareness.col.reported'), numeric: true, render: (c) => c.reported },
              { key: 'none', header: t('awareness.col.noAction'), numeric: true, render: (c) => c.noAction },
              { key: 'cr', header: t('awareness.col.clickRate'), numeric: true, render: (c) => percent(c.clickRate) },
              { key: 'rr', header: t('awareness.col.reportRate'), numeric: true, render: (c) => percent(c.reportRate) },
              { key: 'mr', header: t('awareness.col.medianReport'), numeric: true, render: (c) => minutes(c.medianMinutesToReport) },
            ]} />
          </Section>
          <Section id="aw-months" title={t('awareness.months')}>
            {d.months.length > 0 ? (
              <LineChart title={t('awareness.months.chart')} labels={d.months.map((m) => m.month)} series={RATE_SERIES()}
                values={d.months.map((m) => [m.clickRate, m.dataEntryRate, m.reportRate])} max={1} format={percent} />
            ) : null}
            <DataTable caption={t('awareness.months')} rows={d.months} rowKey={(m) => m.month} empty={t('awareness.empty')} columns={[
              { key: 'month', header: t('awareness.col.month'), render: (m) => m.month },
              { key: 'delivered', header: t('awareness.col.delivered'), numeric: true, render: (m) => m.delivered },
              { key: 'cr', header: t('awareness.col.clickRate'), numeric: true, render: (m) => percent(m.clickRate) },
              { key: 'dr', header: t('awareness.col.dataEntryRate'), numeric: true, render: (m) => percent(m.dataEntryRate) },
              { key: 'rr', header: t('awareness.col.reportRate'), numeric: true, render: (m) => percent(m.reportRate) },
              { key: 'mr', header: t('awareness.col.medianReport'), numeric: true, render: (m) => minutes(m.medianMinutesToReport) },
            ]} />
          </Section>
          {(['teams', 'roles'] as const).map((kind) => (
            <Section key={kind} id={`aw-${kind}`} title={t(`awareness.${kind}`)}>
              {kind === 'teams' && d.teams.length > 0 ? (
                <BarChart title={t('awareness.teams.chart')} labels={d.teams.map((g) => g.name)} series={[{ label: t('awareness.series.score'), tone: 'aw-c3' }]}
                  values={d.teams.map((g) => [g.score])} max={100} format={(v) => String(Math.round(v))} />
              ) : null}
              <DataTable caption={t(`awareness.${kind}`)} rows={d[kind]} rowKey={(g) => g.id} empty={t('awareness.empty')} columns={[
                { key: 'name', header: t(kind === 'teams' ? 'awareness.col.team' : 'awareness.col.role'), render: (g) => g.name },
                { key: 'people', header: t('awareness.col.people'), numeric: true, render: (g) => g.people },
                { key: 'score', header: t('awareness.col.score'), numeric: true, render: (g) => score(g.score) },
                { key: 'delivered', header: t('awareness.col.delivered'), numeric: true, render: (g) => g.delivered },
                { key: 'cr', header: t('awareness.col.clickRate'), numeric: true, render: (g) => percent(g.clickRate) },
                { key: 'dr', header: t('awareness.col.dataEntryRate'), numeric: true, render: (g) => percent(g.dataEntryRate) },
                { key: 'rr', header: t('awareness.col.reportRate'), numeric: true, render: (g) => percent(g.reportRate) },
                { key: 'mr', header: t('awareness.col.medianReport'), numeric: true, render: (g) => minutes(g.medianMinutesToReport) },
                { key: 'tc', header: t('awareness.col.completion'), numeric: true, render: (g) => percent(g.training.completionRate) },
                { key: 'to', header: t('awareness.col.overdue'), numeric: true, render: (g) => g.training.overdue },
              ]} />
            </Section>
          ))}
          <Section id="aw-training" title={t('awareness.training')}>
            <DataTable caption={t('awareness.training')} rows={[d.training]} rowKey={() => 'all'} columns={[
              { key: 'assigned', header: t('awareness.col.assigned'), numeric: true, render: (x) => x.assigned },
              { key: 'passed', header: t('awareness.col.passed'), numeric: true, render: (x) => x.passed },
              { key: 'due', header: t('awareness.col.due'), numeric: true, render: (x) => x.due },
              { key: 'overdue', header: t('awareness.col.overdue'), numeric: true, render: (x) => x.overdue },
              { key: 'failed', header: t('awareness.col.failed'), numeric: true, render: (x) => x.failed },
              { key: 'rate', header: t('awareness.col.completion'), numeric: true, render: (x) => percent(x.completionRate) },
            ]} />
          </Section>
          <Section id="aw-people" title={t('awareness.people')} actions={<Csv table="people" label={t('awareness.people')} />}>
            <DataTable caption={t('awareness.people')} rows={d.people} rowKey={(p) => p.userId} empty={t('awareness.empty')} columns={[
              { key: 'name', header: t('awareness.col.person'), render: (p) => <Link href={`/security/awareness/people/${p.userId}`}>{p.name}</Link> },
              { key: 'teams', header: t('awareness.col.teams'), render: (p) => p.teams.join(', ') },
              { key: 'score', header: t('awareness.col.score'), numeric: true, render: (p) => p.score },
              { key: 'delivered', header: t('awareness.col.delivered'), numeric: true, render: (p) => p.delivered },
              { key: 'clicked', header: t('awareness.col.clicked'), numeric: true, render: (p) => p.clicked },
              { key: 'attachment', header: t('awareness.col.attachmentOpened'), numeric: true, render: (p) => p.attachmentOpened },
              { key: 'data', header: t('awareness.col.dataEntered'), numeric: true, render: (p) => p.dataEntered },
              { key: 'reported', header: t('awareness.col.reported'), numeric: true, render: (p) => p.reported },
              { key: 'passed', header: t('awareness.col.trainingPassed'), numeric: true, render: (p) => p.trainingPassed },
              { key: 'overdue', header: t('awareness.col.trainingOverdue'), numeric: true, render: (p) => p.trainingOverdue },
            ]} />
          </Section>
        </>
      )}
    </Page>
  );
}

/** Someone's page, as their lead or a security officer sees it. */
export function AwarenessPersonPage({ id }: { id: string }) {
  const res = useResource(() => call(e.person, { params: { id } }), [id]);
  return (
    <Page title={res.data ? res.data.person.name : t('awareness.title')} wide>
      <SecurityNav />
      <p><Link href="/security/awareness">{t('awareness.person.back')}</Link></p>
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {res.data ? <AwarenessPersonView data={res.data} /> : res.loading ? <Loading /> : null}
    </Page>
  );
}
