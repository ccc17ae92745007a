/**
 * Macros: canned replies with placeholders and actions. The editor shows a
 * preview of the text with sample values; the server refuses card numbers and
 * secrets and reports other sensitive types it found.
 */
import { useState } from 'react';
import type { Static } from 'typebox';
import { macroEndpoints, type Macro } from '../../../src/platform/http/schemas/macros.js';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ConfirmButton, linesToList } from './shared.js';

type MacroRow = Static<typeof Macro>;

/** Sample values for the preview; the real ones come from the ticket when an agent applies it. */
const SAMPLE: Record<string, string> = {
  'customer.name': 'Ada Lovelace',
  'customer.first_name': 'Ada',
  'ticket.number': '1042',
  'ticket.subject': 'Order not delivered',
  'agent.name': 'Sam Agent',
  'agent.first_name': 'Sam',
  'customer.email': 'ada@example.org',
};

export function previewText(body: string): string {
  return body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => SAMPLE[name] ?? whole);
}

function MacroForm({ macro, onDone }: { macro: MacroRow | null; onDone: (warnings: string[]) => void }) {
  const [name, setName] = useState(macro?.name ?? '');
  const [body, setBody] = useState(macro?.body ?? '');
  const [status, setStatus] = useState<string>(macro?.actions.status ?? '');
  const [priority, setPriority] = useState<string>(macro?.actions.priority ?? '');
  const [tags, setTags] = useState((macro?.actions.addTags ?? []).join(', '));
  const submit = useSubmit(async () => {
    const actions = {
      ...(status ? { status: status as (typeof TICKET_STATUSES)[number] } : {}),
      ...(priority ? { priority: priority as (typeof TICKET_PRIORITIES)[number] } : {}),
      ...(linesToList(tags).length ? { addTags: linesToList(tags) } : {}),
    };
    const input = { body: { name: name.trim(), body, actions } };
    const saved = macro ? await call(macroEndpoints.update, { params: { id: macro.id }, ...input }) : await call(macroEndpoints.create, input);
    return saved.warnings;
  });
  return (
    <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); const w = await submit.run(); if (w) onDone(w); }}>
      <TextField label={t('admin.macros.name')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
      <TextAreaField label={t('admin.macros.body')} hint={t('admin.macros.bodyHint')} rows={6} value={body} onChange={(e) => setBody(e.target.value)} error={submit.fieldErrors.body} />
      <div className="adm-preview" aria-live="polite">
        <p className="field__label">{t('admin.macros.preview')}</p>
        <p className="adm-preview__text">{previewText(body) || t('admin.macros.previewEmpty')}</p>
      </div>
      <div className="field-row">
        <SelectField label={t('admin.macros.setStatus')} value={status} onChange={(e) => setStatus(e.target.value)} options={[{ value: '', label: t('admin.macros.noChange') }, ...TICKET_STATUSES.map((s) => ({ value: s, label: t(`admin.status.${s}`) }))]} />
        <SelectField label={t('admin.macros.setPriority')} value={priority} onChange={(e) => setPriority(e.target.value)} options={[{ value: '', label: t('admin.macros.noChange') }, ...TICKET_PRIORITIES.map((p) => ({ value: p, label: t(`admin.priority.${p}`) }))]} />
        <TextField label={t('admin.macros.addTags')} hint={t('admin.common.commaSeparated')} optional value={tags} onChange={(e) => setTags(e.target.value)} error={Object.entries(submit.fieldErrors).find(([k]) => k.startsWith('actions'))?.[1]} />
      </div>
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

export function Macros() {
  const list = useResource(() => call(macroEndpoints.list), []);
  const [editing, setEditing] = useState<MacroRow | 'new' | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  return (
    <Page title={t('admin.macros.title')} subtitle={t('admin.macros.subtitle')} wide actions={<Button variant="primary" onClick={() => setEditing('new')}>{t('admin.macros.new')}</Button>}>
      <AdminNav />
      {warnings.length ? <Notice tone="warning" title={t('admin.macros.warnings')}>{warnings.join(', ')}</Notice> : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 ? <EmptyState title={t('admin.macros.empty')} /> : null}
      <div className="adm-cards">
        {list.data?.items.map((m) => (
          <Section key={m.id} title={m.name} id={`macro-${m.id}`}>
            <p className="adm-preview__text">{m.body}</p>
            <div className="adm-actions">
              <Button className="btn--small" onClick={() => setEditing(m)}>{t('action.edit')}</Button>
              <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.macros.deleteTitle', { name: m.name })} body={<p>{t('admin.macros.deleteBody')}</p>}
                onConfirm={async () => { await call(macroEndpoints.remove, { params: { id: m.id } }); list.reload(); }} />
            </div>
          </Section>
        ))}
      </div>
      {editing ? (
        <Dialog open title={editing === 'new' ? t('admin.macros.new') : t('admin.macros.editTitle', { name: editing.name })} onClose={() => setEditing(null)}>
          <MacroForm macro={editing === 'new' ? null : editing} onDone={(w) => { setEditing(null); setWarnings(w); list.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
