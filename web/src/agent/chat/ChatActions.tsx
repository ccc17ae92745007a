/**
 * Transfer and End on an open chat, inline rather than in dialogs: the conversation stays in view and the
 * keyboard stays in the pane. Transfer offers the people the ticket can be assigned to and the teams (the
 * ticket page's own sources: /api/tickets/:id/assignees with tickets.assign, /api/teams with users.read — an
 * agent transferring their own chat without tickets.assign picks a team); End asks once before it acts.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ticketEndpoints } from '../../../../src/platform/http/schemas/tickets.js';
import { call } from '../../api.js';
import { t } from '../../i18n/index.js';
import { useMe } from '../../session.js';
import { Button } from '../../ui/Button.js';
import { useResource, useSubmit } from '../../ui/hooks.js';
import { ErrorNotice } from '../../ui/notices.js';
import { chatEndpoints } from '../../../../src/platform/http/schemas/chat.js';

export function TransferChat({ ticketId, canPeople, onDone }: { ticketId: string; canPeople: boolean; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button className="btn--small" aria-expanded={open} aria-controls="chat-transfer" onClick={() => setOpen((o) => !o)}>{t('agentChat.transfer.open')}</Button>
      {open ? <TransferForm ticketId={ticketId} canPeople={canPeople} onClose={() => setOpen(false)} onDone={() => { setOpen(false); onDone(); }} /> : null}
    </>
  );
}

function TransferForm({ ticketId, canPeople, onClose, onDone }: { ticketId: string; canPeople: boolean; onClose: () => void; onDone: () => void }) {
  const { me } = useMe();
  const selectId = useId();
  const select = useRef<HTMLSelectElement>(null);
  const targets = useResource(async (signal) => {
    const [people, teams] = await Promise.all([
      canPeople ? call(ticketEndpoints.assignees, { params: { id: ticketId } }, { signal }) : Promise.resolve(null),
      call(chatEndpoints.transferTeams, { params: { id: ticketId } }, { signal }),
    ]);
    return { people: (people?.items ?? []).filter((p) => p.id !== me.user.id), teams: teams.teams };
  }, [ticketId, canPeople]);
  const [target, setTarget] = useState('');
  useEffect(() => {
    if (targets.data) select.current?.focus();
  }, [targets.data]);
  const submit = useSubmit(async () => {
    const [kind, id] = target.split(':');
    if (!id) return;
    await call(chatEndpoints.transfer, { params: { id: ticketId }, body: kind === 'team' ? { teamId: id } : { userId: id } });
    onDone();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form id="chat-transfer" className="chat-inline-form" onSubmit={onSubmit} noValidate onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } }}>
      <ErrorNotice error={targets.error ?? submit.error} />
      <div className="field">
        <label className="field__label" htmlFor={selectId}>{t('agentChat.transfer.to')}</label>
        <select id={selectId} ref={select} className="input" value={target} onChange={(e) => setTarget(e.target.value)} disabled={!targets.data}>
          <option value="">{t('agentChat.transfer.pick')}</option>
          {targets.data?.people.length ? (
            <optgroup label={t('agentChat.transfer.people')}>
              {targets.data.people.map((p) => <option key={p.id} value={`user:${p.id}`}>{p.name}</option>)}
            </optgroup>
          ) : null}
          {targets.data?.teams.length ? (
            <optgroup label={t('agentChat.transfer.teams')}>
              {targets.data.teams.map((x) => <option key={x.id} value={`team:${x.id}`}>{x.name}</option>)}
            </optgroup>
          ) : null}
        </select>
      </div>
      <div className="form__actions">
        <Button type="submit" variant="primary" className="btn--small" disabled={!target} busy={submit.busy}>{t('agentChat.transfer.submit')}</Button>
        <Button className="btn--small" onClick={onClose}>{t('action.cancel')}</Button>
      </div>
    </form>
  );
}

export function EndChat({ ticketId, onDone }: { ticketId: string; onDone: () => void }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  const end = useSubmit(async () => {
    await call(chatEndpoints.end, { params: { id: ticketId } });
    setAsking(false);
    onDone();
  });
  const cancel = () => {
    setAsking(false);
    requestAnimationFrame(() => opener.current?.focus());
  };
  if (!asking) return <button type="button" ref={opener} className="btn btn--danger btn--small" onClick={() => setAsking(true)}>{t('agentChat.end.open')}</button>;
  return (
    <div className="chat-inline-form" role="group" aria-labelledby="chat-end-question" onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); cancel(); } }}>
      <p id="chat-end-question">{t('agentChat.end.question')}</p>
      <ErrorNotice error={end.error} />
      <div className="form__actions">
        <button type="button" ref={confirm} className="btn btn--danger btn--small" disabled={end.busy} aria-busy={end.busy || undefined} onClick={() => void end.run()}>{t('agentChat.end.confirm')}</button>
        <Button className="btn--small" onClick={cancel}>{t('agentChat.end.keep')}</Button>
      </div>
    </div>
  );
}
