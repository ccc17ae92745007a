/**
 * "Verify my email" for an anonymous visitor (docs/chat.md, decision 0186):
 * the address, then the code mailed to it, then the chat knows who they are.
 * The server answers the same whatever the address, so "We sent a code to …"
 * is all the panel can say; a wrong code can be tried again until the server
 * says it is spent. The challenge lives in this component only.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ChatProblem, confirmEmailCode, requestEmailCode, type ChatIdentity } from './http.js';
import { problemText } from './notices.js';
import { ct } from './text.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface Props {
  token: string;
  /** An address given on the start form: its code is asked for at once. */
  initialEmail: string | null;
  onIdentified(identity: ChatIdentity): void;
  onClose(): void;
}

function explain(error: unknown): string {
  if (error instanceof ChatProblem && error.code === 'rate_limited') return ct('chat.identify.tooMany');
  return error instanceof ChatProblem ? problemText(error.code, error.detail) : ct('chat.error.generic');
}

export function IdentifyPanel({ token, initialEmail, onIdentified, onClose }: Props) {
  const id = useId();
  const [email, setEmail] = useState(initialEmail ?? '');
  const [sent, setSent] = useState<{ challengeId: string; email: string } | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  const ask = async (address: string) => {
    if (!EMAIL.test(address)) {
      setProblem(ct('chat.offline.badEmail'));
      emailInput.current?.focus();
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const { challengeId } = await requestEmailCode(token, address);
      setSent({ challengeId, email: address });
      setCode('');
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  // Focus follows the step: the address field, then the code field.
  useEffect(() => {
    if (sent) codeInput.current?.focus();
    else emailInput.current?.focus();
  }, [sent]);

  const started = useRef(false);
  useEffect(() => {
    if (initialEmail && !started.current) {
      started.current = true;
      void ask(initialEmail.trim());
    }
    // Once, for the address given on the start form.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const submitEmail = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) void ask(email.trim());
  };

  const submitCode = async (e: FormEvent) => {
    e.preventDefault();
    const value = code.replace(/[\s-]/g, '');
    if (busy || !sent) return;
    if (!/^\d{4,12}$/.test(value)) {
      setProblem(ct('chat.identify.codeShape'));
      codeInput.current?.focus();
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      onIdentified(await confirmEmailCode(token, sent.challengeId, value));
    } catch (error) {
      setProblem(explain(error));
      setCode('');
      codeInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="chat-verify" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="chat-verify__title">{ct('chat.identify.title')}</h2>
      {sent ? (
        <form onSubmit={(e) => void submitCode(e)} className="chat-verify__form" noValidate>
          <p role="status">{ct('chat.identify.sent', { email: sent.email })}</p>
          <label htmlFor={`${id}-code`}>{ct('chat.verify.code')}</label>
          <div className="chat-row">
            <input id={`${id}-code`} ref={codeInput} className="chat-input chat-input--code" inputMode="numeric" autoComplete="one-time-code" maxLength={12} value={code} onChange={(e) => setCode(e.target.value)} aria-describedby={problem ? `${id}-problem` : undefined} aria-invalid={problem ? true : undefined} />
            <button type="submit" className="chat-btn chat-btn--primary" aria-disabled={busy || undefined}>{ct('chat.verify.submit')}</button>
          </div>
          <div className="chat-row">
            <button type="button" className="chat-btn chat-btn--link" onClick={() => void ask(sent.email)} disabled={busy}>{ct('chat.identify.resend')}</button>
            <button type="button" className="chat-btn chat-btn--link" onClick={() => { setSent(null); setProblem(null); }}>{ct('chat.identify.otherAddress')}</button>
          </div>
        </form>
      ) : (
        <form onSubmit={submitEmail} className="chat-verify__form" noValidate>
          <p>{ct('chat.identify.intro')}</p>
          <label htmlFor={`${id}-email`}>{ct('chat.offline.email')}</label>
          <div className="chat-row">
            <input id={`${id}-email`} ref={emailInput} className="chat-input" type="email" autoComplete="email" maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={problem ? `${id}-problem` : undefined} aria-invalid={problem ? true : undefined} />
            <button type="submit" className="chat-btn chat-btn--primary" aria-disabled={busy || undefined}>{ct('chat.identify.send')}</button>
          </div>
        </form>
      )}
      <p id={`${id}-problem`} role="alert" className="chat-hint chat-hint--error">{problem}</p>
      <button type="button" className="chat-btn chat-btn--link" onClick={onClose}>{ct('chat.identify.cancel')}</button>
    </section>
  );
}
