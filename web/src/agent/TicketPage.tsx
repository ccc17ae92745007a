/**
 * One ticket: the conversation and the composer, with the properties, the
 * requester and "verify customer" beside them. Marks `td:ticket-ready` once
 * the conversation has rendered (bench:web measures it).
 */
import { useEffect, useRef } from 'react';
import { Link, useLocation } from 'wouter';
import { ticketEndpoints } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { useDebounced, useRealtime } from '../realtime.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { CollisionNotice, TypingReporter } from './chat/Collision.js';
import { Composer } from './Composer.js';
import { Conversation } from './Conversation.js';
import { CustomerPanel, VerifyCustomer } from './CustomerPanel.js';
import { Properties } from './Properties.js';
import { TicketCsat } from './TicketCsat.js';
import { PriorityBadge, StatusBadge } from './shared.js';
import { SplitTicket } from './Split.js';
import { neighbourTicket, useShortcut } from './shortcuts.js';

export function TicketPage({ id }: { id: string }) {
  const { can } = useMe();
  const ticket = useResource((signal) => call(ticketEndpoints.read, { params: { id } }, { signal }), [id]);
  const marked = useRef<string | null>(null);
  const data = ticket.data && ticket.data.id === id ? ticket.data : undefined;
  // Someone else replied, assigned or changed the status: refetch the ticket. The composer keeps its draft
  // (it is not remounted by a refetch).
  const refetch = useDebounced(ticket.reload);
  useRealtime((m) => {
    if ((m.type === 'ticket' && m.ticketId === id) || m.type === 'resync') refetch();
  });
  const [, navigate] = useLocation();
  // j/k: the next or previous ticket of the list the agent came from.
  const step = (by: 1 | -1) => {
    const next = neighbourTicket(id, by);
    if (next) navigate(`/tickets/${next}`);
    return next !== null;
  };
  useShortcut('j', () => step(1));
  useShortcut('k', () => step(-1));

  useEffect(() => {
    if (data && marked.current !== id) {
      marked.current = id;
      performance.mark('td:ticket-ready');
    }
  }, [data, id]);

  if (!data) {
    return (
      <Page title={t('agent.ticket.loading')}>
        {ticket.error ? <ErrorNotice error={ticket.error} onRetry={ticket.reload} /> : <Loading />}
        <p><Link href="/tickets">{t('agent.ticket.back')}</Link></p>
      </Page>
    );
  }
  return (
    <Page
      wide
      title={`#${data.number} ${data.subject ?? t('agent.ticket.noSubject')}`}
      subtitle={
        <span className="ticket-meta">
          <StatusBadge status={data.status} /> <PriorityBadge priority={data.priority} />
          {data.tags.map((tag) => <span key={tag} className="tag">{tag}</span>)}
        </span>
      }
      actions={
        <>
          {data.abilities['tickets.bulk'] && data.status !== 'closed' ? <SplitTicket ticket={data} /> : null}
          {data.channel === 'chat' ? <Link href={`/chats/${data.id}`} className="btn btn--ghost">{t('agentChat.ticket.openChat')}</Link> : null}
          <Link href="/tickets" className="btn btn--ghost">{t('agent.ticket.back')}</Link>
        </>
      }
    >
      {ticket.error ? <ErrorNotice error={ticket.error} onRetry={ticket.reload} /> : null}
      {data.mergedInto ? (
        <Notice tone="info" title={t('agent.merged.title', { number: data.mergedInto.number })}>
          <Link href={`/tickets/${data.mergedInto.id}`}>{t('agent.merged.open', { number: data.mergedInto.number })}</Link>
        </Notice>
      ) : null}
      {data.held ? (
        <Notice tone="warning" title={data.held.confirmed ? t('agent.held.confirmedTitle') : t('agent.held.title')}>
          <p>{data.held.confirmed ? t('agent.held.confirmedBody') : t('agent.held.body')}</p>
        </Notice>
      ) : null}
      <div className="ticket-layout">
        <div className="ticket-layout__main">
          <Conversation ticket={data} onChanged={ticket.reload} />
          {/* Collision detection: colleagues see "… is replying" while this agent types, and this agent sees theirs. */}
          <CollisionNotice ticketId={data.id} />
          {data.abilities['tickets.write'] ? <TypingReporter ticketId={data.id}><Composer ticket={data} onSent={ticket.reload} /></TypingReporter> : null}
        </div>
        <aside className="ticket-layout__side" aria-label={t('agent.ticket.side')}>
          <Properties ticket={data} onChanged={ticket.reload} />
          <TicketCsat ticketId={data.id} status={data.status} />
          {data.requesterId && can('customers.read') ? <CustomerPanel customerId={data.requesterId} ticketId={data.id} canReveal={data.abilities['customers.reveal']} /> : null}
          {data.requesterId && can('customers.verify') ? <VerifyCustomer ticketId={data.id} customerId={data.requesterId} held={data.held !== null} /> : null}
        </aside>
      </div>
    </Page>
  );
}
