/**
 * The conversation: inbound mail, public replies and internal notes (each
 * visually distinct), the phishing banner with the analyzer's reasons, the
 * sensitive-data notices, files, and an email's own HTML in a sandboxed frame
 * (no allow-* flags; the server adds its own sandboxing CSP). Remote images
 * load only when the agent asks. Quoted history of earlier messages is folded
 * behind "Show quoted text" (the server finds where it starts; decision 0150).
 */
import { useState } from 'react';
import { phishingReportEndpoints } from '../../../src/platform/http/schemas/phishing-reports.js';
import { messageHtmlUrl, ticketAttachmentUrl } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { fetchDownload, useDeviceState } from '../devices/device.js';
import { summarizeRedactions } from './redactions.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { TextAreaField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Notice } from '../ui/notices.js';
import { RelativeTime } from '../ui/time.js';
import { fileSize, label, MessageText, visibleMessages, type Message, type Ticket } from './shared.js';

type Attachment = Message['attachments'][number];

export function author(m: Message, myId: string, staff: Ticket['staff']): string {
  const name = staff.find((s) => s.id === m.authorUserId)?.name;
  if (m.kind === 'internal_note') return m.authorUserId === myId ? t('agent.msg.noteByYou') : name ? t('agent.msg.noteBy', { name }) : t('agent.msg.note');
  if (m.authorType === 'customer') return t('agent.msg.customer');
  if (m.authorType === 'system') return t('agent.msg.system');
  return m.authorUserId === myId ? t('agent.msg.replyByYou') : name ? t('agent.msg.replyBy', { name }) : t('agent.msg.reply');
}

function PhishingBanner({ message }: { message: Message }) {
  const threat = message.threat;
  if (!threat || (threat.verdict !== 'suspicious' && threat.verdict !== 'phishing')) return null;
  const reasons = threat.reasons.length ? threat.reasons.map((r) => ({ code: r.code, text: r.evidence || label('agent.threat', r.code) })) : threat.codes.map((c) => ({ code: c, text: label('agent.threat', c) }));
  return (
    <Notice tone={threat.verdict === 'phishing' ? 'danger' : 'warning'} title={threat.verdict === 'phishing' ? t('agent.phish.titlePhishing') : t('agent.phish.titleSuspicious')}>
      <p>{t('agent.phish.advice')}</p>
      {reasons.length ? (
        <ul className="phish__reasons">
          {reasons.map((r, i) => (
            <li key={`${r.code}-${i}`}>
              <span className="phish__code">{label('agent.threat', r.code)}</span>
              {r.text !== label('agent.threat', r.code) ? <>: {r.text}</> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </Notice>
  );
}

function RedactionNotice({ message }: { message: Message }) {
  if (message.redactions.length === 0) return null;
  const { removed, flagged } = summarizeRedactions(message.redactions);
  const list = (items: Array<[string, number]>) => (
    <ul className="redactions">
      {items.map(([type, n]) => (
        <li key={type}>{label('agent.sensitive', type)} × {n}</li>
      ))}
    </ul>
  );
  return (
    <Notice tone="info" title={removed.length > 0 ? t('agent.redaction.removed') : t('agent.redaction.flagged')}>
      {removed.length > 0 ? list(removed) : null}
      {removed.length > 0 && flagged.length > 0 ? <p>{t('agent.redaction.flaggedAlso')}</p> : null}
      {flagged.length > 0 ? list(flagged) : null}
    </Notice>
  );
}

/**
 * A message's files. Plain links, not `download` links: the server's Content-Disposition makes an ordinary file
 * a download (the console stays), and a phishing simulation's attachment answers with its teaching page, which
 * the browser then shows (decision 0200).
 */
function Files({ ticketId, files }: { ticketId: string; files: Attachment[] }) {
  const [risky, setRisky] = useState<Attachment | null>(null);
  const device = useDeviceState();
  // Where the data egress policy refuses files here (docs/devices.md), the name asks the server anyway, so the
  // refusal is audited and its explanation shown; the console stays usable for answering.
  const refused = device !== null && !device.egress.allowed;
  const [refusal, setRefusal] = useState<unknown>(null);
  const tryDownload = async (a: Attachment) => {
    setRefusal(null);
    try {
      const file = await fetchDownload(ticketAttachmentUrl(ticketId, a.id));
      const link = document.createElement('a');
      link.href = URL.createObjectURL(file.blob);
      link.download = file.filename ?? a.filename ?? 'attachment';
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (error) {
      setRefusal(error);
    }
  };
  if (files.length === 0) return null;
  return (
    <>
      <ul className="files" aria-label={t('agent.files.label')}>
        {files.map((a) => (
          <li key={a.id} className="files__item">
            {a.status !== 'stored' ? (
              <span>{a.filename ?? t('agent.files.unnamed')} — {t(a.status === 'withheld' ? 'agent.files.withheld' : 'agent.files.notStored')}</span>
            ) : refused ? (
              <Button variant="ghost" className="btn--small" onClick={() => void tryDownload(a)}>{a.filename ?? t('agent.files.unnamed')}</Button>
            ) : a.dangerous ? (
              <Button variant="ghost" className="btn--small" onClick={() => setRisky(a)}>{a.filename ?? t('agent.files.unnamed')}</Button>
            ) : (
              <a href={ticketAttachmentUrl(ticketId, a.id)}>{a.filename ?? t('agent.files.unnamed')}</a>
            )}
            <span className="muted"> {fileSize(a.size)} · {a.sniffedType}</span>
            {a.dangerous ? <> <Badge tone="danger">{t('agent.files.dangerous')}</Badge></> : null}
          </li>
        ))}
      </ul>
      {refusal ? <ErrorNotice error={refusal} /> : null}
      <Dialog open={risky !== null} title={t('agent.files.riskyTitle')} onClose={() => setRisky(null)}>
        {risky ? (
          <>
            <p>{t('agent.files.riskyBody', { name: risky.filename ?? t('agent.files.unnamed') })}</p>
            <ul>{risky.dangerReasons.map((r) => <li key={r}>{label('agent.danger', r)}</li>)}</ul>
            <div className="form__actions">
              <a className="btn btn--danger" href={ticketAttachmentUrl(ticketId, risky.id, true)} onClick={() => setRisky(null)}>{t('agent.files.downloadAnyway')}</a>
              <Button onClick={() => setRisky(null)}>{t('action.cancel')}</Button>
            </div>
          </>
        ) : null}
      </Dialog>
    </>
  );
}

/** A message's text with its quoted history (from `quoteStart` on) folded away until asked for. */
function BodyText({ message, ticketId, guarded }: { message: Message; ticketId: string; guarded: boolean }) {
  const text = message.body ?? '';
  const at = message.quoteStart;
  if (at === null || at <= 0 || at >= text.length) return <MessageText text={text} ticketId={ticketId} messageId={message.id} guarded={guarded} />;
  return (
    <>
      <MessageText text={text.slice(0, at).replace(/\s+$/, '')} ticketId={ticketId} messageId={message.id} guarded={guarded} />
      <details className="msg__quoted">
        <summary>{t('agent.quoted.show')}</summary>
        <MessageText text={text.slice(at)} ticketId={ticketId} messageId={message.id} guarded={guarded} />
      </details>
    </>
  );
}

function HtmlBody({ ticketId, message }: { ticketId: string; message: Message }) {
  const [remote, setRemote] = useState(false);
  return (
    <div className="msg__html">
      <div className="msg__html-bar">
        <span className="muted">{t('agent.html.note')}</span>
        <Button className="btn--small" aria-pressed={remote} onClick={() => setRemote((r) => !r)}>
          {remote ? t('agent.html.blockRemote') : t('agent.html.loadRemote')}
        </Button>
      </div>
      {/* An empty sandbox attribute: no scripts, forms, popups, navigation of the app, and an opaque origin. */}
      <iframe sandbox="" className="msg__frame" title={t('agent.html.frameTitle')} src={messageHtmlUrl(ticketId, message.id, remote)} referrerPolicy="no-referrer" loading="lazy" />
    </div>
  );
}

function ReportPhishing({ ticketId, message, onDone }: { ticketId: string; message: Message; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [thanked, setThanked] = useState(false);
  const submit = useSubmit(async () => {
    const result = await call(phishingReportEndpoints.report, { params: { ticketId, messageId: message.id }, body: comment.trim() ? { comment: comment.trim() } : {} });
    setOpen(false);
    // A phishing simulation: the report was the right call; thank the agent (decision 0192).
    if (result.simulation) setThanked(true);
    else onDone();
  });
  return (
    <>
      <Button variant="ghost" className="btn--small" onClick={() => setOpen(true)}>{t('agent.phish.report')}</Button>
      <Dialog open={thanked} title={t('sims.thanks.title')} onClose={() => { setThanked(false); onDone(); }}>
        <p>{t('sims.thanks.body')}</p>
        <div className="form__actions"><Button variant="primary" onClick={() => { setThanked(false); onDone(); }}>{t('action.close')}</Button></div>
      </Dialog>
      <Dialog open={open} title={t('agent.phish.reportTitle')} onClose={() => setOpen(false)}>
        <form className="form" onSubmit={(e) => { e.preventDefault(); void submit.run(); }}>
          <p>{t('agent.phish.reportBody')}</p>
          <ErrorNotice error={submit.error} />
          <TextAreaField label={t('agent.phish.comment')} optional rows={3} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={1000} />
          <div className="form__actions">
            <Button type="submit" variant="danger" busy={submit.busy}>{t('agent.phish.reportConfirm')}</Button>
            <Button onClick={() => setOpen(false)}>{t('action.cancel')}</Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

export function Conversation({ ticket, onChanged }: { ticket: Ticket; onChanged: () => void }) {
  const { me, can } = useMe();
  // Holder notes of uploads not yet sent carry nothing to read.
  const messages = visibleMessages(ticket);
  return (
    <section aria-labelledby="conversation-title" className="conversation">
      <h2 id="conversation-title" className="section__title">{tp('agent.conversation.title', messages.length)}</h2>
      <ol className="conversation__list">
        {messages.map((m) => {
          const guarded = m.threat !== null && m.threat.verdict !== 'clean';
          return (
            <li key={m.id}>
              <article className={`msg msg--${m.kind}`} aria-label={author(m, me.user.id, ticket.staff)}>
                <header className="msg__header">
                  <span className="msg__author">{author(m, me.user.id, ticket.staff)}</span>
                  {m.kind === 'internal_note' ? <Badge tone="warning">{t('agent.msg.internal')}</Badge> : null}
                  {m.autoSubmitted ? <Badge>{t('agent.msg.auto')}</Badge> : null}
                  {m.deliveryStatus ? <Badge tone={m.deliveryStatus === 'failed' ? 'danger' : 'neutral'}>{label('agent.delivery', m.deliveryStatus)}</Badge> : null}
                  <span className="msg__time"><RelativeTime value={m.createdAt} /></span>
                </header>
                <PhishingBanner message={m} />
                {m.reported ? <Notice tone="warning" title={t('agent.phish.reported')}>{t('agent.phish.reportedBody')}</Notice> : null}
                <RedactionNotice message={m} />
                {m.hasHtml ? (
                  <>
                    <HtmlBody ticketId={ticket.id} message={m} />
                    {m.body !== null ? (
                      <details className="msg__plain">
                        <summary>{t('agent.html.plain')}</summary>
                        <BodyText message={m} ticketId={ticket.id} guarded={guarded} />
                      </details>
                    ) : null}
                  </>
                ) : m.body !== null ? (
                  <BodyText message={m} ticketId={ticket.id} guarded={guarded} />
                ) : !m.reported ? (
                  <p className="muted">{t('agent.msg.erased')}</p>
                ) : null}
                <Files ticketId={ticket.id} files={m.attachments} />
                {m.kind === 'inbound_email' && !m.reported && can('tickets.read') ? (
                  <footer className="msg__footer">
                    <ReportPhishing ticketId={ticket.id} message={m} onDone={onChanged} />
                  </footer>
                ) : null}
              </article>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
