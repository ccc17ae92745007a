/**
 * The reports area (/reports, reports.read): the dashboard for a range with team and agent
 * filters, charts with their figures as tables, and each report as a CSV download. What the
 * figures cover is the server's decision (own, team or organisation scope).
 */
import { useMemo, useState } from 'react';
import { Route, Switch } from 'wouter';
import { EgressNotice, useEgressRefused } from '../devices/EgressNotice.js';
import { reportEndpoints, type ReportDashboardView, type ReportName } from '../../../src/platform/http/schemas/reports.js';
import { call } from '../api.js';
import { formatDuration, t, type MessageKey } from '../i18n/index.js';
import { DataTable } from '../ui/DataTable.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { NotFound } from '../shell/NotFound.js';
import { TimeChart } from './Chart.js';
import './reports.css';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const minutes = (m: number | null) => (m === null ? t('reports.noValue') : formatDuration(m * 60_000));
const percent = (v: number | null) => (v === null ? t('reports.noValue') : t('reports.percent', { value: v }));

interface Query {
  from: string;
  to: string;
  teamId: string;
  agentId: string;
}

function exportHref(q: Query, report: ReportName): string {
  const p = new URLSearchParams({ from: q.from, to: q.to, report });
  if (q.teamId) p.set('teamId', q.teamId);
  if (q.agentId) p.set('agentId', q.agentId);
  return `${reportEndpoints.export.url}?${p.toString()}`;
}

function Csv({ query, report, label }: { query: Query; report: ReportName; label: string }) {
  // Refused on this browser by the data egress policy: the page's notice says why (docs/devices.md).
  if (useEgressRefused()) return <span className="muted">{t('devices.refused.csv')}</span>;
  return (
    <a className="report-csv" href={exportHref(query, report)} download aria-label={t('reports.csvOf', { report: label })}>
      {t('reports.csv')}
    </a>
  );
}

function Kpis({ d }: { d: ReportDashboardView }) {
  const items: Array<[MessageKey, string]> = [
    ['reports.kpi.created', String(d.volume.reduce((s, r) => s + r.created, 0))],
    ['reports.kpi.solved', String(d.volume.reduce((s, r) => s + r.solved, 0))],
    ['reports.kpi.backlog', String(d.volume.at(-1)?.backlog ?? 0)],
    ['reports.kpi.firstResponse', minutes(d.times.firstResponse.p50)],
    ['reports.kpi.resolution', minutes(d.times.resolution.p50)],
    ['reports.kpi.sla', percent(d.sla.firstResponse.attainment)],
    ['reports.kpi.csat', percent(d.csat.score)],
  ];
  return (
    <ul className="report-kpis">
      {items.map(([label, value]) => (
        <li key={label} className="report-kpi">
          <span className="report-kpi__label">{t(label)}</span>
          <span className="report-kpi__value">{value}</span>
        </li>
      ))}
    </ul>
  );
}

function Dashboard() {
  const today = new Date();
  const [query, setQuery] = useState<Query>({ from: iso(new Date(today.getTime() - 29 * DAY)), to: iso(today), teamId: '', agentId: '' });
  const valid = query.from <= query.to && Date.parse(query.to) - Date.parse(query.from) < 366 * DAY;
  const res = useResource(
    (signal) =>
      call(reportEndpoints.dashboard, {
        query: { from: query.from, to: query.to, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, ...(query.teamId ? { teamId: query.teamId } : {}), ...(query.agentId ? { agentId: query.agentId } : {}) },
      }, { signal }),
    [query.from, query.to, query.teamId, query.agentId],
  );
  const d = res.data;
  const days = useMemo(() => d?.volume.map((r) => r.day) ?? [], [d]);
  const volumeSeries = useMemo(() => (d ? [
    { label: t('reports.created'), values: d.volume.map((r) => r.created), colorVar: '--color-primary' },
    { label: t('reports.solved'), values: d.volume.map((r) => r.solved), colorVar: '--color-success-text' },
  ] : []), [d]);
  const backlogSeries = useMemo(() => (d ? [{ label: t('reports.backlog'), values: d.volume.map((r) => r.backlog), colorVar: '--color-warning-text' }] : []), [d]);
  const set = (patch: Partial<Query>) => setQuery((q) => ({ ...q, ...patch }));
  const range = (n: number) => set({ from: iso(new Date(today.getTime() - (n - 1) * DAY)), to: iso(today) });

  return (
    <Page title={t('reports.title')} subtitle={d ? t(`reports.subtitle.${d.scope}`) : undefined} wide>
      <form className="report-filters" aria-label={t('reports.filters')} onSubmit={(e) => e.preventDefault()}>
        <TextField type="date" label={t('reports.from')} value={query.from} max={query.to} onChange={(e) => e.target.value && set({ from: e.target.value })} />
        <TextField type="date" label={t('reports.to')} value={query.to} min={query.from} onChange={(e) => e.target.value && set({ to: e.target.value })} />
        {d && d.filters.teams.length > 0 ? (
          <SelectField label={t('reports.team')} value={query.teamId} onChange={(e) => set({ teamId: e.target.value })} options={[{ value: '', label: t('reports.any') }, ...d.filters.teams.map((x) => ({ value: x.id, label: x.name }))]} />
        ) : null}
        {d && d.filters.agents.length > 0 ? (
          <SelectField label={t('reports.agent')} value={query.agentId} onChange={(e) => set({ agentId: e.target.value })} options={[{ value: '', label: t('reports.any') }, ...d.filters.agents.map((x) => ({ value: x.id, label: x.name }))]} />
        ) : null}
        <div className="form__actions">
          <button type="button" className="btn btn--ghost btn--small" onClick={() => range(7)}>{t('reports.last7')}</button>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => range(30)}>{t('reports.last30')}</button>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => range(365)}>{t('reports.last365')}</button>
        </div>
      </form>
      <EgressNotice />
      {!valid ? <p role="alert">{t('reports.badRange')}</p> : null}
      {res.error ? <ErrorNotice error={res.error} onRetry={res.reload} /> : null}
      {!d && res.loading ? <Loading /> : null}
      {d ? (
        <>
          <Kpis d={d} />
          <div className="report-grid">
            <Section id="report-volume" title={t('reports.volume.title')} actions={<Csv query={query} report="volume" label={t('reports.volume.title')} />}>
              <TimeChart id="chart-volume" title={t('reports.volume.title')} days={days} series={volumeSeries} table={
                <DataTable caption={t('reports.volume.title')} rows={d.volume} rowKey={(r) => r.day} columns={[
                  { key: 'day', header: t('reports.day'), render: (r) => r.day },
                  { key: 'created', header: t('reports.created'), numeric: true, render: (r) => r.created },
                  { key: 'solved', header: t('reports.solved'), numeric: true, render: (r) => r.solved },
                ]} />
              } />
            </Section>
            <Section id="report-backlog" title={t('reports.backlog.title')} actions={<Csv query={query} report="volume" label={t('reports.backlog.title')} />}>
              <TimeChart id="chart-backlog" title={t('reports.backlog.title')} days={days} series={backlogSeries} table={
                <DataTable caption={t('reports.backlog.title')} rows={d.volume} rowKey={(r) => r.day} columns={[
                  { key: 'day', header: t('reports.day'), render: (r) => r.day },
                  { key: 'backlog', header: t('reports.backlog'), numeric: true, render: (r) => r.backlog },
                ]} />
              } />
            </Section>
            <Section id="report-times" title={t('reports.times.title')} actions={<Csv query={query} report="times" label={t('reports.times.title')} />}>
              <DataTable caption={t('reports.times.title')} rowKey={(r) => r.key} rows={[
                { key: 'reports.times.firstResponse' as const, ...d.times.firstResponse },
                { key: 'reports.times.resolution' as const, ...d.times.resolution },
              ]} columns={[
                { key: 'm', header: '', render: (r) => t(r.key) },
                { key: 'n', header: t('reports.times.count'), numeric: true, render: (r) => r.count },
                { key: 'p50', header: t('reports.times.p50'), numeric: true, render: (r) => minutes(r.p50) },
                { key: 'p90', header: t('reports.times.p90'), numeric: true, render: (r) => minutes(r.p90) },
              ]} />
            </Section>
            <Section id="report-sla" title={t('reports.sla.title')} actions={<Csv query={query} report="sla" label={t('reports.sla.title')} />}>
              <DataTable caption={t('reports.sla.title')} rowKey={(r) => r.key} rows={[
                { key: 'reports.times.firstResponse' as const, ...d.sla.firstResponse },
                { key: 'reports.times.resolution' as const, ...d.sla.resolution },
              ]} columns={[
                { key: 'm', header: '', render: (r) => t(r.key) },
                { key: 'met', header: t('reports.sla.met'), numeric: true, render: (r) => r.met },
                { key: 'breached', header: t('reports.sla.breached'), numeric: true, render: (r) => r.breached },
                { key: 'pending', header: t('reports.sla.pending'), numeric: true, render: (r) => r.pending },
                { key: 'att', header: t('reports.sla.attainment'), numeric: true, render: (r) => percent(r.attainment) },
              ]} />
            </Section>
            <Section id="report-csat" title={t('reports.csat.title')} actions={<Csv query={query} report="csat" label={t('reports.csat.title')} />}>
              <p>{t('reports.csat.score')}: <strong>{percent(d.csat.score)}</strong> ({t('reports.csat.good')} {d.csat.good}, {t('reports.csat.bad')} {d.csat.bad})</p>
              <DataTable caption={t('reports.csat.title')} rows={d.csat.days} rowKey={(r) => r.day} empty={t('reports.none')} columns={[
                { key: 'day', header: t('reports.day'), render: (r) => r.day },
                { key: 'good', header: t('reports.csat.good'), numeric: true, render: (r) => r.good },
                { key: 'bad', header: t('reports.csat.bad'), numeric: true, render: (r) => r.bad },
              ]} />
            </Section>
            <Section id="report-channels" title={t('reports.channels.title')} actions={<Csv query={query} report="channels" label={t('reports.channels.title')} />}>
              <DataTable caption={t('reports.channels.title')} rows={d.channels} rowKey={(r) => r.channel} empty={t('reports.none')} columns={[
                { key: 'c', header: t('reports.channels.channel'), render: (r) => r.channel },
                { key: 'n', header: t('reports.count'), numeric: true, render: (r) => r.count },
              ]} />
            </Section>
            <Section id="report-threats" title={t('reports.threats.title')} actions={<Csv query={query} report="threats" label={t('reports.threats.title')} />}>
              <DataTable caption={t('reports.threats.verdict')} rows={d.threats.verdicts} rowKey={(r) => r.verdict} empty={t('reports.none')} columns={[
                { key: 'v', header: t('reports.threats.verdict'), render: (r) => r.verdict },
                { key: 'n', header: t('reports.count'), numeric: true, render: (r) => r.count },
              ]} />
              {d.threats.quarantined ? (
                <DataTable caption={t('reports.threats.quarantine')} rows={d.threats.quarantined} rowKey={(r) => r.reason} empty={t('reports.none')} columns={[
                  { key: 'r', header: t('reports.threats.quarantine'), render: (r) => r.reason },
                  { key: 'n', header: t('reports.count'), numeric: true, render: (r) => r.count },
                ]} />
              ) : null}
            </Section>
          </div>
        </>
      ) : null}
    </Page>
  );
}

export default function ReportsArea() {
  return (
    <Switch>
      <Route path="/reports" component={Dashboard} />
      <Route component={NotFound} />
    </Switch>
  );
}
