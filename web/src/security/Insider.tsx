/**
 * Insider-threat alerts (decision 0194): the list with each alert's
 * explanation and links to the audit entries it rests on; acknowledge,
 * dismiss with a reason, suppress the rule for the person (insider.manage);
 * the suppressions in force; and the organisation's thresholds form
 * (readable with insider.read, saved with insider.manage).
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { ALERT_STATUSES, insiderEndpoints as e } from '../../../src/platform/http/schemas/insider.js';
import type { Static } from 'typebox';
import type { InsiderAlert as AlertSchema, Thresholds as ThresholdsSchema } from '../../../src/platform/http/schemas/insider.js';
import { call } from '../api.js';
import { formatDateTime, t, tp } from '../i18n/index.js';
import { OpenIncidentButton } from './Incidents.js';
import type { MessageKey } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { SecurityNav } from './SecurityNav.js';

type Alert = Static<typeof AlertSchema>;
type Thresholds = Static<typeof ThresholdsSchema>;
type Status = (typeof ALERT_STATUSES)[number];

const EVIDENCE_SHOWN = 5;

function Evidence({ alert }: { alert: Alert }) {
  const shown = alert.evidence.slice(-EVIDENCE_SHOWN);
  const more = alert.evidence.length - shown.length;
  return (
    <span className="insider-evidence">
      {shown.map((ref) => <Link key={ref.id} href={`/security/audit/${ref.idx}`}>#{ref.idx}</Link>)}
      {more > 0 ? <span> {tp('insider.evidence.more', more)}</span> : null}
    </span>
  );
}

function AlertActions({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const [mode, setMode] = useState<'none' | 'dismiss' | 'suppress'>('none');
  const [reason, setReason] = useState('');
  const [days, setDays] = useState('7');
  const ack = useSubmit(() => call(e.acknowledge, { params: { id: alert.id }, body: {} }));
  const dismiss = useSubmit(() => call(e.dismiss, { params: { id: alert.id }, body: { reason: reason.trim() } }));
  const suppress = useSubmit(() => call(e.suppress, { body: { rule: alert.rule, userId: alert.userId, reason: reason.trim(), days: Number(days) } }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = mode === 'dismiss' ? await dismiss.run() : await suppress.run();
    if (done) {
      setMode('none');
      setReason('');
      onDone();
    }
  };
  if (mode !== 'none') {
    const s = mode === 'dismiss' ? dismiss : suppress;
    return (
      <form className="form insider-action-form" onSubmit={(ev) => void submit(ev)} noValidate aria-label={mode === 'dismiss' ? t('insider.dismiss.title') : t('insider.suppress.title', { name: alert.userName })}>
        <TextAreaField label={mode === 'dismiss' ? t('insider.dismiss.reason') : t('insider.suppress.reason')} value={reason} onChange={(ev) => setReason(ev.target.value)} required error={s.fieldErrors.reason} rows={2} />
        {mode === 'suppress' ? <TextField label={t('insider.suppress.days')} type="number" min={1} max={90} value={days} onChange={(ev) => setDays(ev.target.value)} error={s.fieldErrors.days} /> : null}
        <ErrorNotice error={s.error} />
        <div className="form__actions">
          <Button type="submit" variant={mode === 'dismiss' ? 'danger' : 'primary'} busy={s.busy}>{mode === 'dismiss' ? t('insider.dismiss') : t('insider.suppress')}</Button>
          <Button type="button" onClick={() => setMode('none')}>{t('insider.cancel')}</Button>
        </div>
      </form>
    );
  }
  return (
    <div className="insider-actions">
      {alert.status === 'open' ? <Button onClick={() => void ack.run().then((r) => r && onDone())} busy={ack.busy}>{t('insider.acknowledge')}</Button> : null}
      {alert.status !== 'dismissed' ? <Button onClick={() => setMode('dismiss')}>{t('insider.dismiss')}</Button> : null}
      <Button onClick={() => setMode('suppress')}>{t('insider.suppress')}</Button>
      <ErrorNotice error={ack.error} />
    </div>
  );
}

function Suppressions({ manage, version }: { manage: boolean; version: number }) {
  const list = useResource(() => call(e.suppressions), [version]);
  const remove = useSubmit((id: string) => call(e.unsuppress, { params: { id } }));
  return (
    <Section title={t('insider.suppressions')}>
      <ErrorNotice error={list.error ?? remove.error} onRetry={list.reload} />
      {!list.data ? <Loading /> : (
        <DataTable
          caption={t('insider.suppressions')}
          rows={list.data.items}
          rowKey={(s) => s.id}
          empty={<EmptyState title={t('insider.suppressions.empty')} />}
          columns={[
            { key: 'person', header: t('insider.col.person'), render: (s) => s.userName },
            { key: 'rule', header: t('insider.col.rule'), render: (s) => s.rule },
            { key: 'why', header: t('insider.suppress.reason'), render: (s) => <>{s.reason} <small>{t('insider.suppressions.until', { date: formatDateTime(s.expiresAt) })}</small></> },
            ...(manage ? [{ key: 'end', header: t('insider.col.actions'), render: (s: { id: string }) => <Button onClick={() => void remove.run(s.id).then(() => list.reload())}>{t('insider.suppressions.remove')}</Button> }] : []),
          ]}
        />
      )}
    </Section>
  );
}

const FIELD_KEYS = new Set(['enabled', 'minCount', 'sigmas', 'minRatio', 'learningWeeks', 'minDistinct', 'windowMinutes', 'relationDays', 'timeZone', 'days', 'startHour', 'endHour', 'minEvents', 'usualDays', 'maxRecordsPerHour', 'personalFactor', 'count', 'withinMinutes', 'minReveals', 'minSignins', 'minHistoryDays', 'factor']);
const fieldLabel = (key: string) => (FIELD_KEYS.has(key) ? t(`insider.field.${key}` as MessageKey) : key);

function ThresholdsForm({ manage }: { manage: boolean }) {
  const view = useResource(() => call(e.thresholds), []);
  const [draft, setDraft] = useState<Record<string, Record<string, string | boolean>> | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useSubmit((body: Record<string, Record<string, unknown>>) => call(e.setThresholds, { body }));
  if (!view.data) return <Section title={t('insider.settings')}><ErrorNotice error={view.error} onRetry={view.reload} />{view.loading ? <Loading /> : null}</Section>;
  const current = view.data.thresholds as unknown as Record<string, Record<string, unknown>>;
  const value = (rule: string, key: string): string | boolean => {
    const d = draft?.[rule]?.[key];
    if (d !== undefined) return d;
    const v = current[rule]?.[key];
    return typeof v === 'boolean' ? v : Array.isArray(v) ? v.join(', ') : String(v ?? '');
  };
  const set = (rule: string, key: string, v: string | boolean) => {
    setSaved(false);
    setDraft((d) => ({ ...(d ?? {}), [rule]: { ...(d?.[rule] ?? {}), [key]: v } }));
  };
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, Record<string, unknown>> = {};
    for (const [rule, fields] of Object.entries(draft ?? {})) {
      body[rule] = {};
      for (const [key, v] of Object.entries(fields)) {
        body[rule]![key] = typeof v === 'boolean' ? v : key === 'timeZone' ? v.trim() : key === 'days' ? v.split(',').map((x) => x.trim()).filter(Boolean).map(Number) : v.trim() === '' ? null : Number(v);
      }
    }
    const result = await save.run(body);
    if (result) {
      setDraft(null);
      setSaved(true);
      view.reload();
    }
  };
  return (
    <Section title={t('insider.settings')}>
      <p>{manage ? t('insider.settings.hint') : t('insider.settings.readOnly')}</p>
      <form className="form insider-thresholds" onSubmit={(ev) => void onSubmit(ev)} noValidate>
        {view.data.rules.map((rule) => (
          <fieldset key={rule.key} disabled={!manage}>
            <legend>{rule.title}</legend>
            {Object.keys(current[rule.key] ?? {}).map((key) => {
              const id = `${rule.key}.${key}`;
              const v = value(rule.key, key);
              return typeof v === 'boolean'
                ? <CheckboxField key={id} label={fieldLabel(key)} checked={v} onChange={(ev) => set(rule.key, key, ev.target.checked)} error={save.fieldErrors[id]} />
                : <TextField key={id} label={fieldLabel(key)} value={v} onChange={(ev) => set(rule.key, key, ev.target.value)} error={save.fieldErrors[id]} inputMode={key === 'timeZone' || key === 'days' ? 'text' : 'decimal'} />;
            })}
          </fieldset>
        ))}
        <ErrorNotice error={save.error} />
        {saved ? <Notice tone="success">{t('insider.settings.saved')}</Notice> : null}
        {manage ? <div className="form__actions"><Button type="submit" variant="primary" busy={save.busy} disabled={!draft}>{t('insider.settings.save')}</Button></div> : null}
      </form>
    </Section>
  );
}

/** The insider-threat page of the security centre (/security/insider). */
export function InsiderAlerts() {
  const { can } = useMe();
  const manage = can('insider.manage');
  const [status, setStatus] = useState<Status | ''>('open');
  const [version, setVersion] = useState(0);
  const list = useResource(() => call(e.alerts, { query: status ? { status } : {} }), [status, version], { pollMs: 30_000 });
  const changed = () => setVersion((v) => v + 1);
  return (
    <Page title={t('insider.title')} subtitle={t('insider.subtitle')} wide>
      <SecurityNav />
      <Section title={t('insider.alerts')}>
        <SelectField label={t('insider.filter.status')} value={status} onChange={(ev) => setStatus(ev.target.value as Status | '')} options={[{ value: '', label: t('insider.filter.all') }, ...ALERT_STATUSES.map((s) => ({ value: s, label: t(`insider.status.${s}`) }))]} />
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {!list.data ? <Loading /> : (
          <DataTable
            caption={t('insider.alerts')}
            rows={list.data.items}
            rowKey={(a) => a.id}
            empty={<EmptyState title={t('insider.empty')} />}
            columns={[
              { key: 'raised', header: t('insider.col.raised'), render: (a) => <time dateTime={a.raisedAt}>{formatDateTime(a.raisedAt)}</time> },
              { key: 'person', header: t('insider.col.person'), render: (a) => a.userName },
              { key: 'rule', header: t('insider.col.rule'), render: (a) => a.ruleTitle },
              { key: 'why', header: t('insider.col.explanation'), render: (a) => <p className="insider-explanation">{a.explanation}</p> },
              { key: 'evidence', header: t('insider.col.evidence'), render: (a) => <Evidence alert={a} /> },
              { key: 'status', header: t('insider.col.status'), render: (a) => <>
                <Badge tone={a.status === 'open' ? 'warning' : a.status === 'acknowledged' ? 'info' : 'neutral'}>{t(`insider.status.${a.status}`)}</Badge>
                {a.statusReason ? <small> {a.statusReason}</small> : null}
                {a.incidentId ? <small> <a href={`/incidents/${a.incidentId}`}>{t('insider.incident')} {a.incidentId.slice(0, 8)}</a></small> : <OpenIncidentButton className="btn--small" source={{ kind: 'insider_alert', id: a.id }} />}
              </> },
              ...(manage ? [{ key: 'actions', header: t('insider.col.actions'), render: (a: Alert) => <AlertActions alert={a} onDone={changed} /> }] : []),
            ]}
          />
        )}
      </Section>
      <Suppressions manage={manage} version={version} />
      <ThresholdsForm manage={manage} />
    </Page>
  );
}
