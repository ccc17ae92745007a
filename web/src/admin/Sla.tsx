/** SLA policies: business hours in a time zone and targets per priority; one active at a time. */
import { useState } from 'react';
import type { Static } from 'typebox';
import { slaEndpoints, type SlaPolicy } from '../../../src/platform/http/schemas/sla.js';
import { TICKET_PRIORITIES } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { CheckboxField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ChoiceList, ConfirmButton, linesToList } from './shared.js';

type Policy = Static<typeof SlaPolicy>;
type Priority = (typeof TICKET_PRIORITIES)[number];
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

function PolicyForm({ policy, onDone }: { policy: Policy | null; onDone: () => void }) {
  const [name, setName] = useState(policy?.name ?? '');
  const [timeZone, setTimeZone] = useState(policy?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [weekdays, setWeekdays] = useState<string[]>((policy?.businessHours.weekdays ?? [1, 2, 3, 4, 5]).map(String));
  const [start, setStart] = useState(policy?.businessHours.start ?? '09:00');
  const [end, setEnd] = useState(policy?.businessHours.end ?? '17:00');
  const [holidays, setHolidays] = useState((policy?.holidays ?? []).join('\n'));
  const [active, setActive] = useState(policy?.active ?? true);
  const [targets, setTargets] = useState<Record<Priority, { first: string; resolve: string }>>(() => Object.fromEntries(TICKET_PRIORITIES.map((p) => [p, { first: String(policy?.targets[p]?.firstResponseMinutes ?? ''), resolve: String(policy?.targets[p]?.resolutionMinutes ?? '') }])) as Record<Priority, { first: string; resolve: string }>);
  const submit = useSubmit(async () => {
    const chosen = Object.fromEntries(TICKET_PRIORITIES.filter((p) => targets[p].first || targets[p].resolve).map((p) => [p, { firstResponseMinutes: Number(targets[p].first), resolutionMinutes: Number(targets[p].resolve) }]));
    const body = { name: name.trim(), timeZone: timeZone.trim(), businessHours: { weekdays: weekdays.map(Number).sort(), start, end }, holidays: linesToList(holidays), targets: chosen, active };
    if (policy) await call(slaEndpoints.update, { params: { id: policy.id }, body });
    else await call(slaEndpoints.create, { body });
    return true as const;
  });
  const fe = submit.fieldErrors;
  return (
    <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) onDone(); }}>
      <div className="field-row">
        <TextField label={t('admin.sla.name')} value={name} onChange={(e) => setName(e.target.value)} error={fe.name} />
        <TextField label={t('admin.sla.timeZone')} hint={t('admin.sla.timeZoneHint')} value={timeZone} onChange={(e) => setTimeZone(e.target.value)} error={fe.timeZone} />
      </div>
      <ChoiceList legend={t('admin.sla.weekdays')} options={WEEKDAYS.map((d) => ({ value: String(d), label: t(`admin.sla.day.${d}`) }))} value={weekdays} onChange={setWeekdays} error={fe['businessHours.weekdays']} />
      <div className="field-row">
        <TextField label={t('admin.sla.start')} type="time" value={start} onChange={(e) => setStart(e.target.value)} error={fe['businessHours.start']} />
        <TextField label={t('admin.sla.end')} type="time" value={end} onChange={(e) => setEnd(e.target.value)} error={fe['businessHours.end']} />
      </div>
      <fieldset className="adm-choices">
        <legend className="field__label">{t('admin.sla.targets')}</legend>
        <p className="field__hint">{t('admin.sla.targetsHint')}</p>
        {TICKET_PRIORITIES.map((p) => (
          <div key={p} className="field-row">
            <TextField label={t('admin.sla.first', { priority: t(`admin.priority.${p}`) })} type="number" inputMode="numeric" min={1} value={targets[p].first} onChange={(e) => setTargets({ ...targets, [p]: { ...targets[p], first: e.target.value } })} error={fe[`targets.${p}.firstResponseMinutes`]} />
            <TextField label={t('admin.sla.resolve', { priority: t(`admin.priority.${p}`) })} type="number" inputMode="numeric" min={1} value={targets[p].resolve} onChange={(e) => setTargets({ ...targets, [p]: { ...targets[p], resolve: e.target.value } })} error={fe[`targets.${p}.resolutionMinutes`]} />
          </div>
        ))}
      </fieldset>
      <TextField label={t('admin.sla.holidays')} hint={t('admin.sla.holidaysHint')} optional value={holidays} onChange={(e) => setHolidays(e.target.value)} error={Object.entries(fe).find(([k]) => k.startsWith('holidays'))?.[1]} />
      <CheckboxField label={t('admin.sla.active')} hint={t('admin.sla.activeHint')} checked={active} onChange={(e) => setActive(e.target.checked)} />
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

export function Sla() {
  const list = useResource(() => call(slaEndpoints.list), []);
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  return (
    <Page title={t('admin.sla.title')} subtitle={t('admin.sla.subtitle')} wide actions={<Button variant="primary" onClick={() => setEditing('new')}>{t('admin.sla.new')}</Button>}>
      <AdminNav />
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 ? <EmptyState title={t('admin.sla.empty')} /> : null}
      <div className="adm-cards">
        {list.data?.items.map((p) => (
          <Section key={p.id} title={p.name} id={`sla-${p.id}`} actions={p.active ? <Badge tone="success">{t('admin.sla.isActive')}</Badge> : <Badge>{t('admin.sla.inactive')}</Badge>}>
            <p className="adm-muted">{t('admin.sla.hours', { days: p.businessHours.weekdays.map((d) => t(`admin.sla.day.${d as 1 | 2 | 3 | 4 | 5 | 6 | 7}`)).join(', '), start: p.businessHours.start, end: p.businessHours.end, zone: p.timeZone })}</p>
            <ul className="adm-grants">
              {TICKET_PRIORITIES.filter((x) => p.targets[x]).map((x) => (
                <li key={x}>{t('admin.sla.targetLine', { priority: t(`admin.priority.${x}`), first: p.targets[x]?.firstResponseMinutes ?? 0, resolve: p.targets[x]?.resolutionMinutes ?? 0 })}</li>
              ))}
            </ul>
            <div className="adm-actions">
              <Button className="btn--small" onClick={() => setEditing(p)}>{t('action.edit')}</Button>
              <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.sla.deleteTitle', { name: p.name })} body={<p>{t('admin.sla.deleteBody')}</p>}
                onConfirm={async () => { await call(slaEndpoints.remove, { params: { id: p.id } }); list.reload(); }} />
            </div>
          </Section>
        ))}
      </div>
      {editing ? (
        <Dialog open title={editing === 'new' ? t('admin.sla.new') : t('admin.sla.editTitle', { name: editing.name })} onClose={() => setEditing(null)}>
          <PolicyForm policy={editing === 'new' ? null : editing} onDone={() => { setEditing(null); list.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
