/** A new ticket for an email address (the customer is found or created), opened by an agent. */
import { useState, type FormEvent } from 'react';
import { ticketEndpoints, TICKET_PRIORITIES, type TicketPriority } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice } from '../ui/notices.js';
import { label } from './shared.js';

export function NewTicketDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (id: string) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [priority, setPriority] = useState<TicketPriority>('normal');
  const submit = useSubmit(async () => {
    const created = await call(ticketEndpoints.create, { body: { email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}), subject, body, priority } });
    onCreated(created.id);
    onClose();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const fe = submit.fieldErrors;
  return (
    <Dialog open={open} title={t('agent.new.title')} onClose={onClose}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <ErrorNotice error={submit.error} />
        <TextField label={t('agent.new.email')} type="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} error={fe.email} />
        <TextField label={t('agent.new.name')} optional value={name} onChange={(e) => setName(e.target.value)} error={fe.name} />
        <TextField label={t('agent.new.subject')} required value={subject} onChange={(e) => setSubject(e.target.value)} error={fe.subject} />
        <TextAreaField label={t('agent.new.body')} hint={t('agent.new.bodyHint')} required rows={5} value={body} onChange={(e) => setBody(e.target.value)} error={fe.body} />
        <SelectField label={t('agent.ticket.priority')} value={priority} onChange={(e) => setPriority(e.target.value as TicketPriority)} options={TICKET_PRIORITIES.map((p) => ({ value: p, label: label('agent.priority', p) }))} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('agent.new.create')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}
