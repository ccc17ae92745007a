/**
 * Saved views in the console (decision 0142): the "Views" section under the built-in views, with
 * counts; the dialog that saves the current filters as a view (or edits and deletes one), personal
 * or shared with a team; and "Take next", which assigns the caller the next waiting ticket of the
 * view shown and opens it.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { Link, useLocation } from 'wouter';
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES, THREAT_VERDICTS, type TicketView } from '../../../src/platform/http/schemas/tickets.js';
import { teamEndpoints } from '../../../src/platform/http/schemas/users.js';
import { SLA_STATES, VIEW_COLUMNS, VIEW_SORTS, workEndpoints, type SavedView, type ViewColumn, type ViewFilters, type ViewSort } from '../../../src/platform/http/schemas/work.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { CheckboxField, FieldRow, SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Notice } from '../ui/notices.js';
import { label } from './shared.js';

export type View = Static<typeof SavedView>;
export const DEFAULT_COLUMNS: ViewColumn[] = ['number', 'subject', 'status', 'priority', 'sla', 'assignee', 'updated'];

/** The filters a built-in view stands for, as the starting point of "Save view". */
export function filtersOf(view: TicketView, teamIds: readonly string[]): ViewFilters {
  if (view === 'mine') return { assignee: ['me'] };
  if (view === 'unassigned') return { assignee: ['unassigned'] };
  if (view === 'my_team') return teamIds.length ? { teamIds: [...teamIds] } : {};
  if (view === 'breaching') return { sla: ['breaching', 'due_soon'] };
  return {};
}

/** The "Views" section of the sidebar: saved views with their open-ticket counts. */
export function SavedViewLinks({ views, current }: { views: readonly View[]; current: string | null }) {
  if (views.length === 0) return null;
  return (
    <nav className="views" aria-label={t('agent.saved.label')}>
      <h2 className="views__heading">{t('agent.saved.label')}</h2>
      <ul className="views__list">
        {views.map((v) => (
          <li key={v.id}>
            <Link href={`/tickets?saved=${v.id}`} className={v.id === current ? 'views__link views__link--current' : 'views__link'} aria-current={v.id === current ? 'page' : undefined}>
              <span>{v.name}</span>
              {v.teamId ? <span className="muted">{t('agent.saved.shared')}</span> : null}
              <span className="views__count" aria-label={t('agent.views.count', { n: v.count })}>{v.count}</span>
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** "Take next": the next waiting ticket of the view shown, assigned to you, opened. */
export function TakeNextButton({ view, savedId }: { view: TicketView; savedId: string | null }) {
  const [, navigate] = useLocation();
  const [empty, setEmpty] = useState(false);
  useEffect(() => setEmpty(false), [view, savedId]);
  const take = useSubmit(async () => {
    setEmpty(false);
    const body = savedId ? { viewId: savedId } : view === 'mine' ? {} : { view };
    const res = await call(workEndpoints.takeNext, { body });
    if (res.ticket) navigate(`/tickets/${res.ticket.id}`);
    else setEmpty(true);
  });
  return (
    <div className="take-next">
      <Button variant="primary" busy={take.busy} onClick={() => void take.run()}>{t('agent.saved.takeNext')}</Button>
      {empty ? <Notice tone="info">{t('agent.saved.nothingWaiting')}</Notice> : null}
      <ErrorNotice error={take.error} />
    </div>
  );
}

const one = <T extends string>(list: readonly T[] | undefined): string => (list?.length === 1 ? (list[0] as string) : '');
const tagsText = (f: ViewFilters) => (f.tags ?? []).join(', ');

/** Save the current filters as a view, or change or delete a saved one. */
export function SaveViewDialog({ open, onClose, start, editing, onSaved }: { open: boolean; onClose: () => void; start: ViewFilters; editing: View | null; onSaved: (id: string | null) => void }) {
  const { me, can } = useMe();
  const canShare = can('tickets.assign') && me.user.teamIds.length > 0;
  const teams = useResource((signal) => (can('users.read') ? call(teamEndpoints.list, {}, { signal }) : Promise.resolve(null)), []);
  const initial = editing?.filters ?? start;
  const [name, setName] = useState('');
  const [teamId, setTeamId] = useState('');
  const [status, setStatus] = useState<string[]>([]);
  const [priority, setPriority] = useState('');
  const [assignee, setAssignee] = useState('');
  const [sla, setSla] = useState('');
  const [channel, setChannel] = useState('');
  const [threat, setThreat] = useState('');
  const [tags, setTags] = useState('');
  const [filterTeam, setFilterTeam] = useState('');
  const [createdFrom, setCreatedFrom] = useState('');
  const [createdTo, setCreatedTo] = useState('');
  const [columns, setColumns] = useState<ViewColumn[]>(DEFAULT_COLUMNS);
  const [sort, setSort] = useState<ViewSort>('updated');
  const [sortDir, setSortDir] = useState<'asc' | 'desc'>('desc');
  useEffect(() => {
    if (!open) return;
    setName(editing?.name ?? '');
    setTeamId(editing?.teamId ?? '');
    setStatus(initial.status ?? ['new', 'open', 'pending']);
    setPriority(one(initial.priority));
    setAssignee(initial.assignee?.length === 1 && (initial.assignee[0] === 'me' || initial.assignee[0] === 'unassigned') ? initial.assignee[0] : '');
    setSla(initial.sla?.length === 2 ? 'attention' : one(initial.sla));
    setChannel(one(initial.channel));
    setThreat(one(initial.threat));
    setTags(tagsText(initial));
    setFilterTeam(initial.teamIds?.length === 1 ? (initial.teamIds[0] as string) : '');
    setCreatedFrom(initial.createdFrom?.slice(0, 10) ?? '');
    setCreatedTo(initial.createdTo?.slice(0, 10) ?? '');
    setColumns(editing?.columns ?? DEFAULT_COLUMNS);
    setSort(editing?.sort ?? 'updated');
    setSortDir(editing?.sortDir ?? 'desc');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, editing?.id]);

  const filters = (): ViewFilters => ({
    ...(status.length ? { status: status as ViewFilters['status'] } : {}),
    ...(priority ? { priority: [priority] as ViewFilters['priority'] } : {}),
    ...(assignee ? { assignee: [assignee] } : {}),
    ...(sla === 'attention' ? { sla: ['breaching', 'due_soon'] as ViewFilters['sla'] } : sla ? { sla: [sla] as ViewFilters['sla'] } : {}),
    ...(channel ? { channel: [channel] as ViewFilters['channel'] } : {}),
    ...(threat ? { threat: [threat] as ViewFilters['threat'] } : {}),
    ...(tags.trim() ? { tags: [...new Set(tags.split(',').map((x) => x.trim()).filter(Boolean))] } : {}),
    ...(filterTeam ? { teamIds: [filterTeam] } : initial.teamIds && initial.teamIds.length > 1 ? { teamIds: initial.teamIds } : {}),
    ...(createdFrom ? { createdFrom: new Date(`${createdFrom}T00:00:00`).toISOString() } : {}),
    ...(createdTo ? { createdTo: new Date(`${createdTo}T23:59:59`).toISOString() } : {}),
  });
  const save = useSubmit(async () => {
    const body = { name: name.trim(), teamId: teamId || null, filters: filters(), columns, sort, sortDir };
    if (editing) {
      await call(workEndpoints.updateView, { params: { id: editing.id }, body });
      onSaved(editing.id);
    } else {
      onSaved((await call(workEndpoints.createView, { body })).id);
    }
    onClose();
  });
  const remove = useSubmit(async () => {
    if (!editing) return;
    await call(workEndpoints.deleteView, { params: { id: editing.id } });
    onSaved(null);
    onClose();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  const any = { value: '', label: t('agent.saved.any') };
  const myTeams = (teams.data?.teams ?? []).filter((x) => me.user.teamIds.includes(x.id));
  const toggle = <T extends string>(list: T[], value: T, on: boolean): T[] => (on ? [...list, value] : list.filter((x) => x !== value));
  return (
    <Dialog open={open} title={editing ? t('agent.saved.editTitle') : t('agent.saved.saveTitle')} onClose={onClose}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <ErrorNotice error={save.error ?? remove.error} />
        <TextField label={t('agent.saved.name')} required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} error={save.fieldErrors.name} />
        {canShare ? (
          <SelectField label={t('agent.saved.share')} hint={t('agent.saved.shareHint')} value={teamId} onChange={(e) => setTeamId(e.target.value)}
            options={[{ value: '', label: t('agent.saved.personal') }, ...myTeams.map((x) => ({ value: x.id, label: x.name }))]} />
        ) : null}
        <fieldset className="fieldset">
          <legend>{t('agent.saved.statuses')}</legend>
          {TICKET_STATUSES.map((s) => (
            <CheckboxField key={s} label={label('agent.status', s)} checked={status.includes(s)} onChange={(e) => setStatus(toggle(status, s, e.target.checked))} />
          ))}
        </fieldset>
        <FieldRow>
          <SelectField label={t('agent.saved.priority')} value={priority} onChange={(e) => setPriority(e.target.value)} options={[any, ...TICKET_PRIORITIES.map((p) => ({ value: p, label: label('agent.priority', p) }))]} />
          <SelectField label={t('agent.saved.assignee')} value={assignee} onChange={(e) => setAssignee(e.target.value)}
            options={[any, { value: 'me', label: t('agent.list.you') }, { value: 'unassigned', label: t('agent.list.unassigned') }]} />
        </FieldRow>
        <FieldRow>
          <SelectField label={t('agent.saved.sla')} value={sla} onChange={(e) => setSla(e.target.value)}
            options={[any, { value: 'attention', label: t('agent.saved.sla.attention') }, ...SLA_STATES.map((s) => ({ value: s, label: t(`agent.saved.sla.${s}`) }))]} />
          <SelectField label={t('agent.saved.channel')} value={channel} onChange={(e) => setChannel(e.target.value)} options={[any, ...TICKET_CHANNELS.map((c) => ({ value: c, label: label('agent.channel', c) }))]} />
        </FieldRow>
        <FieldRow>
          <SelectField label={t('agent.saved.threat')} value={threat} onChange={(e) => setThreat(e.target.value)} options={[any, ...THREAT_VERDICTS.map((v) => ({ value: v, label: t(`agent.saved.threat.${v}`) }))]} />
          {teams.data ? (
            <SelectField label={t('agent.saved.team')} value={filterTeam} onChange={(e) => setFilterTeam(e.target.value)} options={[any, ...teams.data.teams.map((x) => ({ value: x.id, label: x.name }))]} />
          ) : null}
        </FieldRow>
        <TextField label={t('agent.saved.tags')} hint={t('agent.saved.tagsHint')} value={tags} onChange={(e) => setTags(e.target.value)} />
        <FieldRow>
          <TextField label={t('agent.saved.createdFrom')} type="date" value={createdFrom} onChange={(e) => setCreatedFrom(e.target.value)} />
          <TextField label={t('agent.saved.createdTo')} type="date" value={createdTo} onChange={(e) => setCreatedTo(e.target.value)} />
        </FieldRow>
        <fieldset className="fieldset">
          <legend>{t('agent.saved.columns')}</legend>
          {VIEW_COLUMNS.map((c) => (
            <CheckboxField key={c} label={t(`agent.saved.column.${c}`)} checked={columns.includes(c)} onChange={(e) => setColumns(toggle(columns, c, e.target.checked))} />
          ))}
        </fieldset>
        <FieldRow>
          <SelectField label={t('agent.saved.sort')} value={sort} onChange={(e) => setSort(e.target.value as ViewSort)} options={VIEW_SORTS.map((s) => ({ value: s, label: t(`agent.saved.sort.${s}`) }))} />
          <SelectField label={t('agent.saved.sortDir')} value={sortDir} onChange={(e) => setSortDir(e.target.value as 'asc' | 'desc')}
            options={[{ value: 'desc', label: t('agent.saved.sortDir.desc') }, { value: 'asc', label: t('agent.saved.sortDir.asc') }]} />
        </FieldRow>
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={save.busy} disabled={!name.trim() || columns.length === 0}>{t('action.save')}</Button>
          {editing ? <Button variant="danger" busy={remove.busy} onClick={() => void remove.run()}>{t('agent.saved.delete')}</Button> : null}
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}
