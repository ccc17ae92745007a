/**
 * Writing in a chat: a plain text box (Enter sends, Shift+Enter a new line), canned replies from the macros the
 * agent may use (their text filled in for this ticket, put into the box to edit), and our sends shown until the
 * conversation holds them. Each send carries a clientId (a UUID), so a retry after a failure is never stored
 * twice. The server's sensitive-data stage runs on every message; what it removed is said right away.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { macroEndpoints } from '../../../../src/platform/http/schemas/macros.js';
import { call } from '../../api.js';
import { t } from '../../i18n/index.js';
import { Button } from '../../ui/Button.js';
import { SelectField } from '../../ui/fields.js';
import { useResource, useSubmit } from '../../ui/hooks.js';
import { ErrorNotice, Notice } from '../../ui/notices.js';
import { label } from '../shared.js';
import { CHAT_MESSAGE_MAX, chatEndpoints, type ChatItemView } from '../../../../src/platform/http/schemas/chat.js';
import { useReportTyping } from './live.js';
import { pendingSends } from './seq.js';

interface Pending {
  clientId: string;
  body: string;
  failed: boolean;
}

export function ChatComposer({ ticketId, held, autoFocus, onSent }: { ticketId: string; held: ChatItemView[]; autoFocus: boolean; onSent: () => Promise<void> }) {
  const [text, setText] = useState('');
  const [pending, setPending] = useState<Pending[]>([]);
  const [removed, setRemoved] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const report = useReportTyping(ticketId);
  useEffect(() => {
    if (autoFocus) box.current?.focus();
  }, [autoFocus]);

  const deliver = async (p: Pending) => {
    setPending((list) => list.map((x) => (x.clientId === p.clientId ? { ...x, failed: false } : x)));
    try {
      const res = await call(chatEndpoints.send, { params: { id: ticketId }, body: { clientId: p.clientId, body: p.body } });
      setRemoved(res.redacted);
      setError(null);
      await onSent();
      setPending((list) => list.filter((x) => x.clientId !== p.clientId));
    } catch (err) {
      setError(err);
      setPending((list) => list.map((x) => (x.clientId === p.clientId ? { ...x, failed: true } : x)));
    }
  };
  const send = () => {
    const body = text.trim();
    // Too long: the field says so and Send is disabled; Enter does nothing either.
    if (!body || body.length > CHAT_MESSAGE_MAX) return;
    const p = { clientId: crypto.randomUUID(), body, failed: false };
    setPending((list) => [...list, p]);
    setText('');
    setRemoved([]);
    void deliver(p);
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const shown = pendingSends(pending, held);
  const tooLong = text.trim().length > CHAT_MESSAGE_MAX;
  return (
    <section className="chat-composer" aria-labelledby="chat-composer-title">
      <h3 id="chat-composer-title" className="visually-hidden">{t('agentChat.composer.title')}</h3>
      {shown.length ? (
        <ul className="chat-pending" aria-label={t('agentChat.composer.pending')}>
          {shown.map((p) => (
            <li key={p.clientId} className={p.failed ? 'chat-pending__item chat-pending__item--failed' : 'chat-pending__item'}>
              <span className="chat-pending__body">{p.body}</span>{' '}
              {p.failed ? (
                <>
                  <span className="chat-pending__state">{t('agentChat.composer.failed')}</span>{' '}
                  <Button className="btn--small" onClick={() => void deliver(p)}>{t('action.retry')}</Button>
                </>
              ) : (
                <span className="chat-pending__state muted">{t('agentChat.composer.sending')}</span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {removed.length ? <Notice tone="warning">{t('agentChat.composer.removed', { types: removed.map((r) => label('agent.sensitive', r)).join(', ') })}</Notice> : null}
      <ErrorNotice error={error} />
      <CannedReplies ticketId={ticketId} onText={(value) => { setText((prev) => (prev.trim() ? `${prev.trimEnd()}\n${value}` : value)); box.current?.focus(); }} />
      <form className="chat-composer__form" onSubmit={onSubmit} noValidate>
        <div className={tooLong ? 'field field--invalid chat-composer__field' : 'field chat-composer__field'}>
          <label className="field__label" htmlFor="chat-composer-body">{t('agentChat.composer.label')}</label>
          <p id={hintId} className="field__hint">{t('agentChat.composer.hint')}</p>
          <textarea id="chat-composer-body" ref={box} className="input input--area chat-composer__body" rows={3} value={text}
            aria-describedby={tooLong ? `${hintId} chat-composer-error` : hintId} aria-invalid={tooLong || undefined}
            onChange={(e) => { setText(e.target.value); report(); }} onKeyDown={onKeyDown} />
          {tooLong ? <p id="chat-composer-error" className="field__error">{t('agentChat.composer.tooLong', { max: CHAT_MESSAGE_MAX })}</p> : null}
        </div>
        <Button type="submit" variant="primary" disabled={!text.trim() || tooLong}>{t('agentChat.composer.send')}</Button>
      </form>
    </section>
  );
}

/** The organisation's macros as canned replies: pick one, its text (filled in for this ticket) goes into the box. */
function CannedReplies({ ticketId, onText }: { ticketId: string; onText: (text: string) => void }) {
  const macros = useResource((signal) => call(macroEndpoints.list, {}, { signal }), []);
  const [macroId, setMacroId] = useState('');
  const [warnings, setWarnings] = useState<string[]>([]);
  const insert = useSubmit(async () => {
    if (!macroId) return;
    const preview = await call(macroEndpoints.preview, { params: { id: ticketId, macroId } });
    setWarnings(preview.warnings.map((w) => label('agent.sensitive', w.type)));
    setMacroId('');
    onText(preview.body);
  });
  const items = macros.data?.items ?? [];
  if (macros.error || items.length === 0) return null;
  return (
    <div className="composer__macros">
      <SelectField data-shortcut="m" label={t('agentChat.composer.canned')} value={macroId} onChange={(e) => setMacroId(e.target.value)}
        options={[{ value: '', label: t('agent.macro.none') }, ...items.map((m) => ({ value: m.id, label: m.name }))]} />
      <Button className="btn--small" disabled={!macroId} busy={insert.busy} onClick={() => void insert.run()}>{t('agentChat.composer.insert')}</Button>
      <ErrorNotice error={insert.error} />
      {warnings.length ? <Notice tone="warning">{t('agentChat.composer.cannedWarnings', { types: warnings.join(', ') })}</Notice> : null}
    </div>
  );
}
