/**
 * Security incidents (decision 0195): the list with filters by status,
 * severity and type and each breach's 72-hour clock (incidents.read), and a
 * form to open one by hand (incidents.manage). OpenIncidentButton is the
 * one-click "Open incident" of the phishing report, quarantine and simulation screens.
 */
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import type { Static } from 'typebox';
import { INCIDENT_SEVERITIES, INCIDENT_STATUSES, INCIDENT_TYPES, incidentEndpoints as e, type IncidentSource } from '../../../src/platform/http/schemas/incidents.js';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { FieldRow, SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { BreachClock } from './BreachClock.js';
import { SecurityNav } from './SecurityNav.js';

type Status = (typeof INCIDENT_STATUSES)[number];
type Severity = (typeof INCIDENT_SEVERITIES)[number];
type IncidentType = (typeof INCIDENT_TYPES)[number];

export function severityBadge(s: Severity) {
  return <Badge tone={s === 'critical' || s === 'high' ? 'danger' : s === 'medium' ? 'warning' : 'info'}>{t(`inc.severity.${s}`)}</Badge>;
}

export function statusBadge(s: Status) {
  return <Badge tone={s === 'resolved' ? 'success' : s === 'contained' ? 'info' : 'warning'}>{t(`inc.status.${s}`)}</Badge>;
}

/** "Open incident" from another screen: opens (or finds the open) incident of this source and goes there. */
export function OpenIncidentButton({ source, className }: { source: Static<typeof IncidentSource>; className?: string }) {
  const { can } = useMe();
  const [, navigate] = useLocation();
  const open = useSubmit(() => call(e.create, { body: { source } }));
  if (!can('incidents.manage')) return null;
  return (
    <>
      <Button className={className} busy={open.busy} onClick={() => void open.run().then((inc) => inc && navigate(`/incidents/${inc.id}`))}>{t('inc.open')}</Button>
      <ErrorNotice error={open.error} />
    </>
  );
}

function NewIncident({ onCreated }: { onCreated: (id: string) => void }) {
  const [title, setTitle] = useState('');
  const [type, setType] = useState<IncidentType>('other');
  const [severity, setSeverity] = useState<Severity>('medium');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = useSubmit(() => call(e.create, { body: { title: title.trim(), type, severity } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(e.create.body, { title: title.trim(), type, severity });
    setErrors(found);
    if (Object.keys(found).length) return;
    const created = await submit.run();
    if (created) onCreated(created.id);
  };
  return (
    <form className="form" onSubmit={(ev) => void onSubmit(ev)} noValidate>
      <TextField label={t('inc.field.title')} hint={t('inc.field.titleHint')} value={title} onChange={(ev) => setTitle(ev.target.value)} required error={errors.title ?? submit.fieldErrors.title} />
      <FieldRow>
        <SelectField label={t('inc.field.type')} value={type} onChange={(ev) => setType(ev.target.value as IncidentType)} options={INCIDENT_TYPES.map((v) => ({ value: v, label: t(`inc.typeName.${v}_type`) }))} />
        <SelectField label={t('inc.field.severity')} value={severity} onChange={(ev) => setSeverity(ev.target.value as Severity)} options={INCIDENT_SEVERITIES.map((v) => ({ value: v, label: t(`inc.severity.${v}`) }))} />
      </FieldRow>
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('inc.create')}</Button></div>
    </form>
  );
}

export function Incidents() {
  const { can } = useMe();
  const [, navigate] = useLocation();
  const [status, setStatus] = useState<Status | ''>('');
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [type, setType] = useState<IncidentType | ''>('');
  const [creating, setCreating] = useState(false);
  const list = useResource(() => call(e.list, { query: { ...(status ? { status } : {}), ...(severity ? { severity } : {}), ...(type ? { type } : {}) } }), [status, severity, type]);
  const any = { value: '', label: t('inc.filter.any') };
  return (
    <Page title={t('inc.title')} subtitle={t('inc.subtitle')} wide actions={can('incidents.manage') && !creating ? <Button variant="primary" onClick={() => setCreating(true)}>{t('inc.new')}</Button> : undefined}>
      <SecurityNav />
      {creating ? <Section title={t('inc.new')}><NewIncident onCreated={(id) => navigate(`/incidents/${id}`)} /></Section> : null}
      <Section title={t('inc.list')} id="incidents">
        <FieldRow>
          <SelectField label={t('inc.filter.status')} value={status} onChange={(ev) => setStatus(ev.target.value as Status | '')} options={[any, ...INCIDENT_STATUSES.map((v) => ({ value: v, label: t(`inc.status.${v}`) }))]} />
          <SelectField label={t('inc.filter.severity')} value={severity} onChange={(ev) => setSeverity(ev.target.value as Severity | '')} options={[any, ...INCIDENT_SEVERITIES.map((v) => ({ value: v, label: t(`inc.severity.${v}`) }))]} />
          <SelectField label={t('inc.filter.type')} value={type} onChange={(ev) => setType(ev.target.value as IncidentType | '')} options={[any, ...INCIDENT_TYPES.map((v) => ({ value: v, label: t(`inc.typeName.${v}_type`) }))]} />
        </FieldRow>
        {list.loading && !list.data ? <Loading /> : null}
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {list.data ? (
          <DataTable
            caption={t('inc.list')}
            rows={list.data.items}
            rowKey={(i) => i.id}
            empty={<EmptyState title={t('inc.empty')} />}
            columns={[
              { key: 'number', header: t('inc.col.number'), numeric: true, render: (i) => i.number },
              { key: 'title', header: t('inc.col.title'), render: (i) => <Link href={`/incidents/${i.id}`}>{i.title}</Link> },
              { key: 'type', header: t('inc.col.type'), render: (i) => t(`inc.typeName.${i.type}_type`) },
              { key: 'severity', header: t('inc.col.severity'), render: (i) => severityBadge(i.severity) },
              { key: 'status', header: t('inc.col.status'), render: (i) => statusBadge(i.status) },
              { key: 'owner', header: t('inc.col.owner'), render: (i) => i.ownerName ?? '—' },
              { key: 'breach', header: t('inc.col.breach'), render: (i) => <BreachClock deadlineAt={i.breachDeadlineAt} notifiedAt={i.authorityNotifiedAt} /> },
              { key: 'opened', header: t('inc.col.opened'), render: (i) => <time dateTime={i.createdAt}>{formatDateTime(i.createdAt)}</time> },
            ]}
          />
        ) : null}
      </Section>
    </Page>
  );
}
