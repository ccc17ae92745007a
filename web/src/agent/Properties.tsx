/**
 * The ticket's properties: status, priority, tags and team (one form, saved
 * together), assignment (to me, to a colleague of the ticket's team, or
 * nobody), and the SLA clock. Controls the
 * ticket's abilities refuse are not shown; the server decides anyway.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { teamEndpoints } from '../../../src/platform/http/schemas/users.js';
import { ticketEndpoints, TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../../../src/platform/http/schemas/tickets.js';
import { workEndpoints } from '../../../src/platform/http/schemas/work.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Notice } from '../ui/notices.js';
import { label, personName, SlaClock, type Ticket } from './shared.js';

function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((x) => x.trim()).filter(Boolean))];
}

export function Properties({ ticket, onChanged }: { ticket: Ticket; onChanged: () => void }) {
  const { me, can } = useMe();
  const canWrite = ticket.abilities['tickets.write'];
  const canAssign = ticket.abilities['tickets.assign'];
  const teams = useResource((signal) => (can('users.read') ? call(teamEndpoints.list, {}, { signal }) : Promise.resolve(null)), []);
  const [status, setStatus] = useState<TicketStatus>(ticket.status);
  const [priority, setPriority] = useState<TicketPriority>(ticket.priority);
  const [tags, setTags] = useState(ticket.tags.join(', '));
  const [teamId, setTeamId] = useState(ticket.teamId ?? '');
  const [saved, setSaved] = useState(false);
  const people = useResource((signal) => (canAssign ? call(ticketEndpoints.assignees, { params: { id: ticket.id } }, { signal }) : Promise.resolve(null)), [ticket.id, ticket.teamId, canAssign]);
  const [assigneeId, setAssigneeId] = useState(ticket.assigneeId ?? '');
  useEffect(() => setAssigneeId(ticket.assigneeId ?? ''), [ticket.assigneeId]);
  useEffect(() => {
    setStatus(ticket.status);
    setPriority(ticket.priority);
    setTags(ticket.tags.join(', '));
    setTeamId(ticket.teamId ?? '');
  }, [ticket.status, ticket.priority, ticket.tags, ticket.teamId]);

  const save = useSubmit(async () => {
    setSaved(false);
    const nextTags = parseTags(tags);
    const edit = {
      ...(priority !== ticket.priority ? { priority } : {}),
      ...(nextTags.join(',') !== ticket.tags.join(',') ? { tags: nextTags } : {}),
      ...(canAssign && (teamId || null) !== ticket.teamId ? { teamId: teamId || null } : {}),
    };
    if (Object.keys(edit).length) await call(ticketEndpoints.update, { params: { id: ticket.id }, body: edit });
    if (status !== ticket.status) await call(ticketEndpoints.status, { params: { id: ticket.id }, body: { status } });
    setSaved(true);
    onChanged();
  });
  const assign = useSubmit(async (assigneeId: string | null) => {
    await call(ticketEndpoints.assign, { params: { id: ticket.id }, body: { assigneeId } });
    onChanged();
  });
  // "Assign to me" (tickets.take): an unassigned ticket, or anyone's for a lead; `a` is its keyboard shortcut.
  const canTake = ticket.abilities['tickets.take'] && ticket.assigneeId !== me.user.id && ticket.status !== 'closed' && (ticket.assigneeId === null || canAssign);
  const take = useSubmit(async () => {
    await call(workEndpoints.take, { params: { id: ticket.id } });
    onChanged();
  });
  const onAssign = (e: FormEvent) => {
    e.preventDefault();
    void assign.run(assigneeId || null);
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };

  const teamOptions = teams.data ? [{ value: '', label: t('agent.props.noTeam') }, ...teams.data.teams.map((x) => ({ value: x.id, label: x.name }))] : null;
  const firstDue = !ticket.firstResponseAt && ticket.firstResponseDueAt && ticket.status !== 'solved' && ticket.status !== 'closed' ? ticket.firstResponseDueAt : null;
  const resolutionDue = ticket.resolutionDueAt && ticket.status !== 'solved' && ticket.status !== 'closed' ? ticket.resolutionDueAt : null;
  return (
    <section className="panel" aria-labelledby="props-title">
      <h2 id="props-title" className="section__title">{t('agent.props.title')}</h2>
      <dl className="facts facts--compact">
        <div><dt>{t('agent.sla.firstResponse')}</dt><dd>{firstDue ? <SlaClock at={firstDue} /> : ticket.firstResponseAt ? t('agent.sla.met') : t('agent.sla.none')}</dd></div>
        <div><dt>{t('agent.sla.resolution')}</dt><dd>{resolutionDue ? <SlaClock at={resolutionDue} /> : t('agent.sla.none')}</dd></div>
        <div>
          <dt>{t('agent.props.assignee')}</dt>
          <dd>{personName(ticket.staff, ticket.assigneeId, me.user.id)}</dd>
        </div>
        <div><dt>{t('agent.props.channel')}</dt><dd>{label('agent.channel', ticket.channel)}</dd></div>
      </dl>
      {canTake ? (
        <div className="form__actions">
          <Button className="btn--small" variant="primary" data-shortcut="a" busy={take.busy} onClick={() => void take.run()}>{t('agent.props.assignMe')}</Button>
        </div>
      ) : null}
      <ErrorNotice error={take.error} />
      {canAssign ? (
        <div className="form__actions">
          {!ticket.abilities['tickets.take'] && ticket.assigneeId !== me.user.id && people.data?.items.some((x) => x.id === me.user.id) ? (
            <Button className="btn--small" busy={assign.busy} onClick={() => void assign.run(me.user.id)}>{t('agent.props.assignMe')}</Button>
          ) : null}
          {ticket.assigneeId !== null ? <Button className="btn--small" busy={assign.busy} onClick={() => void assign.run(null)}>{t('agent.props.unassign')}</Button> : null}
        </div>
      ) : null}
      {canAssign && people.data ? (
        <form className="form assign-form" onSubmit={onAssign} noValidate>
          <SelectField
            label={t('agent.props.assignTo')}
            value={assigneeId}
            onChange={(e) => setAssigneeId(e.target.value)}
            options={[
              { value: '', label: t('agent.list.unassigned') },
              ...people.data.items.map((x) => ({ value: x.id, label: x.id === me.user.id ? t('agent.props.meNamed', { name: x.name }) : x.name })),
            ]}
          />
          <Button type="submit" className="btn--small" busy={assign.busy} disabled={(assigneeId || null) === ticket.assigneeId}>{t('agent.props.assign')}</Button>
        </form>
      ) : null}
      <ErrorNotice error={people.error ?? assign.error} />
      {canWrite ? (
        <form className="form" onSubmit={onSubmit} noValidate>
          <SelectField data-shortcut="s" label={t('agent.ticket.status')} value={status} onChange={(e) => setStatus(e.target.value as TicketStatus)} options={TICKET_STATUSES.map((s) => ({ value: s, label: label('agent.status', s) }))} />
          <SelectField label={t('agent.ticket.priority')} value={priority} onChange={(e) => setPriority(e.target.value as TicketPriority)} options={TICKET_PRIORITIES.map((p) => ({ value: p, label: label('agent.priority', p) }))} />
          <TextField label={t('agent.props.tags')} hint={t('agent.props.tagsHint')} value={tags} onChange={(e) => setTags(e.target.value)} error={save.fieldErrors.tags} />
          {canAssign && teamOptions ? <SelectField label={t('agent.props.team')} value={teamId} onChange={(e) => setTeamId(e.target.value)} options={teamOptions} /> : null}
          <ErrorNotice error={save.error} />
          {saved && !save.busy ? <Notice tone="success">{t('agent.props.saved')}</Notice> : null}
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={save.busy}>{t('action.save')}</Button>
          </div>
        </form>
      ) : (
        <p className="muted">{ticket.tags.length ? ticket.tags.join(', ') : t('agent.props.noTags')}</p>
      )}
    </section>
  );
}
