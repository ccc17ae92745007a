/**
 * Phishing reports: an agent's own (their awareness record), or everyone's for
 * security officers, who record whether each was phishing. A false positive
 * shows the message on its ticket again. Below, what Trustdesk learned from
 * these labels (LearnedModel.tsx).
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { REPORT_DECISIONS, phishingReportEndpoints, type PhishingReport } from '../../../src/platform/http/schemas/phishing-reports.js';
import type { Static } from 'typebox';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { OpenIncidentButton } from './Incidents.js';
import { LearnedModelSection } from './LearnedModel.js';
import { SecurityNav } from './SecurityNav.js';

type Report = Static<typeof PhishingReport>;
type Outcome = (typeof REPORT_DECISIONS)[number];

function outcomeBadge(outcome: Report['outcome']) {
  const tone = outcome === 'confirmed' ? 'danger' : outcome === 'false_positive' ? 'success' : 'info';
  return <Badge tone={tone}>{t(`security.reports.outcome.${outcome}`)}</Badge>;
}

function OutcomeDialog({ report, onDone, onClose }: { report: Report; onDone: () => void; onClose: () => void }) {
  const [outcome, setOutcome] = useState<Outcome>('confirmed');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = useSubmit(() => call(phishingReportEndpoints.outcome, { params: { id: report.id }, body: { outcome, reason: reason.trim() } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(phishingReportEndpoints.outcome.body, { outcome, reason: reason.trim() });
    setErrors(found);
    if (Object.keys(found).length) return;
    if (await submit.run()) onDone();
  };
  return (
    <Dialog open title={t('security.reports.decideTitle')} onClose={onClose}>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <SelectField label={t('security.reports.field.outcome')} value={outcome} onChange={(e) => setOutcome(e.target.value === 'false_positive' ? 'false_positive' : 'confirmed')} options={REPORT_DECISIONS.map((o) => ({ value: o, label: t(`security.reports.outcome.${o}`) }))} hint={t('security.reports.field.outcomeHint')} />
        <TextAreaField label={t('security.reports.field.reason')} value={reason} onChange={(e) => setReason(e.target.value)} error={errors.reason ?? submit.fieldErrors.reason} required rows={3} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('security.reports.record')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

export function PhishingReports() {
  const { can } = useMe();
  const all = can('quarantine.read');
  const list = useResource(() => call(phishingReportEndpoints.list, { query: { limit: 200 } }), []);
  const [deciding, setDeciding] = useState<Report | null>(null);
  return (
    <Page title={t('security.reports.title')} subtitle={t(all ? 'security.reports.subtitleAll' : 'security.reports.subtitleMine')} wide>
      <SecurityNav />
      <Section title={t('security.reports.list')} id="reports">
        {list.loading && !list.data ? <Loading /> : null}
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {list.data ? (
          <DataTable
            caption={t('security.reports.list')}
            rows={list.data.items}
            rowKey={(r) => r.id}
            empty={<EmptyState title={t('security.reports.empty')} />}
            columns={[
              { key: 'when', header: t('security.reports.col.reported'), render: (r) => <time dateTime={r.createdAt}>{formatDateTime(r.createdAt)}</time> },
              { key: 'ticket', header: t('security.reports.col.ticket'), render: (r) => <Link href={`/tickets/${r.ticketId}`}>{t('security.reports.openTicket')}</Link> },
              ...(all ? [{ key: 'quarantine', header: t('security.reports.col.quarantine'), render: (r: Report) => <Link href={`/quarantine/${r.quarantineId}`}>{t('security.reports.openQuarantine')}</Link> }] : []),
              { key: 'outcome', header: t('security.reports.col.outcome'), render: (r) => <span>{outcomeBadge(r.outcome)}{r.decidedAt ? <> <span className="sec-muted">{formatDateTime(r.decidedAt)}</span></> : null}</span> },
              ...(can('incidents.manage') ? [{ key: 'incident', header: t('inc.nav'), render: (r: Report) => <OpenIncidentButton className="btn--small" source={{ kind: 'phishing_report', id: r.id }} /> }] : []),
              ...(can('quarantine.release') ? [{ key: 'decide', header: t('security.reports.col.decide'), render: (r: Report) => (r.outcome === 'pending' ? <Button className="btn--small" onClick={() => setDeciding(r)}>{t('security.reports.decide')}</Button> : '—') }] : []),
            ]}
          />
        ) : null}
      </Section>
      {all || can('policies.manage') ? <LearnedModelSection /> : null}
      {deciding ? <OutcomeDialog report={deciding} onClose={() => setDeciding(null)} onDone={() => { setDeciding(null); list.reload(); }} /> : null}
    </Page>
  );
}
