/**
 * The chat conversation as a log (role=log: screen readers hear new messages as they are appended, politely).
 * Bodies are already redacted by the server; stored `[redacted:…]` tokens show as readable markers, and a message
 * the sensitive-data stage changed says so. Follows the newest message unless the agent has scrolled up to read.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import { ticketAttachmentUrl } from '../../../../src/platform/http/schemas/tickets.js';
import { formatDateTime, locale, t } from '../../i18n/index.js';
import { Badge } from '../../ui/notices.js';
import { withRedactionMarkers } from '../../ui/redacted.js';
import { fileSize, label } from '../shared.js';
import type { ChatItemView } from '../../../../src/platform/http/schemas/chat.js';

const clock = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });

export function ChatLog({ ticketId, messages, myName }: { ticketId: string; messages: ChatItemView[]; myName: string }) {
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onScroll = () => {
      pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [messages.length]);
  return (
    <div ref={box} className="chat-log" role="log" aria-label={t('agentChat.log.label')} tabIndex={0}>
      {messages.length === 0 ? <p className="muted">{t('agentChat.log.empty')}</p> : null}
      <ol className="chat-log__list">
      {messages.map((m) => (
        <li key={m.seq} className={`chat-msg chat-msg--${m.author}`}>
          <p className="chat-msg__header">
            <span className="chat-msg__author">{m.author === 'agent' && m.name === myName ? t('agentChat.log.you') : m.author === 'system' ? t('agentChat.log.system') : m.name || t('agentChat.visitor')}</span>
            <time className="chat-msg__time" dateTime={m.at} title={formatDateTime(m.at)}>{clock.format(new Date(m.at))}</time>
          </p>
          <div className="chat-msg__body">{withRedactionMarkers(m.body)}</div>
          {m.redacted.length ? (
            <p className="chat-msg__redacted"><Badge tone="warning">{t('agentChat.log.redacted', { types: m.redacted.map((r) => label('agent.sensitive', r)).join(', ') })}</Badge></p>
          ) : null}
          {m.attachments.length ? (
            <ul className="files">
              {m.attachments.map((a) => (
                <li key={a.id} className="files__item">
                  {a.dangerous ? (
                    <>{a.filename} <Badge tone="danger">{t('agent.files.dangerous')}</Badge> <a href={`/tickets/${ticketId}`}>{t('agentChat.log.dangerousOnTicket')}</a></>
                  ) : (
                    <a href={ticketAttachmentUrl(ticketId, a.id)} download>{a.filename}</a>
                  )}{' '}
                  <span className="muted">{fileSize(a.size)}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </li>
      ))}
      </ol>
    </div>
  );
}
