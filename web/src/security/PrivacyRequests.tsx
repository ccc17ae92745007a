/**
 * Data-subject requests (decision 0198): the queue soonest due first, overdue ones in red; confirm the identity,
 * approve (an erasure happens at once, after a second factor), reject with a reason, download the certificate.
 */
import { useState, type FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { privacyEndpoints } from '../../../src/platform/http/schemas/privacy.js';
import { SettingSwitch } from '../admin/SettingSwitch.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { FieldRow, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { SecurityNav } from './SecurityNav.js';

const SHOWN = ['open', 'done', 'rejected'] as const;
type Shown = (typeof SHOWN)[number];

interface Decision {
  id: string;
  action: 'verify' | 'reject';
}

export function PrivacyRequests() {
  const { can } = useMe();
  const search = useSearch();
  const [, navigate] = useLocation();
  const raw = new URLSearchParams(search).get('status');
  const status: Shown = (SHOWN as readonly string[]).includes(raw ?? '') ? (raw as Shown) : 'open';
  const list = useResource(() => call(privacyEndpoints.list, { query: { status, limit: 200 } }), [status], { pollMs: 60_000 });
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const manage = can('privacy.manage');
  const approve = useSubmit(async (id: string) => {
    await call(privacyEndpoints.approve, { params: { id } });
    list.reload();
  });
  return (
    <Page title={t('privacy.title')} subtitle={t('privacy.subtitle')} wide>
      <SecurityNav />
      <div className="sec-toolbar">
        <SelectField
          label={t('privacy.show')}
          value={status}
          onChange={(e) => navigate(`/security/privacy${e.target.value === 'open' ? '' : `?status=${e.target.value}`}`)}
          options={SHOWN.map((s) => ({ value: s, label: t(`privacy.filter.${s}`) }))}
        />
      </div>
      <ErrorNotice error={approve.error} />
      <Section title={t(`privacy.filter.${status}`)} id="privacy-list">
        {list.loading && !list.data ? <Loading /> : null}
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {list.data ? (
          <DataTable
            caption={t('privacy.title')}
            rows={list.data.items}
            rowKey={(r) => r.id}
            empty={<EmptyState title={t('privacy.empty')} />}
            columns={[
              { key: 'due', header: t('privacy.col.due'), render: (r) => (
                <span className={r.overdue ? 'privacy-overdue' : undefined}>
                  <time dateTime={r.dueAt}>{formatDateTime(r.dueAt)}</time>
                  {r.overdue ? <> <Badge tone="danger">{t('privacy.overdue')}</Badge></> : null}
                </span>
              ) },
              { key: 'kind', header: t('privacy.col.kind'), render: (r) => t(`privacy.kind.${r.kind}`) },
              { key: 'customer', header: t('privacy.col.customer'), render: (r) => <code>{r.customerId.slice(0, 8)}</code> },
              { key: 'received', header: t('privacy.col.received'), render: (r) => <time dateTime={r.receivedAt}>{formatDateTime(r.receivedAt)}</time> },
              { key: 'status', header: t('privacy.col.status'), render: (r) => <Badge tone={r.status === 'done' ? 'success' : r.status === 'rejected' ? 'neutral' : 'warning'}>{t(`privacy.status.${r.status}`)}</Badge> },
              { key: 'identity', header: t('privacy.col.identity'), render: (r) => (r.verification ? t(`privacy.identity.${r.verification}`) : t('privacy.identity.none')) },
              { key: 'actions', header: t('privacy.col.actions'), render: (r) => (
                <span className="privacy-actions">
                  {manage && r.status === 'new' ? <Button className="btn--small" onClick={() => setDeciding({ id: r.id, action: 'verify' })}>{t('privacy.verify')}</Button> : null}
                  {manage && r.status === 'verified' ? (
                    <Button className="btn--small" variant={r.kind === 'erasure' ? 'danger' : 'primary'} busy={approve.busy} onClick={() => {
                      if (r.kind !== 'erasure' || window.confirm(t('privacy.confirmErase'))) void approve.run(r.id);
                    }}>{t(r.kind === 'erasure' ? 'privacy.approveErase' : 'privacy.approve')}</Button>
                  ) : null}
                  {manage && (r.status === 'new' || r.status === 'verified') ? <Button className="btn--small" variant="ghost" onClick={() => setDeciding({ id: r.id, action: 'reject' })}>{t('privacy.reject')}</Button> : null}
                  {r.hasCertificate ? (
                    <>
                      <a className="btn btn--secondary btn--small" href={`/api/privacy/requests/${encodeURIComponent(r.id)}/certificate?format=text`} download>{t('privacy.certificateText')}</a>
                      <a className="btn btn--secondary btn--small" href={`/api/privacy/requests/${encodeURIComponent(r.id)}/certificate?format=json`} download>{t('privacy.certificateJson')}</a>
                    </>
                  ) : null}
                  {r.status === 'rejected' && r.rejectedReason ? <span className="privacy-reason">{r.rejectedReason}</span> : null}
                </span>
              ) },
            ]}
          />
        ) : null}
      </Section>
      {can('policies.manage') ? (
        <Section title={t('privacy.settings')} id="privacy-settings">
          <SettingSwitch
            load={(signal) => call(privacyEndpoints.settings, {}, { signal }).then((s) => s.secondApprover)}
            save={(on) => call(privacyEndpoints.saveSettings, { body: { secondApprover: on } })}
            label={t('privacy.secondApprover')}
            hint={t('privacy.secondApproverHint')}
          />
          <SettingSwitch
            load={(signal) => call(privacyEndpoints.settings, {}, { signal }).then((s) => s.exportStaffNames)}
            save={(on) => call(privacyEndpoints.saveSettings, { body: { exportStaffNames: on } })}
            label={t('privacy.exportStaffNames')}
            hint={t('privacy.exportStaffNamesHint')}
          />
          <ExportDays />
        </Section>
      ) : null}
      {deciding ? <ReasonDialog decision={deciding} onClose={() => setDeciding(null)} onDone={() => { setDeciding(null); list.reload(); }} /> : null}
    </Page>
  );
}

/** How long an access export stays downloadable (1–90 days). */
function ExportDays() {
  const current = useResource((signal) => call(privacyEndpoints.settings, {}, { signal }), []);
  const [days, setDays] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useSubmit(async () => {
    setSaved(false);
    await call(privacyEndpoints.saveSettings, { body: { exportDays: Number(days) } });
    current.reload();
    setSaved(true);
  });
  if (!current.data) return <ErrorNotice error={current.error} onRetry={current.reload} />;
  const value = days ?? String(current.data.exportDays);
  return (
    <form className="form" noValidate onSubmit={(ev) => { ev.preventDefault(); void save.run(); }}>
      <ErrorNotice error={save.error} />
      <FieldRow>
        <TextField label={t('privacy.exportDays')} hint={t('privacy.exportDaysHint')} type="number" min={1} max={90} value={value} onChange={(ev) => { setDays(ev.target.value); setSaved(false); }} />
      </FieldRow>
      <div className="form__actions">
        <Button type="submit" busy={save.busy}>{t('privacy.saveExportDays')}</Button>
        {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
      </div>
    </form>
  );
}

/** A staff identity check (verify) or a rejection: both need a sentence, kept in the audit trail. */
function ReasonDialog({ decision, onClose, onDone }: { decision: Decision; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const submit = useSubmit(async () => {
    if (decision.action === 'verify') await call(privacyEndpoints.verify, { params: { id: decision.id }, body: { reason: reason.trim() } });
    else await call(privacyEndpoints.reject, { params: { id: decision.id }, body: { reason: reason.trim() } });
    onDone();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <Dialog open title={t(decision.action === 'verify' ? 'privacy.verifyTitle' : 'privacy.rejectTitle')} onClose={onClose}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <ErrorNotice error={submit.error} />
        <TextAreaField
          label={t(decision.action === 'verify' ? 'privacy.verifyReason' : 'privacy.rejectReason')}
          hint={t('privacy.reasonHint')}
          required
          rows={3}
          minLength={3}
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={submit.fieldErrors.reason}
          autoFocus
        />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t(decision.action === 'verify' ? 'privacy.verify' : 'privacy.reject')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}
