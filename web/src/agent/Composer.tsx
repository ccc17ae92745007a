/**
 * The reply composer: public reply or internal note, macros (preview, use the
 * text, or apply with their actions), files, and the sensitive-data check
 * before a public reply leaves by plain email, offering a secure message
 * instead. Everything is a plain form: Tab reaches every control, Enter on a
 * button sends, errors are announced. The text is rich (bold, italic, lists,
 * links, pasted screenshots uploaded as ticket files and sent by cid), in an
 * editor loaded on demand; r and n open the reply or the note (decision 0149).
 */
import { useCallback, useId, useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import type { Static } from 'typebox';
import { dlpPolicyEndpoints, type ReplyCheck } from '../../../src/platform/http/schemas/dlp-policy.js';
import { macroEndpoints, type MacroPreview } from '../../../src/platform/http/schemas/macros.js';
import { secureMessageEndpoints } from '../../../src/platform/http/schemas/secure-messages.js';
import { signatureEndpoints } from '../../../src/platform/http/schemas/signatures.js';
import { ticketAttachmentUrl, ticketEndpoints, TICKET_STATUSES, type TicketStatus, type UploadResult } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { SelectField } from '../ui/fields.js';
import { LazyRichEditor } from '../ui/LazyRichEditor.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Notice } from '../ui/notices.js';
import { fileSize, label, type Ticket } from './shared.js';
import { ArticlePicker } from './ArticlePicker.js';
import { useShortcut } from './shortcuts.js';

type Mode = 'reply' | 'note';
type Uploaded = Static<typeof UploadResult>;

export function Composer({ ticket, onSent }: { ticket: Ticket; onSent: () => void }) {
  const [chosen, setMode] = useState<Mode>('reply');
  // A ticket held after a phishing report takes internal notes only (the server refuses replies too).
  const held = ticket.held !== null;
  const mode: Mode = held ? 'note' : chosen;
  const [body, setBody] = useState('');
  const [html, setHtml] = useState('');
  // Text put into the editor from outside (a macro's text, '' after sending); `version` tells the editor to take it.
  const [initial, setInitial] = useState({ html: '', version: 0 });
  const [status, setStatus] = useState<'' | TicketStatus>('');
  const [files, setFiles] = useState<Uploaded[]>([]);
  const [check, setCheck] = useState<Static<typeof ReplyCheck> | null>(null);
  const [sentNotice, setSentNotice] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const focusBody = () => document.getElementById('composer-body')?.focus();
  const labelId = useId();
  const hintId = useId();
  const onEdit = useCallback((nextHtml: string, text: string) => {
    setHtml(nextHtml);
    setBody(text);
    setCheck(null);
  }, []);
  const escapeText = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const escapeAttr = (v: string) => escapeText(v).replace(/"/g, '&quot;');
  const putText = (value: string) => setInitial((prev) => ({ html: plainToHtml(value), version: prev.version + 1 }));
  // r and n: straight to writing a reply or a note (the registry never fires them while typing).
  const openMode = (m: Mode) => {
    if (m === 'reply' && (held || ticket.status === 'closed')) return false;
    setMode(m);
    setCheck(null);
    requestAnimationFrame(focusBody);
    return true;
  };
  useShortcut('r', () => openMode('reply'));
  useShortcut('n', () => openMode('note'));
  const byEmail = ticket.channel === 'email' && ticket.requesterId !== null;
  const signature = useResource((signal) => (byEmail ? call(signatureEndpoints.forTicket, { params: { id: ticket.id } }, { signal }) : Promise.resolve(null)), [ticket.id, byEmail]);

  const reset = (notice: string) => {
    setBody('');
    setHtml('');
    setInitial((prev) => ({ html: '', version: prev.version + 1 }));
    setFiles([]);
    setCheck(null);
    setStatus('');
    setSentNotice(notice);
    onSent();
    focusBody();
  };

  const attachmentIds = files.map((f) => f.attachmentId);
  // Images shown in the editor from the ticket's file address go out as cid references to the same files.
  const richBody = () => (html ? { html: html.replace(/src="\/api\/tickets\/[^/"]+\/attachments\/([0-9a-f-]{36})"/gi, 'src="cid:$1@trustdesk"') } : {});
  // The server derives the stored text from the HTML; an image-only draft still needs a non-empty text field.
  const textBody = () => (body.trim() ? body : t('agent.composer.imageOnly'));
  const sendReply = async (acknowledgeSensitive: boolean) => {
    const res = await call(ticketEndpoints.reply, { params: { id: ticket.id }, body: { body: textBody(), ...richBody(), ...(status ? { status } : {}), ...(acknowledgeSensitive ? { acknowledgeSensitive: true } : {}), ...(attachmentIds.length ? { attachmentIds } : {}) } });
    reset(res.queued ? t('agent.composer.sentEmail') : t('agent.composer.sent'));
  };

  const send = useSubmit(async () => {
    setSentNotice(null);
    if (mode === 'note') {
      await call(ticketEndpoints.note, { params: { id: ticket.id }, body: { body: textBody(), ...richBody(), ...(attachmentIds.length ? { attachmentIds } : {}) } });
      reset(t('agent.composer.noteAdded'));
      return;
    }
    // What would leave by plain email is checked first; the server checks again when sending.
    const found = await call(dlpPolicyEndpoints.checkReply, { params: { id: ticket.id }, body: { body: textBody() } });
    // Also stop when the reply would lose something (a one-time code) before the customer sees it: the agent decides.
    if ((found.byPlainEmail && found.sensitiveTypes.length > 0) || found.removedTypes.length > 0) {
      setCheck(found);
      return;
    }
    await sendReply(false);
  });
  const sendAnyway = useSubmit(() => sendReply(true));
  const sendSecure = useSubmit(async () => {
    await call(secureMessageEndpoints.send, { params: { id: ticket.id }, body: { body: textBody(), ...(status ? { status } : {}) } });
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
  // A pasted, dropped or picked image: uploaded as a ticket file (like any attachment), shown from its address.
  const onImage = async (file: File) => {
    const res = await call(ticketEndpoints.upload, { params: { id: ticket.id }, query: { filename: file.name || 'image.png', ...(file.type ? { type: file.type.slice(0, 200) } : {}) } }, { raw: new Blob([file], { type: 'application/octet-stream' }) }).catch(() => null);
    if (!res) return null;
    setFiles((prev) => [...prev, res]);
    return { src: ticketAttachmentUrl(ticket.id, res.attachmentId), alt: res.filename };
  };
  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const list = Array.from(e.target.files ?? []);
    e.target.value = '';
    if (list.length) void upload.run(list);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim() && !/<img\b/.test(html)) {
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
      {held ? <Notice tone="info">{t('agent.composer.held')}</Notice> : null}
      <form className="form composer__form" onSubmit={onSubmit} noValidate>
        <fieldset className="composer__mode">
          <legend>{t('agent.composer.mode')}</legend>
          <label className="radio">
            <input type="radio" name="mode" value="reply" checked={mode === 'reply'} onChange={() => { setMode('reply'); setCheck(null); }} disabled={closed || held} />
            {t('agent.composer.public')}
          </label>
          <label className="radio">
            <input type="radio" name="mode" value="note" checked={mode === 'note'} onChange={() => { setMode('note'); setCheck(null); }} />
            {t('agent.composer.internal')}
          </label>
        </fieldset>
        <Macros ticketId={ticket.id} mode={mode} onUseText={(text) => { putText(text); focusBody(); }} onApplied={() => reset(t('agent.macro.applied'))} />
        <ArticlePicker onPick={(url, title) => { setInitial((prev) => ({ html: `${html}<p><a href="${escapeAttr(url)}">${escapeText(title)}</a></p>`, version: prev.version + 1 })); focusBody(); }} />
        <div className={send.fieldErrors.body ? 'field field--invalid' : 'field'}>
          <span id={labelId} className="field__label">{mode === 'note' ? t('agent.composer.noteLabel') : t('agent.composer.replyLabel')}</span>
          <p id={hintId} className="field__hint">{mode === 'note' ? t('agent.composer.noteHint') : ticket.channel === 'email' ? t('agent.composer.replyHintEmail') : t('agent.composer.replyHint')}</p>
          <LazyRichEditor
            id="composer-body"
            labelId={labelId}
            describedBy={hintId}
            initial={initial.html}
            version={initial.version}
            onChange={onEdit}
            onImage={closed && mode === 'reply' ? undefined : onImage}
            className={mode === 'note' ? 'input--note' : undefined}
          />
          {send.fieldErrors.body ? <p className="field__error">{send.fieldErrors.body}</p> : null}
        </div>
        {mode === 'reply' && signature.data?.text ? (
          <div className="composer__signature">
            <p className="field__label">{t('agent.composer.signature')}</p>
            <p className="composer__signature-text muted">{signature.data.text}</p>
          </div>
        ) : null}
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
        {check ? <DraftCheckNotice check={check} files={files.length > 0}>
            <div className="form__actions">
              <Button variant="primary" busy={sendSecure.busy} onClick={() => void sendSecure.run()}>{t('agent.dlp.secure')}</Button>
              {!(check.byPlainEmail && check.replyMode === 'block') ? <Button variant="danger" busy={sendAnyway.busy} onClick={() => void sendAnyway.run()}>{check.byPlainEmail ? t('agent.dlp.sendAnyway') : t('agent.dlp.sendWithoutRemoved')}</Button> : null}
            </div>
          </DraftCheckNotice> : null}
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
        data-shortcut="m"
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

/** Plain text (a macro's) as editor content: escaped, paragraphs at blank lines, line breaks kept. */
function plainToHtml(text: string): string {
  const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return text.replace(/\r\n?/g, '\n').split(/\n{2,}/).filter((p) => p.trim()).map((p) => `<p>${escape(p).replace(/\n/g, '<br>')}</p>`).join('');
}

/** What the draft holds, what a reply would remove, and what a secure message would carry or still remove. */
function DraftCheckNotice({ check, files, children }: { check: Static<typeof ReplyCheck>; files: boolean; children: ReactNode }) {
  const blocked = check.byPlainEmail && check.replyMode === 'block';
  const title = blocked ? t('agent.dlp.blocked') : check.byPlainEmail ? t('agent.dlp.warn') : t('agent.dlp.removedTitle');
  const names = (types: string[]) => types.map((s) => label('agent.sensitive', s)).join(', ');
  return (
    <Notice tone={blocked ? 'danger' : 'warning'} title={title}>
      <p>{t('agent.dlp.found')}</p>
      <ul>{check.sensitiveTypes.map((s) => <li key={s}>{label('agent.sensitive', s)}</li>)}</ul>
      {check.removedTypes.length > 0 ? <p>{t('agent.dlp.replyRemoves', { types: names(check.removedTypes) })}</p> : null}
      {check.secureMessage.carries.length > 0 ? <p>{t('agent.dlp.secureCarries', { types: names(check.secureMessage.carries) })}</p> : null}
      {check.secureMessage.removes.length > 0 ? <p>{t('agent.dlp.secureRemoves', { types: names(check.secureMessage.removes) })}</p> : null}
      {children}
      {files ? <p className="muted">{t('agent.dlp.secureNoFiles')}</p> : null}
    </Notice>
  );
}
