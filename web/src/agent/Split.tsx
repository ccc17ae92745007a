/**
 * "Split…" on the ticket page (tickets.bulk): pick messages that belong to a
 * separate matter and move them to a new ticket with its own subject. The
 * server keeps at least one message on this ticket and audits both sides.
 */
import { useState } from 'react';
import { useLocation } from 'wouter';
import { TICKET_SUBJECT_MAX_CHARS, ticketEndpoints } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { CheckboxField, TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice } from '../ui/notices.js';
import { author } from './Conversation.js';
import { visibleMessages, type Ticket } from './shared.js';

const EXCERPT = 80;

export function SplitTicket({ ticket }: { ticket: Ticket }) {
  const { me } = useMe();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [subject, setSubject] = useState('');
  const messages = visibleMessages(ticket);
  const split = useSubmit(async () => {
    const created = await call(ticketEndpoints.split, { params: { id: ticket.id }, body: { messageIds: chosen, subject: subject.trim() } });
    setOpen(false);
    navigate(`/tickets/${created.id}`);
  });
  if (messages.length < 2) return null;
  const tooMany = chosen.length >= messages.length;
  return (
    <>
      <Button
        onClick={() => {
          split.reset();
          setChosen([]);
          setSubject(ticket.subject ?? '');
          setOpen(true);
        }}
      >
        {t('agent.split.open')}
      </Button>
      <Dialog
        open={open}
        title={t('agent.split.title', { number: ticket.number })}
        onClose={() => setOpen(false)}
        footer={
          <>
            <Button variant="primary" busy={split.busy} disabled={chosen.length === 0 || tooMany || !subject.trim()} onClick={() => void split.run()}>{t('agent.split.confirm')}</Button>
            <Button onClick={() => setOpen(false)}>{t('action.cancel')}</Button>
          </>
        }
      >
        <p>{t('agent.split.explain')}</p>
        <TextField label={t('agent.split.subject')} value={subject} maxLength={TICKET_SUBJECT_MAX_CHARS} onChange={(e) => setSubject(e.target.value)} error={split.fieldErrors.subject} />
        <fieldset className="split__messages">
          <legend className="field__label">{t('agent.split.messages')}</legend>
          {messages.map((m) => (
            <CheckboxField
              key={m.id}
              label={`${author(m, me.user.id, ticket.staff)}, ${formatDateTime(m.createdAt)}`}
              hint={m.body ? (m.body.length > EXCERPT ? `${m.body.slice(0, EXCERPT)}…` : m.body) : undefined}
              checked={chosen.includes(m.id)}
              onChange={(e) => setChosen((prev) => (e.target.checked ? [...prev, m.id] : prev.filter((x) => x !== m.id)))}
            />
          ))}
        </fieldset>
        {tooMany ? <p className="field__error" role="alert">{t('agent.split.leaveOne')}</p> : null}
        <ErrorNotice error={split.error} />
      </Dialog>
    </>
  );
}
