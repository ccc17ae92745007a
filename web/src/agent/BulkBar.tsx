/**
 * Bulk actions on the selected tickets of the list (tickets.bulk): status,
 * priority, a tag to add or remove, and (with tickets.assign) assign to me or
 * unassign. One request; the server applies it to all of them or to none,
 * and its refusal is shown as words. "Merge" (2 to 21 selected) asks which
 * ticket to keep; the others close and their messages move to it.
 */
import { useState, type FormEvent } from 'react';
import { MAX_BULK_TICKETS, MAX_MERGE_SOURCES, ticketEndpoints, TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice } from '../ui/notices.js';
import { label, type Summary } from './shared.js';

type Assignment = '' | 'me' | 'nobody';

export function BulkBar({ selected, rows, onDone, onMerged, onClear }: { selected: string[]; rows: Summary[]; onDone: (updated: number) => void; onMerged: (into: Summary, merged: number) => void; onClear: () => void }) {
  const { me, can } = useMe();
  const [status, setStatus] = useState<TicketStatus | ''>('');
  const [priority, setPriority] = useState<TicketPriority | ''>('');
  const [addTag, setAddTag] = useState('');
  const [removeTag, setRemoveTag] = useState('');
  const [assignment, setAssignment] = useState<Assignment>('');
  const canAssign = can('tickets.assign');

  const apply = useSubmit(async () => {
    const body = {
      ticketIds: selected.slice(0, MAX_BULK_TICKETS),
      ...(status ? { status } : {}),
      ...(priority ? { priority } : {}),
      ...(addTag.trim() ? { addTags: [addTag.trim()] } : {}),
      ...(removeTag.trim() ? { removeTags: [removeTag.trim()] } : {}),
      ...(assignment === 'me' ? { assigneeId: me.user.id } : assignment === 'nobody' ? { assigneeId: null } : {}),
    };
    const result = await call(ticketEndpoints.bulk, { body });
    setStatus('');
    setPriority('');
    setAddTag('');
    setRemoveTag('');
    setAssignment('');
    onDone(result.updated);
  });
  const nothingChosen = !status && !priority && !addTag.trim() && !removeTag.trim() && !assignment;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void apply.run();
  };

  const [merging, setMerging] = useState(false);
  const chosen = rows.filter((r) => selected.includes(r.id));
  const [keepId, setKeepId] = useState('');
  const keep = chosen.find((r) => r.id === keepId) ?? chosen[0];
  const merge = useSubmit(async () => {
    if (!keep) return;
    const result = await call(ticketEndpoints.merge, { params: { id: keep.id }, body: { sourceIds: chosen.filter((r) => r.id !== keep.id).map((r) => r.id) } });
    setMerging(false);
    onMerged(keep, result.merged);
  });
  const canMerge = chosen.length >= 2 && chosen.length <= MAX_MERGE_SOURCES + 1;

  if (selected.length === 0) return null;
  return (
    <form className="bulk-bar" aria-label={t('agent.bulk.label')} onSubmit={onSubmit} noValidate>
      <p className="bulk-bar__count" role="status">{tp('agent.bulk.selected', selected.length)}</p>
      <div className="bulk-bar__fields">
        <SelectField label={t('agent.ticket.status')} value={status} onChange={(e) => setStatus(e.target.value as TicketStatus | '')} options={[{ value: '', label: t('agent.bulk.keep') }, ...TICKET_STATUSES.map((s) => ({ value: s, label: label('agent.status', s) }))]} />
        <SelectField label={t('agent.ticket.priority')} value={priority} onChange={(e) => setPriority(e.target.value as TicketPriority | '')} options={[{ value: '', label: t('agent.bulk.keep') }, ...TICKET_PRIORITIES.map((p) => ({ value: p, label: label('agent.priority', p) }))]} />
        {canAssign ? (
          <SelectField
            label={t('agent.props.assignee')}
            value={assignment}
            onChange={(e) => setAssignment(e.target.value as Assignment)}
            options={[{ value: '', label: t('agent.bulk.keep') }, { value: 'me', label: t('agent.props.assignMe') }, { value: 'nobody', label: t('agent.props.unassign') }]}
          />
        ) : null}
        <TextField label={t('agent.bulk.addTag')} value={addTag} maxLength={50} onChange={(e) => setAddTag(e.target.value)} error={apply.fieldErrors['addTags.0']} />
        <TextField label={t('agent.bulk.removeTag')} value={removeTag} maxLength={50} onChange={(e) => setRemoveTag(e.target.value)} error={apply.fieldErrors['removeTags.0']} />
      </div>
      <ErrorNotice error={apply.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={apply.busy} disabled={nothingChosen}>{tp('agent.bulk.apply', selected.length)}</Button>
        {canMerge ? (
          <Button
            onClick={() => {
              merge.reset();
              setKeepId(chosen[0]?.id ?? '');
              setMerging(true);
            }}
          >
            {t('agent.merge.open')}
          </Button>
        ) : null}
        <Button onClick={onClear}>{t('agent.bulk.clear')}</Button>
      </div>
      <Dialog
        open={merging}
        title={tp('agent.merge.title', chosen.length)}
        onClose={() => setMerging(false)}
        footer={
          <>
            <Button variant="primary" busy={merge.busy} onClick={() => void merge.run()}>{t('agent.merge.confirm')}</Button>
            <Button onClick={() => setMerging(false)}>{t('action.cancel')}</Button>
          </>
        }
      >
        <p>{t('agent.merge.explain')}</p>
        <SelectField
          label={t('agent.merge.keep')}
          value={keep?.id ?? ''}
          onChange={(e) => setKeepId(e.target.value)}
          options={chosen.map((r) => ({ value: r.id, label: `#${r.number} ${r.subject ?? t('agent.ticket.noSubject')}` }))}
        />
        <ErrorNotice error={merge.error} />
      </Dialog>
    </form>
  );
}
