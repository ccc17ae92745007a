/**
 * The chat's pieces of the staff shell: the waiting count on the "Chats" link and the offer notices. An offer is
 * a quiet box in the corner, never a dialog: it takes no focus and blocks nothing, a polite status line
 * announces it once, and Accept (`c` anywhere in the console) takes the chat. No sound.
 */
import { useEffect, useRef, useState } from 'react';
import { useLocation } from 'wouter';
import { chatEndpoints, type ChatInboxRow } from '../../../../src/platform/http/schemas/chat.js';
import { call } from '../../api.js';
import { t, tp } from '../../i18n/index.js';
import { Button } from '../../ui/Button.js';
import { useSubmit } from '../../ui/hooks.js';
import { ErrorNotice } from '../../ui/notices.js';
import { useNow } from './live.js';
import { waitingClock } from './waiting.js';
import { useWaitingChats } from './WaitingChats.js';
import './shell.css';

/** The number on the "Chats" link: chats waiting that this agent may take. */
export function WaitingCount() {
  const { items } = useWaitingChats();
  if (!items || items.length === 0) return null;
  return <span className="nav-count" aria-label={tp('agentChat.nav.waiting', items.length)}>{items.length}</span>;
}

/** The customer as the inbox names them: masked, as in every list (the open chat's customer panel may reveal). */
export function customerName(chat: Pick<ChatInboxRow, 'customer'>): string {
  return chat.customer || t('agentChat.visitor');
}

export function ChatOffers() {
  const { items } = useWaitingChats();
  const [dismissed, setDismissed] = useState<string[]>([]);
  const [location] = useLocation();
  const offers = (items ?? []).filter((c) => c.offeredToMe && !dismissed.includes(c.ticketId) && location !== `/chats/${c.ticketId}`);
  // One announcement per new offer, through a status region that is always in the page.
  const announced = useRef(new Set<string>());
  const [announcement, setAnnouncement] = useState('');
  const fresh = offers.find((o) => !announced.current.has(o.ticketId));
  useEffect(() => {
    if (!fresh) return;
    for (const o of offers) announced.current.add(o.ticketId);
    setAnnouncement(t('agentChat.offer.announce', { name: customerName(fresh) }));
  }, [fresh, offers]);
  return (
    <>
      <p className="visually-hidden" role="status">{announcement}</p>
      {offers.length ? <OfferList offers={offers} onDismiss={(id) => setDismissed((d) => [...d, id])} /> : null}
      {/* Room below the page for the box, so the end of a page (a composer's Send) can scroll out from under it. */}
      {offers.length ? <div className={`chat-offers-spacer chat-offers-spacer--${Math.min(offers.length, 3)}`} aria-hidden="true" /> : null}
    </>
  );
}

/** The shown offers, with their waiting clocks (ticking only while there is an offer). */
function OfferList({ offers, onDismiss }: { offers: ChatInboxRow[]; onDismiss: (ticketId: string) => void }) {
  const { reload, teamName } = useWaitingChats();
  const [, navigate] = useLocation();
  const now = useNow(1000);
  const accept = useSubmit(async (ticketId: string) => {
    await call(chatEndpoints.accept, { params: { id: ticketId } });
    reload();
    navigate(`/chats/${ticketId}`);
  });
  return (
    <section className="chat-offers" aria-label={t('agentChat.offer.region')}>
      <ErrorNotice error={accept.error} />
      {offers.slice(0, 3).map((o, i) => (
        <div key={o.ticketId} className="chat-offer">
          <p className="chat-offer__title">{t('agentChat.offer.title', { name: customerName(o) })}</p>
          <p className="chat-offer__meta muted">
            {teamName(o.teamId) ? `${teamName(o.teamId)} · ` : ''}{t('agentChat.offer.waiting', { time: waitingClock(o.waitingSince, now) })}
          </p>
          <div className="chat-offer__actions">
            <Button variant="primary" className="btn--small" busy={accept.busy} onClick={() => void accept.run(o.ticketId)}
              aria-label={t('agentChat.offer.acceptNamed', { name: customerName(o) })} {...(i === 0 ? { 'data-shortcut': 'c', 'aria-keyshortcuts': 'c' } : {})}>
              {i === 0 ? t('agentChat.offer.acceptKey') : t('agentChat.offer.accept')}
            </Button>
            <Button variant="ghost" className="btn--small" onClick={() => onDismiss(o.ticketId)} aria-label={t('agentChat.offer.dismissNamed', { name: customerName(o) })}>
              {t('agentChat.offer.dismiss')}
            </Button>
          </div>
        </div>
      ))}
      {offers.length > 3 ? <p className="chat-offer__more">{tp('agentChat.offer.more', offers.length - 3)}</p> : null}
    </section>
  );
}
