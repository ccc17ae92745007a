/**
 * The conversation: status line, the messages (a polite live log, in seq
 * order, then what is still being sent), the verification field when the
 * agent asks for a code, "Verify my email" for an anonymous visitor, the notices region, the composer and the actions
 * (attach, transcript, end). The composer runs the pre-send check: text with a
 * card number, password, code or key is not sent; the spans are replaced in
 * the box and the notice says why, in plain words.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Link } from './connection.js';
import { ChatProblem, uploadFile, type ChatIdentity } from './http.js';
import { IdentifyPanel } from './identify.js';
import { offersSecureLink, problemText, removalSentences } from './notices.js';
import { MAX_MESSAGE_LENGTH, TYPING_INTERVAL_MS } from './protocol.js';
import { cleanBeforeSending, looksLikeCode, type RemovedKind } from './sensitive.js';
import type { SavedChat } from './storage.js';
import { isWithheld, type PendingMessage, type StoredMessage } from './store.js';
import { ct, formatBytes } from './text.js';

export interface Notice {
  tone: 'info' | 'warning' | 'danger';
  text?: string;
  removal?: { kinds: RemovedKind[]; serverSide: boolean };
}

export interface Verification {
  id: string;
  sentTo: string;
  result: 'verified' | 'pending' | 'failed' | null;
}

interface Props {
  saved: SavedChat;
  link: Link;
  agentTyping: boolean;
  notice: Notice | null;
  verification: Verification | null;
  focusRequest: number;
  onNotice(notice: Notice | null): void;
  onRemoval(kinds: RemovedKind[]): void;
  onSend(body: string): void;
  onTyping(): void;
  onVerify(code: string): boolean;
  onTranscript(): boolean;
  onEnd(): boolean;
  onDiscard(clientId: string): void;
  onStartAgain(): void;
  /** "Verify my email" (anonymous visitors only): open, with the start form's address if any. */
  identify: { email: string | null } | null;
  onIdentifyOpen(): void;
  onIdentifyClose(): void;
  onIdentified(identity: ChatIdentity): void;
}

function statusText(saved: SavedChat, link: Link): string {
  if (saved.status === 'ended') return ct('chat.status.ended');
  if (link === 'connecting') return ct('chat.status.connecting');
  if (link === 'reconnecting') return ct('chat.status.reconnecting');
  if (saved.status === 'active') return saved.agentName ? ct('chat.status.active', { name: saved.agentName }) : ct('chat.status.activeNoName');
  return ct('chat.status.waiting');
}

const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

function timeOf(at: string): string {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? '' : time.format(ms);
}

function Message({ message }: { message: StoredMessage }) {
  const who = message.author === 'customer' ? ct('chat.you') : message.author === 'system' ? ct('chat.system') : message.name || ct('chat.support');
  const withheld = isWithheld(message);
  return (
    <li className={`chat-msg chat-msg--${message.author}`}>
      <p className="chat-msg__meta">
        <span className="chat-msg__who">{who}</span>
        {message.at ? <time dateTime={message.at}> {timeOf(message.at)}</time> : null}
      </p>
      {withheld ? <p className="chat-msg__body chat-msg__body--muted">{ct('chat.withheld')}</p> : message.body ? <p className="chat-msg__body">{message.body}</p> : null}
      {message.redacted.length > 0 && !withheld ? <p className="chat-msg__note">{ct('chat.redactedNote')}</p> : null}
      {message.attachments.length > 0 ? (
        <ul className="chat-msg__files">
          {message.attachments.map((a) => (
            <li key={a.id}>
              {ct('chat.attachment', { name: a.filename, size: formatBytes(a.size) })}
              {a.dangerous ? <span className="chat-msg__danger"> {ct('chat.dangerous')}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function Pending({ pending, connected, onDiscard }: { pending: PendingMessage; connected: boolean; onDiscard(): void }) {
  const state = pending.failed ? ct('chat.failed') : connected ? ct('chat.pending') : ct('chat.queued');
  return (
    <li className={`chat-msg chat-msg--customer chat-msg--pending${pending.failed ? ' chat-msg--failed' : ''}`}>
      <p className="chat-msg__meta">
        <span className="chat-msg__who">{ct('chat.you')}</span>
      </p>
      <p className="chat-msg__body">{pending.body}</p>
      <p className="chat-msg__note">
        {state}
        {pending.failed ? (
          <button type="button" className="chat-btn chat-btn--link" onClick={onDiscard}>{ct('chat.discard')}</button>
        ) : null}
      </p>
    </li>
  );
}

function NoticeBody({ notice, onAskLink }: { notice: Notice; onAskLink(): void }) {
  if (notice.removal) {
    return (
      <div className={`chat-notice chat-notice--${notice.tone}`}>
        {removalSentences(notice.removal.kinds).map((s) => <p key={s}>{s}</p>)}
        <p>{notice.removal.serverSide ? ct('chat.sensitive.serverRemoved') : ct('chat.sensitive.review')}</p>
        {offersSecureLink(notice.removal.kinds) ? (
          <button type="button" className="chat-btn chat-btn--secondary" onClick={onAskLink}>{ct('chat.sensitive.askLink')}</button>
        ) : null}
      </div>
    );
  }
  return (
    <div className={`chat-notice chat-notice--${notice.tone}`}>
      <p>{notice.text}</p>
    </div>
  );
}

function VerifyPanel({ verification, onVerify, code, setCode }: { verification: Verification; onVerify(code: string): boolean; code: string; setCode(code: string): void }) {
  const id = useId();
  const open = verification.result === null || verification.result === 'pending';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = code.replace(/[\s-]/g, '');
    if (!value) return;
    if (onVerify(value)) setCode('');
  };
  const result = verification.result === null ? null : ct(`chat.verify.${verification.result}`);
  return (
    <section className="chat-verify" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="chat-verify__title">{ct('chat.verify.title')}</h2>
      {open ? (
        <form onSubmit={submit} className="chat-verify__form">
          <p>{verification.sentTo ? ct('chat.verify.intro', { sentTo: verification.sentTo }) : ct('chat.verify.introNoAddress')}</p>
          <label htmlFor={`${id}-code`}>{ct('chat.verify.code')}</label>
          <div className="chat-row">
            <input id={`${id}-code`} className="chat-input chat-input--code" inputMode="numeric" autoComplete="one-time-code" maxLength={12} value={code} onChange={(e) => setCode(e.target.value)} />
            <button type="submit" className="chat-btn chat-btn--primary">{ct('chat.verify.submit')}</button>
          </div>
        </form>
      ) : null}
      <p role="status" className={result ? `chat-verify__result chat-verify__result--${verification.result}` : 'chat-verify__result'}>{result}</p>
    </section>
  );
}

export function ChatView(props: Props) {
  const { saved, link, notice, verification } = props;
  const id = useId();
  const [draft, setDraft] = useState('');
  const [code, setCode] = useState('');
  const [tooLong, setTooLong] = useState(false);
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [upload, setUpload] = useState<{ text: string; tone: 'info' | 'danger' } | null>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const endedRef = useRef<HTMLDivElement>(null);
  const keepChatting = useRef<HTMLButtonElement>(null);
  const lastTyping = useRef(0);
  const ended = saved.status === 'ended';
  const connected = link === 'ready';
  const knownAddress = saved.identity.kind !== 'anonymous' || saved.verified;
  const anonymous = saved.identity.kind === 'anonymous' && !ended;
  const count = saved.chat.messages.length + saved.chat.pending.length;

  useEffect(() => {
    if (!ended) composer.current?.focus();
  }, [props.focusRequest, ended]);

  useEffect(() => {
    if (ended) endedRef.current?.focus();
  }, [ended]);

  // The question takes the place of the actions: focus moves to it, and back to "End chat" when kept.
  const endButton = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (confirmEnd) keepChatting.current?.focus();
    else if (asked.current) endButton.current?.focus();
    asked.current = confirmEnd;
  }, [confirmEnd]);

  // Open at the latest message, then follow the conversation unless the customer scrolled up to read.
  const followed = useRef(false);
  useEffect(() => {
    const log = logRef.current;
    if (log && (!followed.current || log.scrollHeight - log.scrollTop - log.clientHeight < 120)) log.scrollTop = log.scrollHeight;
    followed.current = true;
  }, [count, props.agentTyping]);

  const send = () => {
    const text = draft.trim();
    if (!text || ended) return;
    const maybeCode = verification && (verification.result === null || verification.result === 'pending') ? looksLikeCode(text) : null;
    if (maybeCode) {
      setCode(maybeCode);
      setDraft('');
      props.onNotice({ tone: 'info', text: ct('chat.sensitive.codeMoved') });
      return;
    }
    // Nor is the code of "Verify my email": it belongs in that panel's field.
    if (anonymous && props.identify && looksLikeCode(text)) {
      setDraft('');
      props.onNotice({ tone: 'info', text: ct('chat.identify.codeInField') });
      return;
    }
    const cleaned = cleanBeforeSending(draft, ct('chat.sensitive.placeholder'));
    if (cleaned.removed.length > 0) {
      setDraft(cleaned.text);
      props.onRemoval(cleaned.removed);
      composer.current?.focus();
      return;
    }
    if (text.length > MAX_MESSAGE_LENGTH) {
      setTooLong(true);
      return;
    }
    props.onNotice(null);
    props.onSend(text);
    setDraft('');
    setTooLong(false);
    lastTyping.current = 0;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const onChange = (value: string) => {
    setDraft(value);
    if (tooLong && value.trim().length <= MAX_MESSAGE_LENGTH) setTooLong(false);
    const now = Date.now();
    if (value.trim() && connected && now - lastTyping.current >= TYPING_INTERVAL_MS) {
      lastTyping.current = now;
      props.onTyping();
    }
  };

  const attach = async (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      setUpload({ text: ct('chat.uploading', { name: file.name }), tone: 'info' });
      try {
        await uploadFile(saved.token, file);
        setUpload({ text: ct('chat.uploaded', { name: file.name }), tone: 'info' });
      } catch (error) {
        const reason = error instanceof ChatProblem ? problemText(error.code, error.detail) : ct('chat.error.generic');
        setUpload({ text: `${ct('chat.uploadFailed', { name: file.name })} ${reason}`, tone: 'danger' });
      }
    }
  };

  const askLink = () => {
    props.onNotice(null);
    props.onSend(ct('chat.sensitive.askLinkMessage'));
    composer.current?.focus();
  };

  return (
    <div className="chat-body">
      <p className="chat-status" role="status">{statusText(saved, link)}</p>
      <div className="chat-log" ref={logRef} role="log" aria-live="polite" aria-label={ct('chat.log')} tabIndex={0}>
        <ol className="chat-log__list">
          {saved.chat.messages.map((m) => <Message key={`s${m.seq}`} message={m} />)}
          {saved.chat.pending.map((p) => <Pending key={`p${p.clientId}`} pending={p} connected={connected} onDiscard={() => props.onDiscard(p.clientId)} />)}
        </ol>
      </div>
      <p className="chat-typing" aria-live="polite">
        {props.agentTyping && !ended ? (saved.agentName ? ct('chat.typing', { name: saved.agentName }) : ct('chat.typingNoName')) : ''}
      </p>
      {verification ? <VerifyPanel verification={verification} onVerify={props.onVerify} code={code} setCode={setCode} /> : null}
      {anonymous && props.identify ? <IdentifyPanel token={saved.token} initialEmail={props.identify.email} onIdentified={props.onIdentified} onClose={props.onIdentifyClose} /> : null}
      <div className="chat-alerts" aria-live="polite">
        {notice ? <NoticeBody notice={notice} onAskLink={askLink} /> : null}
        {upload ? <div className={`chat-notice chat-notice--${upload.tone}`}><p>{upload.text}</p></div> : null}
      </div>
      {ended ? (
        <div className="chat-ended" ref={endedRef} tabIndex={-1}>
          <p>{ct('chat.status.ended')}</p>
          {knownAddress ? <p>{ct('chat.continuesByEmail')}</p> : null}
          <button type="button" className="chat-btn chat-btn--primary" onClick={props.onStartAgain}>{ct('chat.newChat')}</button>
        </div>
      ) : (
        <>
          <form className="chat-composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
            <label htmlFor={`${id}-message`} className="visually-hidden">{ct('chat.message')}</label>
            <textarea
              id={`${id}-message`}
              ref={composer}
              className="chat-input chat-composer__text"
              rows={2}
              value={draft}
              onChange={(e) => onChange(e.target.value)}
              onKeyDown={onKeyDown}
              aria-describedby={`${id}-hint${tooLong ? ` ${id}-long` : ''}`}
              aria-invalid={tooLong || undefined}
            />
            <button type="submit" className="chat-btn chat-btn--primary">{ct('chat.send')}</button>
            <p id={`${id}-hint`} className="chat-hint">{ct('chat.messageHint')}</p>
            {tooLong ? <p id={`${id}-long`} className="chat-hint chat-hint--error">{ct('chat.tooLong', { max: MAX_MESSAGE_LENGTH, length: draft.trim().length })}</p> : null}
          </form>
          {confirmEnd ? (
            <div className="chat-confirm" role="group" aria-labelledby={`${id}-confirm`} onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                setConfirmEnd(false);
              }
            }}>
              <p id={`${id}-confirm`}>{ct('chat.endConfirm')}</p>
              <div className="chat-row">
                <button type="button" className="chat-btn chat-btn--danger" onClick={() => { if (props.onEnd()) setConfirmEnd(false); }}>{ct('chat.endYes')}</button>
                <button type="button" ref={keepChatting} className="chat-btn chat-btn--secondary" onClick={() => setConfirmEnd(false)}>{ct('chat.endNo')}</button>
              </div>
            </div>
          ) : (
            <div className="chat-actions">
              <span className="chat-file">
                <input id={`${id}-file`} type="file" className="visually-hidden chat-file__input" disabled={!connected} onChange={(e) => {
                  const input = e.currentTarget;
                  void attach(input.files).finally(() => { input.value = ''; });
                }} />
                <label htmlFor={`${id}-file`} className="chat-btn chat-btn--secondary chat-btn--small">{ct('chat.attach')}</label>
              </span>
              {knownAddress ? <button type="button" className="chat-btn chat-btn--secondary chat-btn--small" disabled={!connected} onClick={() => props.onTranscript()}>{ct('chat.transcript')}</button> : null}
              {anonymous && !props.identify ? <button type="button" className="chat-btn chat-btn--secondary chat-btn--small" onClick={props.onIdentifyOpen}>{ct('chat.identify.open')}</button> : null}
              <button type="button" ref={endButton} className="chat-btn chat-btn--secondary chat-btn--small" onClick={() => setConfirmEnd(true)}>{ct('chat.end')}</button>
            </div>
          )}
        </>
      )}
      <p className="chat-safety">{ct('chat.safety')}</p>
    </div>
  );
}
