/**
 * One of the customer's requests: the conversation (secure messages marked,
 * files as downloads, dangerous ones behind a warning) and the reply form.
 * The text goes first, then each file added to that message (raw body, one
 * request each, checked against the upload limit before sending), so the
 * agent sees one message. Without text, the first file starts the message. A
 * file that fails keeps the remaining files in the form, and sending again
 * adds them to the same message while the server allows it.
 */
import { RedactedText } from '../ui/redacted.js';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import type { Static } from 'typebox';
import { portalAttachmentUrl, portalEndpoints, type PortalAttachment } from '../../../src/platform/http/schemas/portal.js';
import { ApiError, describeError, validate } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextAreaField } from '../ui/fields.js';
import { useResource } from '../ui/hooks.js';
import { isCustomerMfaRequired, StepUpCard } from './SecurityPage.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { formatBytes, portalCall, usePortalMe } from './session.js';
import { StatusBadge } from './TicketsPage.js';
import { RatingForm } from './RatePage.js';
import { csatEndpoints } from '../../../src/platform/http/schemas/csat.js';

type Attachment = Static<typeof PortalAttachment>;

function FileLink({ ticketId, file }: { ticketId: string; file: Attachment }) {
  const name = file.filename ?? 'attachment';
  if (!file.dangerous) {
    return (
      <a href={portalAttachmentUrl(ticketId, file.id)} download aria-label={t('portal.ticket.download', { name })}>
        {name}
      </a>
    );
  }
  const warningId = `warn-${file.id}`;
  return (
    <span className="portal-file--dangerous">
      <span>{name}</span> <Badge tone="danger">!</Badge>
      <span id={warningId} className="portal-file__warning">{t('portal.ticket.dangerous')}</span>{' '}
      <a href={portalAttachmentUrl(ticketId, file.id, true)} download aria-describedby={warningId}>
        {t('portal.ticket.downloadAnyway', { name })}
      </a>
    </span>
  );
}

interface ReplyOutcome {
  redacted: boolean;
  flagged: string[];
}

function ReplyForm({ ticketId, onSent }: { ticketId: string; onSent: () => void }) {
  const me = usePortalMe();
  const [body, setBody] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [bodyError, setBodyError] = useState<string | undefined>();
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ReplyOutcome | null>(null);
  /** The message a failed file upload belongs to; files sent again are added to it. */
  const [pendingMessageId, setPendingMessageId] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const checkFiles = (list: File[]): string[] => {
    const out: string[] = [];
    for (const f of list) {
      if (f.size === 0) out.push(t('portal.reply.emptyFile', { name: f.name }));
      else if (f.size > me.maxUploadBytes) out.push(t('portal.reply.tooLarge', { name: f.name, size: formatBytes(f.size), max: formatBytes(me.maxUploadBytes) }));
    }
    return out;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setOutcome(null);
    const text = body.trim();
    const fileErrors = checkFiles(files);
    setErrors(fileErrors);
    const bodyErrors = text ? validate(portalEndpoints.reply.body, { body: text }) : {};
    setBodyError(!text && files.length === 0 ? t('portal.reply.empty') : bodyErrors.body);
    if (fileErrors.length || bodyErrors.body || (!text && files.length === 0)) return;
    setBusy(true);
    const result: ReplyOutcome = { redacted: false, flagged: [] };
    let remaining = [...files];
    let messageId = text ? null : pendingMessageId;
    try {
      if (text) {
        const res = await portalCall(portalEndpoints.reply, { params: { id: ticketId }, body: { body: text } });
        result.redacted = res.redactions > 0;
        messageId = res.messageId;
        setBody('');
      }
      for (const file of files) {
        try {
          const up = await portalCall(
            portalEndpoints.upload,
            { params: { id: ticketId }, query: { filename: file.name.slice(0, 255) || 'file', ...(file.type ? { type: file.type.slice(0, 200) } : {}), ...(messageId ? { messageId } : {}) } },
            { raw: new Blob([file], { type: 'application/octet-stream' }) },
          );
          if (up.dangerous) result.flagged.push(file.name);
          messageId = up.messageId;
          remaining = remaining.filter((f) => f !== file);
        } catch (err) {
          setFiles(remaining);
          // Past the server's window the message cannot take more files: the next try starts a new one.
          setPendingMessageId(err instanceof ApiError && err.status === 404 ? null : messageId);
          const { message, detail } = describeError(err);
          setErrors([`${t('portal.reply.uploadFailed', { name: file.name })} ${err instanceof ApiError && err.status === 413 ? t('portal.reply.tooLarge', { name: file.name, size: formatBytes(file.size), max: formatBytes(me.maxUploadBytes) }) : detail ?? message}`]);
          if (text || remaining.length < files.length) onSent();
          return;
        }
      }
      setFiles([]);
      setPendingMessageId(null);
      if (fileInput.current) fileInput.current.value = '';
      setOutcome(result);
      onSent();
    } catch (err) {
      setFailure(err);
      if (err instanceof ApiError && err.fieldErrors.body) setBodyError(err.fieldErrors.body);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title={t('portal.reply.title')} id="portal-reply">
      <form className="form form--wide" onSubmit={(e) => void submit(e)} noValidate>
        {outcome ? (
          <Notice tone="success" title={t('portal.reply.sent')}>
            {outcome.redacted ? <p>{t('portal.reply.redacted')}</p> : null}
            {outcome.flagged.map((name) => <p key={name}>{t('portal.reply.flagged', { name })}</p>)}
          </Notice>
        ) : null}
        <TextAreaField label={t('portal.reply.message')} hint={t('portal.reply.messageHint')} name="body" rows={6} value={body} onChange={(e) => setBody(e.target.value)} error={bodyError} />
        <div className={errors.length ? 'field field--invalid' : 'field'}>
          <label className="field__label" htmlFor="portal-reply-files">{t('portal.reply.files')}</label>
          <p id="portal-reply-files-hint" className="field__hint">{t('portal.reply.filesHint', { size: formatBytes(me.maxUploadBytes) })}</p>
          <input
            ref={fileInput}
            id="portal-reply-files"
            type="file"
            multiple
            className="input"
            aria-describedby={errors.length ? 'portal-reply-files-hint portal-reply-files-error' : 'portal-reply-files-hint'}
            aria-invalid={errors.length ? true : undefined}
            onChange={(e) => {
              const list = Array.from(e.target.files ?? []);
              setFiles(list);
              setErrors(checkFiles(list));
            }}
          />
          {errors.length ? (
            <div id="portal-reply-files-error" className="field__error" role="alert">
              {errors.map((m) => <p key={m}>{m}</p>)}
            </div>
          ) : null}
          {files.length ? (
            <ul className="portal-files">
              {files.map((f) => <li key={`${f.name}-${f.size}-${f.lastModified}`}>{f.name} ({formatBytes(f.size)})</li>)}
            </ul>
          ) : null}
        </div>
        <ErrorNotice error={failure} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={busy}>{t('portal.reply.send')}</Button>
        </div>
      </form>
    </Section>
  );
}

/** A solved or closed request: the customer's rating (Good / Bad, optional comment), given or changed here. */
function RateSection({ ticketId, status }: { ticketId: string; status: string }) {
  const state = useResource(() => portalCall(csatEndpoints.portalState, { params: { id: ticketId } }), [ticketId, status]);
  const [thanks, setThanks] = useState(false);
  if (!state.data?.canRate) return state.error ? <ErrorNotice error={state.error} onRetry={state.reload} /> : null;
  const current = state.data.rating;
  return (
    <Section title={t('portal.rate.ticketTitle')} id="portal-rate">
      {thanks ? <Notice tone="success">{t('portal.rate.thanks')}</Notice> : null}
      {current && !thanks ? <Notice tone="info">{t('portal.rate.yours', { rating: t(current === 'good' ? 'portal.rate.good' : 'portal.rate.bad') })}</Notice> : null}
      <RatingForm key={current ?? 'none'} initial={current} submitLabel={t(current ? 'portal.rate.change' : 'portal.rate.submit')} onSubmit={async (rating, comment) => {
        await portalCall(csatEndpoints.portalRate, { params: { id: ticketId }, body: { rating, ...(comment.trim() ? { comment } : {}) } });
        setThanks(true);
        state.reload();
      }} />
    </Section>
  );
}

export function TicketPage({ id }: { id: string }) {
  const ticket = useResource(() => portalCall(portalEndpoints.ticket, { params: { id } }), [id]);
  const data = ticket.data;
  const ref = data ? t('portal.tickets.ref', { number: data.number }) : '';

  if (!data) {
    return (
      <Page title={t('portal.ticket.title', { ref: '' }).trim()}>
        {ticket.loading ? <Loading /> : null}
        {isCustomerMfaRequired(ticket.error) ? <StepUpCard onDone={ticket.reload} /> : <ErrorNotice error={ticket.error} onRetry={ticket.reload} />}
        <p><Link href="/portal">{t('portal.ticket.back')}</Link></p>
      </Page>
    );
  }

  return (
    <Page title={`${t('portal.ticket.title', { ref })}: ${data.subject || t('portal.tickets.noSubject')}`} subtitle={<StatusBadge status={data.status} />}>
      <p><Link href="/portal">{t('portal.ticket.back')}</Link></p>
      <ErrorNotice error={ticket.error} onRetry={ticket.reload} />
      <Section title={t('portal.ticket.conversation')} id="portal-conversation">
        <ol className="portal-thread">
          {data.messages.map((m) => (
            <li key={m.id} className={`portal-msg portal-msg--${m.from}${m.secure ? ' portal-msg--secure' : ''}`}>
              <article aria-label={`${m.from === 'you' ? t('portal.ticket.you') : t('portal.ticket.support')}, ${formatDateTime(m.createdAt)}`}>
                <header className="portal-msg__header">
                  <strong>{m.from === 'you' ? t('portal.ticket.you') : t('portal.ticket.support')}</strong>
                  <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
                  {m.secure ? <Badge tone="success">{t('portal.ticket.secure')}</Badge> : null}
                </header>
                {m.secure ? <p className="portal-muted">{t('portal.ticket.secureHint')}</p> : null}
                {m.body === null ? <p className="portal-muted">{t('portal.ticket.erased')}</p> : <div className="portal-msg__body"><RedactedText text={m.body} /></div>}
                {m.attachments.length ? (
                  <div className="portal-msg__files">
                    <span className="visually-hidden">{t('portal.ticket.attachments')}</span>
                    <ul className="portal-files">
                      {m.attachments.map((a) => <li key={a.id}><FileLink ticketId={data.id} file={a} /></li>)}
                    </ul>
                  </div>
                ) : null}
              </article>
            </li>
          ))}
        </ol>
      </Section>
      {data.status === 'solved' || data.status === 'closed' ? <RateSection ticketId={data.id} status={data.status} /> : null}
      {data.status === 'closed' ? <Notice tone="info">{t('portal.ticket.closed')}</Notice> : <ReplyForm ticketId={data.id} onSent={ticket.reload} />}
    </Page>
  );
}
