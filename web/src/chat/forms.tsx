/**
 * The two forms around a conversation: starting one (an optional name, and an
 * optional address to verify with an emailed code once it has started; the
 * conversation is created only when the visitor asks, not when the panel
 * opens, which also gives the embedding page time to hand over an identity
 * token), and the offline form when nobody can chat, whose message passes the
 * same pre-send check as a chat message.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { ChatProblem, sendOfflineMessage } from './http.js';
import { problemText, removalSentences } from './notices.js';
import { cleanBeforeSending, type RemovedKind } from './sensitive.js';
import { ct } from './text.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface StartProps {
  busy: boolean;
  expired: boolean;
  error: string | null;
  askName: boolean;
  focusRequest: number;
  /** The visitor may give an address to verify with a code once the chat has started (not inside the portal). */
  onStart(name: string, email: string): void;
}

export function StartForm({ busy, expired, error, askName, focusRequest, onStart }: StartProps) {
  const id = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [badEmail, setBadEmail] = useState(false);
  const first = useRef<HTMLInputElement & HTMLButtonElement>(null);
  const form = useRef<HTMLFormElement>(null);
  // The embedding page's "opened" can arrive after the visitor began typing (a slow page): focus then stays where
  // they are, or the rest of what they type would land in the name field.
  useEffect(() => {
    if (!form.current?.contains(document.activeElement)) first.current?.focus();
  }, [focusRequest]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const address = email.trim();
    setBadEmail(address !== '' && !EMAIL.test(address));
    if (address !== '' && !EMAIL.test(address)) return;
    if (!busy) onStart(name.trim(), address);
  };
  return (
    <form ref={form} className="chat-body chat-start" onSubmit={submit} noValidate>
      <p>{ct('chat.intro')}</p>
      <div className="chat-alerts" aria-live="polite">
        {expired ? <div className="chat-notice chat-notice--warning"><p>{ct('chat.error.expired')}</p></div> : null}
        {error ? <div className="chat-notice chat-notice--danger"><p>{error}</p></div> : null}
        {busy ? <p className="chat-hint">{ct('chat.starting')}</p> : null}
      </div>
      {askName ? (
        <div className="chat-field">
          <label htmlFor={`${id}-name`}>{ct('chat.name')}</label>
          <input id={`${id}-name`} ref={first} className="chat-input" autoComplete="name" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
      ) : null}
      {askName ? (
        <div className="chat-field">
          <label htmlFor={`${id}-email`}>{ct('chat.email')}</label>
          <input id={`${id}-email`} className="chat-input" type="email" autoComplete="email" maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={`${id}-email-hint${badEmail ? ` ${id}-email-error` : ''}`} aria-invalid={badEmail || undefined} />
          <p id={`${id}-email-hint`} className="chat-hint">{ct('chat.emailHint')}</p>
          {badEmail ? <p id={`${id}-email-error`} className="chat-hint chat-hint--error">{ct('chat.offline.badEmail')}</p> : null}
        </div>
      ) : null}
      <button type="submit" ref={askName ? undefined : first} className="chat-btn chat-btn--primary" aria-disabled={busy || undefined}>{ct('chat.start')}</button>
      <p className="chat-safety">{ct('chat.safety')}</p>
    </form>
  );
}

export function OfflineForm({ orgId, host, initialName, initialEmail = '' }: { orgId: string; host: string; initialName: string; initialEmail?: string }) {
  const id = useId();
  const [values, setValues] = useState({ name: initialName, email: initialEmail, message: '' });
  const [errors, setErrors] = useState<Partial<Record<'name' | 'email' | 'message', string>>>({});
  const [removed, setRemoved] = useState<RemovedKind[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const messageBox = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [sentTo]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const name = values.name.trim();
    const email = values.email.trim();
    const found: typeof errors = {};
    if (!name) found.name = ct('chat.offline.required');
    if (!email) found.email = ct('chat.offline.required');
    else if (!EMAIL.test(email)) found.email = ct('chat.offline.badEmail');
    if (!values.message.trim()) found.message = ct('chat.offline.required');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const cleaned = cleanBeforeSending(values.message, ct('chat.sensitive.placeholder'));
    setRemoved(cleaned.removed);
    if (cleaned.removed.length > 0) {
      setValues((v) => ({ ...v, message: cleaned.text }));
      messageBox.current?.focus();
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await sendOfflineMessage({ orgId, host, name, email, message: values.message.trim() });
      setSentTo(email);
    } catch (error) {
      setProblem(error instanceof ChatProblem ? problemText(error.code, error.detail) : ct('chat.error.generic'));
    } finally {
      setBusy(false);
    }
  };

  if (sentTo) {
    return (
      <div className="chat-body">
        <h2 className="chat-subtitle" ref={heading} tabIndex={-1}>{ct('chat.offline.title')}</h2>
        <p role="status">{ct('chat.offline.sent', { email: sentTo })}</p>
      </div>
    );
  }

  const field = (key: 'name' | 'email' | 'message', label: string, input: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactElement) => (
    <div className="chat-field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      {input({ id: `${id}-${key}`, ...(errors[key] ? { 'aria-invalid': true, 'aria-describedby': `${id}-${key}-error` } : {}) })}
      {errors[key] ? <p id={`${id}-${key}-error`} className="chat-hint chat-hint--error">{errors[key]}</p> : null}
    </div>
  );

  return (
    <form className="chat-body chat-offline" onSubmit={(e) => void submit(e)} noValidate>
      <h2 className="chat-subtitle" ref={heading} tabIndex={-1}>{ct('chat.offline.title')}</h2>
      <p>{ct('chat.offline.intro')}</p>
      {field('name', ct('chat.offline.name'), (p) => <input {...p} className="chat-input" autoComplete="name" maxLength={200} value={values.name} onChange={(e) => setValues((v) => ({ ...v, name: e.target.value }))} />)}
      {field('email', ct('chat.offline.email'), (p) => <input {...p} className="chat-input" type="email" autoComplete="email" maxLength={254} value={values.email} onChange={(e) => setValues((v) => ({ ...v, email: e.target.value }))} />)}
      {field('message', ct('chat.offline.message'), (p) => <textarea {...p} ref={messageBox} className="chat-input" rows={5} maxLength={4000} value={values.message} onChange={(e) => setValues((v) => ({ ...v, message: e.target.value }))} />)}
      <div className="chat-alerts" aria-live="polite">
        {removed.length > 0 ? (
          <div className="chat-notice chat-notice--warning">
            {removalSentences(removed).map((s) => <p key={s}>{s}</p>)}
            <p>{ct('chat.sensitive.review')}</p>
          </div>
        ) : null}
        {problem ? <div className="chat-notice chat-notice--danger"><p>{problem}</p></div> : null}
      </div>
      <button type="submit" className="chat-btn chat-btn--primary" aria-disabled={busy || undefined}>{ct('chat.offline.send')}</button>
    </form>
  );
}
