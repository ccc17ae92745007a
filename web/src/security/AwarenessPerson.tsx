/**
 * One person's awareness page (decision 0196): the score with its history chart, what moved it, the
 * simulations they received with the outcome, their training and their data-handling policy confirmations. Used for one's own page
 * (/training/awareness) and for a lead's or officer's view of someone (/security/awareness/people/:id).
 */
import type { Static } from 'typebox';
import type { AwarenessContribution, AwarenessPerson } from '../../../src/platform/http/schemas/awareness.js';
import { formatDateTime, formatDuration, locale, t } from '../i18n/index.js';
import { DataTable } from '../ui/DataTable.js';
import { Badge, EmptyState } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { LineChart } from './AwarenessCharts.js';
import { PersonAttestations } from '../policies/PersonAttestations.js';
import './awareness.css';

type Person = Static<typeof AwarenessPerson>;
type Contribution = Static<typeof AwarenessContribution>;

const shortDate = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${Math.abs(n)}` : '0');

/** "clicked the link in “New bank details”", "reported “Password expiry” within 4 min", … */
export function whyText(c: Contribution): string {
  const subject = c.subject ?? '';
  switch (c.kind) {
    case 'sim_reported': return t('awareness.why.sim_reported', { subject, minutes: formatDuration(Math.max(1, c.minutes ?? 0) * 60_000) });
    case 'training_passed': return t(c.onTime ? 'awareness.why.training_passed.onTime' : 'awareness.why.training_passed.late', { subject }) + (c.firstAttempt ? t('awareness.why.firstAttempt') : '');
    default: return t(`awareness.why.${c.kind}`, { subject });
  }
}

const OUTCOME_TONE = { reported: 'success', data_entered: 'danger', attachment_opened: 'danger', clicked: 'danger', opened: 'info', no_action: 'info', pending: 'neutral', skipped: 'neutral' } as const;

export function AwarenessPersonView({ data }: { data: Person }) {
  const history = data.history;
  return (
    <>
      <Section title={t('awareness.score')}>
        <p className="aw-score"><span className="aw-score__value">{data.score}</span><span className="aw-muted">{t('awareness.score.of')}</span></p>
        <p className="aw-muted">{t('awareness.score.hint')}</p>
      </Section>
      <Section title={t('awareness.history')}>
        <LineChart title={t('awareness.history.chart')} labels={history.map((h) => shortDate.format(new Date(h.at)))} xs={history.map((h) => Date.parse(h.at))}
          series={[{ label: t('awareness.series.score'), tone: 'aw-c3' }]} values={history.map((h) => [h.score])} max={100} format={(v) => String(Math.round(v))} />
      </Section>
      <Section title={t('awareness.explanation')}>
        {data.explanation.length === 0 ? <EmptyState title={t('awareness.explanation.empty')} /> : (
          <ul className="aw-why">
            {data.explanation.map((c, i) => (
              <li key={`${c.at}-${i}`}>
                <span className={c.points >= 0 ? 'aw-why__up' : 'aw-why__down'}>{signed(c.points)}</span>: {whyText(c)} {t('awareness.on', { date: formatDateTime(c.at) })}
                {c.current !== c.points ? <span className="aw-muted"> {t('awareness.explanation.now', { value: signed(c.current) })}</span> : null}
              </li>
            ))}
          </ul>
        )}
        <p className="aw-muted">{t('awareness.realReports', data.realReports)}</p>
      </Section>
      <Section title={t('awareness.simulations')}>
        <DataTable caption={t('awareness.simulations')} rows={data.simulations} rowKey={(s) => s.campaignId} empty={t('awareness.empty')} columns={[
          { key: 'campaign', header: t('awareness.col.campaign'), render: (s) => s.campaignName },
          { key: 'template', header: t('awareness.col.template'), render: (s) => s.template },
          { key: 'date', header: t('awareness.col.date'), render: (s) => (s.deliveredAt ? formatDateTime(s.deliveredAt) : t('awareness.none')) },
          { key: 'outcome', header: t('awareness.col.outcome'), render: (s) => <Badge tone={OUTCOME_TONE[s.outcome]}>{t(`awareness.outcome.${s.outcome}`)}</Badge> },
          { key: 'report', header: t('awareness.col.timeToReport'), numeric: true, render: (s) => (s.minutesToReport === null ? t('awareness.none') : formatDuration(Math.max(1, s.minutesToReport) * 60_000)) },
        ]} />
      </Section>
      <Section title={t('awareness.trainingOf')}>
        <DataTable caption={t('awareness.trainingOf')} rows={data.training} rowKey={(a) => a.assignmentId} empty={t('awareness.empty')} columns={[
          { key: 'module', header: t('awareness.col.module'), render: (a) => a.title },
          { key: 'status', header: t('awareness.col.status'), render: (a) => <Badge tone={a.status === 'passed' ? 'success' : a.status === 'overdue' ? 'warning' : a.status === 'failed' ? 'danger' : 'info'}>{t(`training.status.${a.status}`)}</Badge> },
          { key: 'due', header: t('awareness.col.due'), render: (a) => formatDateTime(a.dueAt) },
          { key: 'score', header: t('training.col.score'), numeric: true, render: (a) => (a.bestScore === null ? t('awareness.none') : `${a.bestScore}%`) },
        ]} />
      </Section>
      <PersonAttestations userId={data.person.userId} />
    </>
  );
}
