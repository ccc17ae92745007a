/**
 * One held message (also the link in the security email): the engine's
 * reasons with their evidence, the redacted source, and release or delete —
 * each with a reason that goes into the audit trail.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { quarantineEndpoints } from '../../../src/platform/http/schemas/quarantine.js';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { OpenIncidentButton } from './Incidents.js';
import { reasonText } from './Quarantine.js';
import { SecurityNav } from './SecurityNav.js';

type Action = 'release' | 'delete';

function DecisionDialog({ id, action, onDone, onClose }: { id: string; action: Action; onDone: (message: string) => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = useSubmit(async () => {
    const body = { reason: reason.trim() };
    if (action === 'release') {
      const r = await call(quarantineEndpoints.release, { params: { id }, body });
      return r.ticketId ? t('security.quarantine.releasedTo', { outcome: r.outcome }) : t('security.quarantine.released', { outcome: r.outcome });
    }
    await call(quarantineEndpoints.delete, { params: { id }, body });
    return t('security.quarantine.deleted');
  });
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(quarantineEndpoints.release.body, { reason: reason.trim() });
    setErrors(found);
    if (Object.keys(found).length) return;
    const message = await submit.run();
    if (message) onDone(message);
  };
  return (
    <Dialog open title={t(action === 'release' ? 'security.quarantine.releaseTitle' : 'security.quarantine.deleteTitle')} onClose={onClose}>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <p>{t(action === 'release' ? 'security.quarantine.releaseBody' : 'security.quarantine.deleteBody')}</p>
        <TextAreaField label={t('security.quarantine.field.reason')} hint={t('security.quarantine.field.reasonHint')} value={reason} onChange={(e) => setReason(e.target.value)} error={errors.reason ?? submit.fieldErrors.reason} required rows={3} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant={action === 'delete' ? 'danger' : 'primary'} busy={submit.busy}>{t(action === 'release' ? 'security.quarantine.release' : 'security.quarantine.delete')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

export function QuarantineItem({ id }: { id: string }) {
  const { can } = useMe();
  const res = useResource(() => call(quarantineEndpoints.read, { params: { id } }), [id]);
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const q = res.data;
  const held = q?.status === 'held';
  return (
    <Page title={t('security.quarantine.itemTitle')} subtitle={<Link href="/quarantine">{t('security.quarantine.back')}</Link>} wide
      actions={q ? (
        <>
          <OpenIncidentButton source={{ kind: 'quarantine', id: q.id }} />
          {held && can('quarantine.release') ? (
            <>
              {q.reason !== 'malformed' ? <Button variant="primary" onClick={() => setAction('release')}>{t('security.quarantine.release')}</Button> : null}
              <Button variant="danger" onClick={() => setAction('delete')}>{t('security.quarantine.delete')}</Button>
            </>
          ) : null}
        </>
      ) : undefined}>
      <SecurityNav />
      {done ? <Notice tone="success" title={done} /> : null}
      {res.loading && !q ? <Loading /> : null}
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {q ? (
        <>
          <dl className="pairs pairs--inline">
            <dt>{t('security.quarantine.col.reason')}</dt>
            <dd><Badge tone={q.reason === 'malformed' ? 'neutral' : 'danger'}>{reasonText(q.reason)}</Badge></dd>
            <dt>{t('security.quarantine.col.status')}</dt>
            <dd>{t(`security.quarantine.status.${q.status === 'released' ? 'released' : q.status === 'deleted' ? 'deleted' : 'held'}`)}</dd>
            <dt>{t('security.quarantine.col.score')}</dt>
            <dd>{q.threatScore ?? '—'}</dd>
            <dt>{t('security.quarantine.col.received')}</dt>
            <dd><time dateTime={q.createdAt}>{formatDateTime(q.createdAt)}</time></dd>
            {q.decidedAt ? (
              <>
                <dt>{t('security.quarantine.decidedAt')}</dt>
                <dd><time dateTime={q.decidedAt}>{formatDateTime(q.decidedAt)}</time></dd>
              </>
            ) : null}
          </dl>
          {q.reason === 'malformed' && held ? <Notice tone="info" title={t('security.quarantine.malformedNote')} /> : null}
          <Section title={t('security.quarantine.reasons')} id="reasons">
            <DataTable
              caption={t('security.quarantine.reasons')}
              rows={q.reasons}
              rowKey={(r) => `${r.code}:${r.evidence}`}
              empty={q.codes.length ? <span className="sec-codes">{q.codes.map((c) => <code key={c}>{c}</code>)}</span> : t('security.quarantine.noReasons')}
              columns={[
                { key: 'code', header: t('security.quarantine.col.signal'), render: (r) => <code>{r.code}</code> },
                { key: 'evidence', header: t('security.quarantine.col.evidence'), render: (r) => r.evidence },
                { key: 'weight', header: t('security.quarantine.col.weight'), numeric: true, render: (r) => r.weight.toFixed(2) },
              ]}
            />
          </Section>
          <Section title={t('security.quarantine.source')} id="source">
            <p className="field__hint">{t('security.quarantine.sourceHint')}</p>
            {q.source ? <pre className="sec-pre sec-pre--source" tabIndex={0} aria-label={t('security.quarantine.source')}>{q.source}</pre> : <p className="sec-muted">{t('security.quarantine.noSource')}</p>}
            {q.truncated ? <Notice tone="info" title={t('security.quarantine.truncated')} /> : null}
          </Section>
          {action ? <DecisionDialog id={q.id} action={action} onClose={() => setAction(null)} onDone={(m) => { setAction(null); setDone(m); res.reload(); }} /> : null}
        </>
      ) : null}
    </Page>
  );
}
