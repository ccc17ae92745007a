/**
 * One chat, opened from the inbox: the conversation (catch-up by seq, appended live on `chat` frames by their
 * `chatSeq` — the item itself when the frame carries it and it follows what is held — each seq once), the customer's typing, a colleague's typing on the same chat, the composer, and beside them the
 * customer panel (masked, reveal with a reason) and "Verify customer" — the ticket page's own components: the
 * server asks the customer for the code inside the chat. Transfer and End act on the chat; the chat stays a
 * ticket, reachable from "Open as ticket".
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { chatEndpoints, type ChatItemView, type ChatStatusT } from '../../../../src/platform/http/schemas/chat.js';
import { ticketEndpoints } from '../../../../src/platform/http/schemas/tickets.js';
import { call } from '../../api.js';
import { t } from '../../i18n/index.js';
import { useDebounced, useRealtime } from '../../realtime.js';
import { useMe } from '../../session.js';
import { Button } from '../../ui/Button.js';
import { useResource, useSubmit } from '../../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../../ui/notices.js';
import { CustomerPanel, VerifyCustomer } from '../CustomerPanel.js';
import { ChatComposer } from './ChatComposer.js';
import { ChatLog } from './ChatLog.js';
import { CollisionNotice } from './Collision.js';
import { useTypingOn } from './live.js';
import { isNewer, lastSeq, mergeBySeq } from './seq.js';
import { EndChat, TransferChat } from './ChatActions.js';

/** The conversation as held: merged by seq; `catchUp` asks for what follows the last seq, one request at a time. */
function useConversation(ticketId: string) {
  const [messages, setMessages] = useState<ChatItemView[]>([]);
  const [status, setStatus] = useState<ChatStatusT | null>(null);
  const [error, setError] = useState<unknown>(null);
  const held = useRef<ChatItemView[]>([]);
  const running = useRef(false);
  const again = useRef(false);
  const catchUp = useCallback(async () => {
    if (running.current) {
      again.current = true;
      return;
    }
    running.current = true;
    try {
      do {
        again.current = false;
        const res = await call(chatEndpoints.read, { params: { id: ticketId }, query: { after: lastSeq(held.current) } });
        held.current = mergeBySeq(held.current, res.items);
        setMessages(held.current);
        setStatus(res.status);
        setError(null);
      } while (again.current);
    } catch (err) {
      setError(err);
    } finally {
      running.current = false;
    }
  }, [ticketId]);
  useEffect(() => {
    void catchUp();
  }, [catchUp]);
  /** An item pushed live: held at once when it follows what we hold; after a gap, a catch-up fetches the rest. */
  const receive = useCallback((item: ChatItemView) => {
    if (item.seq !== lastSeq(held.current) + 1 || running.current) return void catchUp();
    held.current = mergeBySeq(held.current, [item]);
    setMessages(held.current);
  }, [catchUp]);
  return { messages, status, error, catchUp, receive, last: () => lastSeq(held.current) };
}

function lastSystemSeq(messages: readonly ChatItemView[]): number {
  return messages.reduce((last, m) => (m.author === 'system' ? m.seq : last), 0);
}

export function ChatPane({ ticketId, onChanged }: { ticketId: string; onChanged: () => void }) {
  const { me, can } = useMe();
  const ticket = useResource((signal) => call(ticketEndpoints.read, { params: { id: ticketId } }, { signal }), [ticketId]);
  const conv = useConversation(ticketId);
  const reloadTicket = useDebounced(ticket.reload);
  useRealtime((m) => {
    if (m.type === 'chat' && m.ticketId === ticketId && isNewer(m.chatSeq, conv.last())) {
      if (m.item && m.item.seq === m.chatSeq) conv.receive(m.item);
      else void conv.catchUp();
    }
    else if (m.type === 'ticket' && m.ticketId === ticketId) {
      reloadTicket();
      void conv.catchUp();
    } else if (m.type === 'resync') {
      reloadTicket();
      void conv.catchUp();
    }
  });
  const customerTyping = useTypingOn(ticketId, 'customer').length > 0;
  const accept = useSubmit(async () => {
    await call(chatEndpoints.accept, { params: { id: ticketId } });
    ticket.reload();
    await conv.catchUp();
    onChanged();
  });
  const changed = () => {
    ticket.reload();
    void conv.catchUp();
    onChanged();
  };
  const data = ticket.data && ticket.data.id === ticketId ? ticket.data : undefined;
  if (!data || conv.status === null) {
    return (
      <section className="chat-pane" aria-label={t('agentChat.pane.loading')}>
        <ErrorNotice error={ticket.error ?? conv.error} onRetry={() => { ticket.reload(); void conv.catchUp(); }} />
        {ticket.error || conv.error ? null : <Loading />}
      </section>
    );
  }
  const status = conv.status;
  const mine = data.assigneeId === me.user.id;
  const canWrite = data.abilities['tickets.write'];
  const canAssign = data.abilities['tickets.assign'];
  const customer = data.requester ? data.requester.name : t('agentChat.visitor');
  return (
    <div className="chat-pane-layout">
      <section className="chat-pane" aria-labelledby="chat-pane-title">
        <header className="chat-pane__header">
          <h2 id="chat-pane-title" className="section__title">
            {t('agentChat.pane.title', { name: customer })} <span className="ticket-link__number">#{data.number}</span>
          </h2>
          <Badge tone={status === 'active' ? 'success' : status === 'waiting' ? 'info' : 'neutral'}>{t(`agentChat.status.${status}`)}</Badge>
          <div className="chat-pane__actions">
            {status === 'waiting' ? <Button variant="primary" className="btn--small" busy={accept.busy} onClick={() => void accept.run()}>{t('agentChat.pane.accept')}</Button> : null}
            {/* The server lets anyone with tickets.assign transfer a chat, and its own agent with tickets.write. */}
            {status !== 'ended' && (canAssign || (mine && canWrite))
              ? <TransferChat ticketId={ticketId} canPeople={canAssign} onDone={changed} /> : null}
            {status !== 'ended' && canWrite ? <EndChat ticketId={ticketId} onDone={changed} /> : null}
            <Link href={`/tickets/${ticketId}`} className="btn btn--ghost btn--small">{t('agentChat.pane.openTicket')}</Link>
          </div>
        </header>
        <ErrorNotice error={accept.error ?? conv.error} />
        {data.held ? <Notice tone="warning" title={t('agent.held.title')}><p>{t('agent.held.body')}</p></Notice> : null}
        <ChatLog ticketId={ticketId} messages={conv.messages} myName={me.user.name} />
        <p className="chat-typing" role="status">{customerTyping && status !== 'ended' ? t('agentChat.pane.customerTyping', { name: customer }) : ''}</p>
        <CollisionNotice ticketId={ticketId} />
        {status === 'ended' ? (
          <Notice tone="info" title={t('agentChat.pane.ended')}>
            <p>{t('agentChat.pane.endedBody')} <Link href={`/tickets/${ticketId}`}>{t('agentChat.pane.openTicket')}</Link></p>
          </Notice>
        ) : canWrite && (status === 'active' || mine) && !data.held ? (
          <ChatComposer ticketId={ticketId} held={conv.messages} autoFocus={mine} onSent={conv.catchUp} />
        ) : status === 'waiting' ? (
          <p className="muted">{t('agentChat.pane.acceptFirst')}</p>
        ) : null}
      </section>
      <aside className="chat-pane-layout__side" aria-label={t('agentChat.pane.side')}>
        {data.requesterId && can('customers.read') ? <CustomerPanel customerId={data.requesterId} ticketId={ticketId} canReveal={data.abilities['customers.reveal']} /> : null}
        {/* A verification's outcome arrives as a system message of the chat: remounting re-reads the latest one. */}
        {data.requesterId && can('customers.verify') && status !== 'ended' ? <VerifyCustomer key={lastSystemSeq(conv.messages)} ticketId={ticketId} held={data.held !== null} /> : null}
        {!data.requesterId ? <p className="muted">{t('agentChat.pane.anonymous')}</p> : null}
      </aside>
    </div>
  );
}
