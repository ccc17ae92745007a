/**
 * The reply composer: public reply or internal note, macros (preview, use the
 * text, or apply with their actions), files, and the sensitive-data check
 * before a public reply leaves by plain email, offering a secure message
 * instead. Everything is a plain form: Tab reaches every control, Enter on a
 * button sends, errors are announced.
 */
import { useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { dlpPolicyEndpoints, type ReplyCheck } from '../../../src/http/schemas/dlp-policy.js';
import { macroEndpoints, type MacroPreview } from '../../../src/http/schemas/macros.js';
import { secureMessageEndpoints } from '../../../src/http/schemas/secure-messages.js';
import { ticketEndpoints, TICKET_STATUSES, type TicketStatus, type UploadResult } from '../../../src/http/schemas/tickets.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { SelectField, TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Notice } from '../ui/notices.js';
import { fileSize, label, type Ticket } from './shared.js';

type Mode = 'reply' | 'note';
type Uploaded = Static<typeof UploadResult>;

export function Composer({ ticket, onSent }: { ticket: Ticket; onSent: () => void }) {
  const [mode, setMode] = useState<Mode>('reply');
  const [body, setBody] = useState('');
  const [status, setStatus] = useState<'' | TicketStatus>('');
  const [files, setFiles] = useState<Uploaded[]>([]);
  const [check, setCheck] = useState<Static<typeof ReplyCheck> | null>(null);
  const [sentNotice, setSentNotice] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const focusBody = () => document.getElementById('composer-body')?.focus();

  const reset = (notice: string) => {
    setBody('');
    setFiles([]);
    setCheck(null);
    setStatus('');
    setSentNotice(notice);
    onSent();
    focusBody();
  };

  const attachmentIds = files.map((f) => f.attachmentId);
  const sendReply = async (acknowledgeSensitive: boolean) => {
    const res = await call(ticketEndpoints.reply, { params: { id: ticket.id }, body: { body, ...(status ? { status } : {}), ...(acknowledgeSensitive ? { acknowledgeSensitive: true } : {}), ...(attachmentIds.length ? { attachmentIds } : {}) } });
    reset(res.queued ? t('agent.composer.sentEmail') : t('agent.composer.sent'));
  };

  const send = useSubmit(async () => {
    setSentNotice(null);
    if (mode === 'note') {
      await call(ticketEndpoints.note, { params: { id: ticket.id }, body: { body, ...(attachmentIds.length ? { attachmentIds } : {}) } });
      reset(t('agent.composer.noteAdded'));
      return;
    }
    // What would leave by plain email is checked first; the server checks again when sending.
    const found = await call(dlpPolicyEndpoints.checkReply, { params: { id: ticket.id }, body: { body } });
    if (found.byPlainEmail && found.sensitiveTypes.length > 0) {
      setCheck(found);
      return;
    }
    await sendReply(false);
  });
  const sendAnyway = useSubmit(() => sendReply(true));
  const sendSecure = useSubmit(async () => {
    await call(secureMessageEndpoints.send, { params: { id: ticket.id }, body: { body, ...(status ? { status } : {}) } });
    reset(t('agent.composer.sentSecure'));
  });

  const upload = useSubmit(async (list: File[]) => {
    for (const file of list) {
      const res = await call(ticketEndpoints.upload, { params: { id: ticket.id }, query: { filename: file.name, ...(file.type ? { type: file.type.slice(0, 200) } : {}) } }, { raw: new Blob([file], { type: 'application/octet-stream' }) });
      setFiles((prev) => [...prev, res]);
    }
  });
  // "Remove" discards the upload on the server too, so a wrong file does not stay on the ticket as a note.
  const discard = useSubmit(async (attachmentId: string) => {
    await call(ticketEndpoints.discardUpload, { params: { id: ticket.id, attachmentId } });
    setFiles((prev) => prev.filter((x) => x.attachmentId !== attachmentId));
  });
  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const list = Array.from(e.target.files ?? []);
    e.target.value = '';
    if (list.length) void upload.run(list);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) {
      focusBody();
      return;
    }
    void send.run();
  };

  const closed = ticket.status === 'closed';
  return (
    <section className="composer" aria-labelledby="composer-title">
      <h2 id="composer-title" className="section__title">{t('agent.composer.title')}</h2>
      {closed ? <Notice tone="info">{t('agent.composer.closed')}</Notice> : null}
      <form className="form composer__form" onSubmit={onSubmit} noValidate>
        <fieldset className="composer__mode">
          <legend>{t('agent.composer.mode')}</legend>
          <label className="radio">
            <input type="radio" name="mode" value="reply" checked={mode === 'reply'} onChange={() => { setMode('reply'); setCheck(null); }} disabled={closed} />
            {t('agent.composer.public')}
          </label>
          <label className="radio">
            <input type="radio" name="mode" value="note" checked={mode === 'note'} onChange={() => { setMode('note'); setCheck(null); }} />
            {t('agent.composer.internal')}
          </label>
        </fieldset>
        <Macros ticketId={ticket.id} mode={mode} onUseText={(text) => { setBody(text); focusBody(); }} onApplied={() => reset(t('agent.macro.applied'))} />
        <TextAreaField
          id="composer-body"
          label={mode === 'note' ? t('agent.composer.noteLabel') : t('agent.composer.replyLabel')}
          hint={mode === 'note' ? t('agent.composer.noteHint') : ticket.channel === 'email' ? t('agent.composer.replyHintEmail') : t('agent.composer.replyHint')}
          rows={6}
          value={body}
          className={mode === 'note' ? 'input input--area input--note' : 'input input--area'}
          onChange={(e) => { setBody(e.target.value); setCheck(null); }}
          error={send.fieldErrors.body}
          maxLength={200_000}
        />
        <div className="composer__files">
          <label htmlFor="composer-files" className="field__label">{t('agent.composer.attach')}</label>
          <input id="composer-files" ref={fileInput} type="file" multiple onChange={onFiles} disabled={closed} />
          {upload.busy ? <span role="status">{t('agent.composer.uploading')}</span> : null}
          <ErrorNotice error={upload.error ?? discard.error} />
          {files.length ? (
            <ul className="files">
              {files.map((f) => (
                <li key={f.attachmentId} className="files__item">
                  {f.filename} <span className="muted">{fileSize(f.size)}</span>
                  {f.dangerous ? <> <Badge tone="danger">{t('agent.files.dangerous')}</Badge></> : null}{' '}
                  <Button variant="ghost" className="btn--small" busy={discard.busy} onClick={() => void discard.run(f.attachmentId)} aria-label={t('agent.composer.removeFile', { name: f.filename })}>
                    {t('action.delete')}
                  </Button>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        {mode === 'reply' ? (
          <SelectField
            label={t('agent.composer.statusAfter')}
            value={status}
            onChange={(e) => setStatus(e.target.value as '' | TicketStatus)}
            options={[{ value: '', label: t('agent.composer.statusAuto') }, ...TICKET_STATUSES.filter((s) => s !== 'new').map((s) => ({ value: s, label: label('agent.status', s) }))]}
          />
        ) : null}
        {check ? (
          <Notice tone={check.replyMode === 'block' ? 'danger' : 'warning'} title={check.replyMode === 'block' ? t('agent.dlp.blocked') : t('agent.dlp.warn')}>
            <p>{t('agent.dlp.found')}</p>
            <ul>{check.sensitiveTypes.map((s) => <li key={s}>{label('agent.sensitive', s)}</li>)}</ul>
            <div className="form__actions">
              <Button variant="primary" busy={sendSecure.busy} onClick={() => void sendSecure.run()}>{t('agent.dlp.secure')}</Button>
              {check.replyMode !== 'block' ? <Button variant="danger" busy={sendAnyway.busy} onClick={() => void sendAnyway.run()}>{t('agent.dlp.sendAnyway')}</Button> : null}
            </div>
            {files.length ? <p className="muted">{t('agent.dlp.secureNoFiles')}</p> : null}
          </Notice>
        ) : null}
        <ErrorNotice error={send.error ?? sendAnyway.error ?? sendSecure.error} />
        {sentNotice ? <Notice tone="success">{sentNotice}</Notice> : null}
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={send.busy} disabled={closed && mode === 'reply'}>
            {mode === 'note' ? t('agent.composer.addNote') : t('agent.composer.send')}
          </Button>
        </div>
      </form>
    </section>
  );
}

function Macros({ ticketId, mode, onUseText, onApplied }: { ticketId: string; mode: Mode; onUseText: (text: string) => void; onApplied: () => void }) {
  const macros = useResource((signal) => call(macroEndpoints.list, {}, { signal }), []);
  const [macroId, setMacroId] = useState('');
  const [preview, setPreview] = useState<Static<typeof MacroPreview> | null>(null);
  const load = useSubmit(async () => {
    if (!macroId) return;
    setPreview(await call(macroEndpoints.preview, { params: { id: ticketId, macroId } }));
  });
  const apply = useSubmit(async () => {
    await call(macroEndpoints.apply, { params: { id: ticketId, macroId }, body: { send: mode, ...(preview?.warnings.length ? { acknowledgeWarnings: true } : {}) } });
    setPreview(null);
    setMacroId('');
    onApplied();
  });
  const items = macros.data?.items ?? [];
  if (macros.error || items.length === 0) return null;
  return (
    <div className="composer__macros">
      <SelectField
        label={t('agent.macro.label')}
        value={macroId}
        onChange={(e) => { setMacroId(e.target.value); setPreview(null); }}
        options={[{ value: '', label: t('agent.macro.none') }, ...items.map((m) => ({ value: m.id, label: m.name }))]}
      />
      <Button className="btn--small" disabled={!macroId} busy={load.busy} onClick={() => void load.run()}>{t('agent.macro.preview')}</Button>
      <ErrorNotice error={load.error ?? apply.error} />
      {preview ? (
        <div className="macro-preview" aria-live="polite">
          <p className="field__label">{t('agent.macro.previewTitle')}</p>
          <pre className="macro-preview__body">{preview.body}</pre>
          {preview.warnings.length ? (
            <Notice tone="warning" title={t('agent.macro.warnings')}>
              <ul>{preview.warnings.map((w, i) => <li key={i}>{label('agent.sensitive', w.type)}{w.placeholder ? ` (${w.placeholder})` : ''}</li>)}</ul>
            </Notice>
          ) : null}
          <div className="form__actions">
            <Button className="btn--small" onClick={() => onUseText(preview.body)}>{t('agent.macro.useText')}</Button>
            <Button className="btn--small" variant="primary" busy={apply.busy} onClick={() => void apply.run()}>{mode === 'note' ? t('agent.macro.applyNote') : t('agent.macro.applyReply')}</Button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
