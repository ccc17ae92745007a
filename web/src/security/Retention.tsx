/**
 * Retention and legal hold (decision 0207): the policy (administrators), the dry run's counts, starting a run and
 * watching its progress, the schedule that starts runs by itself (decision 0218), and the legal holds (set and lift
 * with a reason; auditors read).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { Static } from 'typebox';
import { RETENTION_CHANNELS, retentionEndpoints as e, type RetentionCounts, type RetentionPolicyValue } from '../../../src/platform/http/schemas/retention.js';
import { call } from '../api.js';
import { formatDateTime, t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { CheckboxField, FieldRow, SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { SecurityNav } from './SecurityNav.js';
import { useStaff } from './staff.js';

type Counts = Static<typeof RetentionCounts>;
const KINDS = ['tickets', 'quarantine', 'exports', 'customers'] as const;
const num = (v: string): number | null => (v.trim() === '' ? null : Number(v));
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function CountsLine({ counts }: { counts: Counts }) {
  return <span>{KINDS.map((k) => tp(`retention.count.${k}`, counts[k])).join(' · ')}</span>;
}

/** `nav`: the security centre's tabs (default) or the administration's, as the screen is reached from either. */
export function Retention({ nav = <SecurityNav /> }: { nav?: ReactNode } = {}) {
  const { can } = useMe();
  const policy = useResource((signal) => call(e.policy, {}, { signal }), []);
  const dry = useResource((signal) => call(e.dryRun, {}, { signal }), []);
  const runs = useResource((signal) => call(e.runs, {}, { signal }), [], { pollMs: 3_000 });
  const start = useSubmit(async () => {
    await call(e.startRun, {});
    runs.reload();
  });
  const mayRun = can('privacy.manage') && can('customers.erase');
  return (
    <Page title={t('retention.title')} subtitle={t('retention.subtitle')} wide>
      {nav}
      <Section title={t('retention.policy')} id="retention-policy">
        {policy.loading && !policy.data ? <Loading /> : null}
        <ErrorNotice error={policy.error} onRetry={policy.reload} />
        {policy.data ? <PolicyForm initial={policy.data} editable={can('policies.manage')} onSaved={() => { policy.reload(); dry.reload(); }} /> : null}
      </Section>
      <Section title={t('retention.dryRun')} id="retention-dry-run">
        <ErrorNotice error={dry.error} onRetry={dry.reload} />
        {dry.data ? (
          <p>
            {t('retention.wouldDelete')} <CountsLine counts={dry.data.counts} />{' '}
            <Button className="btn--small" onClick={() => dry.reload()}>{t('retention.recount')}</Button>
          </p>
        ) : null}
        {mayRun ? (
          <>
            <ErrorNotice error={start.error} />
            <Button variant="danger" busy={start.busy} onClick={() => {
              if (window.confirm(t('retention.confirmRun'))) void start.run();
            }}>{t('retention.run')}</Button>
          </>
        ) : null}
      </Section>
      <Section title={t('retention.schedule')} id="retention-schedule">
        <Schedule mayRun={mayRun} onStarted={runs.reload} />
      </Section>
      <Section title={t('retention.runs')} id="retention-runs">
        <ErrorNotice error={runs.error} onRetry={runs.reload} />
        {runs.data ? (
          <DataTable
            caption={t('retention.runs')}
            rows={runs.data.items}
            rowKey={(r) => r.id}
            empty={<EmptyState title={t('retention.noRuns')} />}
            columns={[
              { key: 'started', header: t('retention.col.started'), render: (r) => <time dateTime={r.createdAt}>{formatDateTime(r.createdAt)}</time> },
              { key: 'via', header: t('retention.col.via'), render: (r) => t(`retention.via.${r.via}`) },
              { key: 'status', header: t('retention.col.status'), render: (r) => <Badge tone={r.status === 'done' ? 'success' : r.status === 'failed' ? 'danger' : 'warning'}>{t(`retention.status.${r.status}`)}</Badge> },
              { key: 'progress', header: t('retention.col.progress'), render: (r) => <progress max={100} value={r.percent} aria-label={t('retention.col.progress')}>{r.percent}%</progress> },
              { key: 'deleted', header: t('retention.col.deleted'), render: (r) => <CountsLine counts={r.deleted} /> },
              { key: 'skipped', header: t('retention.col.skipped'), render: (r) => <CountsLine counts={r.skipped} /> },
            ]}
          />
        ) : null}
      </Section>
      <Holds manage={can('privacy.manage')} />
    </Page>
  );
}

const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;
const hourText = (h: number) => `${String(h).padStart(2, '0')}:00 UTC`;

/** When the policy runs by itself: set by someone who may start a run (their approval), removed by any privacy manager. */
function Schedule({ mayRun, onStarted }: { mayRun: boolean; onStarted: () => void }) {
  const { can } = useMe();
  const current = useResource((signal) => call(e.schedule, {}, { signal }), [], { pollMs: 60_000 });
  const staff = useStaff();
  const [frequency, setFrequency] = useState<'off' | 'daily' | 'weekly'>('off');
  const [hour, setHour] = useState('3');
  const [weekday, setWeekday] = useState('0');
  const [editing, setEditing] = useState(false);
  const save = useSubmit(async () => {
    const schedule = frequency === 'off' ? null : { frequency, hour: Number(hour), ...(frequency === 'weekly' ? { weekday: Number(weekday) } : {}) };
    await call(e.saveSchedule, { body: { schedule } });
    setEditing(false);
    current.reload();
    onStarted();
  });
  if (current.loading && !current.data) return <Loading />;
  if (!current.data) return <ErrorNotice error={current.error} onRetry={current.reload} />;
  const s = current.data.schedule;
  const edit = () => {
    setFrequency(s?.frequency ?? 'weekly');
    setHour(String(s?.hour ?? 3));
    setWeekday(String(s?.weekday ?? 0));
    setEditing(true);
  };
  const onSubmit = (ev: FormEvent) => {
    ev.preventDefault();
    void save.run();
  };
  const approver = s?.enabledBy ? (staff?.get(s.enabledBy)?.name ?? s.enabledBy) : t('retention.scheduleFormerApprover');
  return (
    <>
      {s ? (
        <div>
          <p>
            {s.frequency === 'daily' ? t('retention.scheduleDaily', { time: hourText(s.hour) }) : t('retention.scheduleWeekly', { day: t(`retention.weekday.${s.weekday ?? 0}` as 'retention.weekday.0'), time: hourText(s.hour) })}{' '}
            {t('retention.scheduleApprovedBy', { name: approver })}
          </p>
          <p>
            {t('retention.scheduleNext')} <time dateTime={s.nextRunAt}>{formatDateTime(s.nextRunAt)}</time>
            {s.lastRunAt && s.lastOutcome ? (
              <>
                {' · '}
                {t('retention.scheduleLast')} <time dateTime={s.lastRunAt}>{formatDateTime(s.lastRunAt)}</time>{' '}
                <Badge tone={s.lastOutcome === 'started' ? 'success' : 'danger'}>{t(`retention.outcome.${s.lastOutcome}`)}</Badge>
              </>
            ) : null}
          </p>
        </div>
      ) : (
        <p className="form__hint">{t('retention.scheduleOff')}</p>
      )}
      {!editing && (mayRun || (s && can('privacy.manage'))) ? (
        <Button className="btn--small" onClick={edit}>{s ? t('retention.scheduleChange') : t('retention.scheduleSet')}</Button>
      ) : null}
      {editing ? (
        <form className="form" onSubmit={onSubmit} noValidate aria-label={t('retention.schedule')}>
          <ErrorNotice error={save.error} />
          <p className="form__hint">{t('retention.scheduleHint')}</p>
          <FieldRow>
            <SelectField
              label={t('retention.scheduleFrequency')}
              value={frequency}
              onChange={(ev) => setFrequency(ev.target.value as 'off' | 'daily' | 'weekly')}
              options={[
                { value: 'off', label: t('retention.frequency.off') },
                ...(mayRun ? [{ value: 'daily', label: t('retention.frequency.daily') }, { value: 'weekly', label: t('retention.frequency.weekly') }] : []),
              ]}
            />
            {frequency === 'weekly' ? (
              <SelectField label={t('retention.scheduleWeekday')} value={weekday} onChange={(ev) => setWeekday(ev.target.value)} options={WEEKDAYS.map((d) => ({ value: String(d), label: t(`retention.weekday.${d}`) }))} />
            ) : null}
            {frequency !== 'off' ? (
              <SelectField label={t('retention.scheduleHour')} value={hour} onChange={(ev) => setHour(ev.target.value)} options={Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: hourText(h) }))} />
            ) : null}
          </FieldRow>
          <div className="form__actions">
            <Button type="submit" variant={frequency === 'off' ? 'secondary' : 'danger'} busy={save.busy}>{t('retention.scheduleSave')}</Button>
            <Button onClick={() => setEditing(false)}>{t('retention.cancel')}</Button>
          </div>
        </form>
      ) : null}
    </>
  );
}

function PolicyForm({ initial, editable, onSaved }: { initial: RetentionPolicyValue; editable: boolean; onSaved: () => void }) {
  const [months, setMonths] = useState(initial.tickets.months?.toString() ?? '');
  const [channels, setChannels] = useState<string[]>(initial.tickets.channels);
  const [tags, setTags] = useState(initial.tickets.tags.join(', '));
  const [teams, setTeams] = useState(initial.tickets.teamIds.join(', '));
  const [quarantine, setQuarantine] = useState(initial.quarantineDays?.toString() ?? '');
  const [exportsDays, setExportsDays] = useState(initial.exportDays?.toString() ?? '');
  const [customers, setCustomers] = useState(initial.inactiveCustomerMonths?.toString() ?? '');
  const save = useSubmit(async () => {
    await call(e.savePolicy, { body: { tickets: { months: num(months), channels: channels as RetentionPolicyValue['tickets']['channels'], tags: list(tags), teamIds: list(teams) }, quarantineDays: num(quarantine), exportDays: num(exportsDays), inactiveCustomerMonths: num(customers) } });
    onSaved();
  });
  const onSubmit = (ev: FormEvent) => {
    ev.preventDefault();
    void save.run();
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <ErrorNotice error={save.error} />
      <p className="form__hint">{t('retention.offHint')}</p>
      <FieldRow>
        <TextField label={t('retention.ticketMonths')} type="number" min={1} value={months} onChange={(ev) => setMonths(ev.target.value)} disabled={!editable} optional />
        <TextField label={t('retention.quarantineDays')} type="number" min={1} value={quarantine} onChange={(ev) => setQuarantine(ev.target.value)} disabled={!editable} optional />
        <TextField label={t('retention.exportDays')} type="number" min={1} value={exportsDays} onChange={(ev) => setExportsDays(ev.target.value)} disabled={!editable} optional />
        <TextField label={t('retention.customerMonths')} type="number" min={1} value={customers} onChange={(ev) => setCustomers(ev.target.value)} disabled={!editable} optional />
      </FieldRow>
      <fieldset className="form__group">
        <legend>{t('retention.channels')}</legend>
        {RETENTION_CHANNELS.map((c) => (
          <CheckboxField key={c} label={c} checked={channels.includes(c)} disabled={!editable} onChange={(ev) => setChannels(ev.target.checked ? [...channels, c] : channels.filter((x) => x !== c))} />
        ))}
      </fieldset>
      <FieldRow>
        <TextField label={t('retention.tags')} hint={t('retention.listHint')} value={tags} onChange={(ev) => setTags(ev.target.value)} disabled={!editable} optional />
        <TextField label={t('retention.teams')} hint={t('retention.listHint')} value={teams} onChange={(ev) => setTeams(ev.target.value)} disabled={!editable} optional />
      </FieldRow>
      {editable ? (
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={save.busy}>{t('retention.save')}</Button>
        </div>
      ) : null}
    </form>
  );
}

function Holds({ manage }: { manage: boolean }) {
  const [active, setActive] = useState<'true' | 'false'>('true');
  const holds = useResource((signal) => call(e.holds, { query: { active: active === 'true' } }, { signal }), [active]);
  const [objectType, setObjectType] = useState<'customer' | 'ticket'>('customer');
  const [objectId, setObjectId] = useState('');
  const [reason, setReason] = useState('');
  const set = useSubmit(async () => {
    await call(e.setHold, { body: { objectType, objectId: objectId.trim(), reason: reason.trim() } });
    setObjectId('');
    setReason('');
    holds.reload();
  });
  const lift = useSubmit(async (id: string) => {
    const why = window.prompt(t('retention.liftReason'));
    if (!why || why.trim().length < 3) return;
    await call(e.liftHold, { params: { id }, body: { reason: why.trim() } });
    holds.reload();
  });
  return (
    <Section title={t('retention.holds')} id="legal-holds">
      <p className="form__hint">{t('retention.holdsHint')}</p>
      {manage ? (
        <form className="form" onSubmit={(ev) => { ev.preventDefault(); void set.run(); }} noValidate>
          <ErrorNotice error={set.error} />
          <FieldRow>
            <SelectField label={t('retention.holdOn')} value={objectType} onChange={(ev) => setObjectType(ev.target.value as 'customer' | 'ticket')} options={[{ value: 'customer', label: t('retention.customer') }, { value: 'ticket', label: t('retention.ticket') }]} />
            <TextField label={t('retention.objectId')} value={objectId} onChange={(ev) => setObjectId(ev.target.value)} required error={set.fieldErrors.objectId} />
            <TextField label={t('retention.reason')} value={reason} onChange={(ev) => setReason(ev.target.value)} required minLength={3} maxLength={500} error={set.fieldErrors.reason} />
          </FieldRow>
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={set.busy}>{t('retention.setHold')}</Button>
          </div>
        </form>
      ) : null}
      <SelectField label={t('retention.show')} value={active} onChange={(ev) => setActive(ev.target.value as 'true' | 'false')} options={[{ value: 'true', label: t('retention.active') }, { value: 'false', label: t('retention.lifted') }]} />
      <ErrorNotice error={lift.error} />
      {holds.loading && !holds.data ? <Loading /> : null}
      <ErrorNotice error={holds.error} onRetry={holds.reload} />
      {holds.data ? (
        <DataTable
          caption={t('retention.holds')}
          rows={holds.data.items}
          rowKey={(h) => h.id}
          empty={<EmptyState title={t('retention.noHolds')} />}
          columns={[
            { key: 'object', header: t('retention.col.object'), render: (h) => <>{t(`retention.${h.objectType}`)} <code>{h.objectId}</code></> },
            { key: 'reason', header: t('retention.reason'), render: (h) => h.reason },
            { key: 'set', header: t('retention.col.set'), render: (h) => <time dateTime={h.setAt}>{formatDateTime(h.setAt)}</time> },
            { key: 'lifted', header: t('retention.col.lifted'), render: (h) => (h.liftedAt ? <><time dateTime={h.liftedAt}>{formatDateTime(h.liftedAt)}</time> {h.liftReason}</> : null) },
            { key: 'actions', header: t('retention.col.actions'), render: (h) => (manage && h.active ? <Button className="btn--small" busy={lift.busy} onClick={() => void lift.run(h.id)}>{t('retention.lift')}</Button> : null) },
          ]}
        />
      ) : null}
    </Section>
  );
}
