/**
 * The chat inbox (/chats, /chats/:id): tabs Waiting / Mine / Team with live counts, one compact row per chat
 * (customer masked as in every list, a live waiting clock, "offered to you", the team and, on Team, the colleague
 * chatting — names from the team and staff lists when this person may read them) and Accept on waiting rows.
 * An open chat shows beside the list at desktop widths and alone at narrow ones (a link leads back).
 * Keyboard: j/k move between rows, Enter opens, `c` accepts the chat offered to me (or the longest waiting).
 */
import { useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { CHAT_BOXES, chatEndpoints, type ChatBox, type ChatInboxRow } from '../../../../src/platform/http/schemas/chat.js';
import { call } from '../../api.js';
import { t, tp } from '../../i18n/index.js';
import { LIVE_POLL_MS, useDebounced, useRealtime, useRealtimeConnected } from '../../realtime.js';
import { useMe } from '../../session.js';
import { Button } from '../../ui/Button.js';
import { useResource, useSubmit } from '../../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../../ui/notices.js';
import { Page } from '../../ui/Page.js';
import { useShortcut } from '../shortcuts.js';
import { ChatPane } from './ChatPane.js';
import { useNow } from './live.js';
import { customerName } from './ShellChat.js';
import { byUrgency, waitedSeconds, waitingClock } from './waiting.js';
import { useWaitingChats } from './WaitingChats.js';
import './chat.css';

/** A wait past this is highlighted in the list. */
const LONG_WAIT_S = 120;

function boxOf(search: string): ChatBox {
  const box = new URLSearchParams(search).get('box');
  return (CHAT_BOXES as readonly string[]).includes(box ?? '') ? (box as ChatBox) : 'waiting';
}

export function ChatInbox({ openId }: { openId: string | null }) {
  const search = useSearch();
  const { can } = useMe();
  const box = boxOf(search);
  const [, navigate] = useLocation();
  const waiting = useWaitingChats();
  const live = useRealtimeConnected();
  const lists = useResource(async (signal) => {
    const [w, mine, team] = await Promise.all(CHAT_BOXES.map((b) => call(chatEndpoints.inbox, { query: { box: b } }, { signal })));
    return { waiting: w?.chats ?? [], mine: mine?.chats ?? [], team: team?.chats ?? [], enabled: w?.enabled ?? true };
  }, [], { pollMs: live ? LIVE_POLL_MS : 15_000 });
  const refetch = useDebounced(lists.reload);
  useRealtime((m) => {
    if (m.type === 'chat-offer' || m.type === 'ticket' || m.type === 'resync') refetch();
  });
  const reloadAll = () => {
    lists.reload();
    waiting.reload();
  };
  const rows = [...(lists.data?.[box] ?? [])].sort(byUrgency);

  const stepRow = (step: 1 | -1) => {
    const links = Array.from(document.querySelectorAll<HTMLAnchorElement>('a.chat-row__link'));
    if (links.length === 0) return false;
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    links[at === -1 ? (step === 1 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step))]?.focus();
    return true;
  };
  useShortcut('j', () => stepRow(1));
  useShortcut('k', () => stepRow(-1));

  const boxHref = (b: ChatBox) => (openId ? `/chats/${openId}?box=${b}` : `/chats?box=${b}`);
  return (
    <Page title={t('agentChat.inbox.title')} wide>
      <div className={openId ? 'chat-layout chat-layout--open' : 'chat-layout'}>
        <div className="chat-layout__list">
          <nav className="views" aria-label={t('agentChat.inbox.boxes')}>
            <ul className="views__list">
              {CHAT_BOXES.map((b) => {
                const n = lists.data?.[b].length;
                const current = b === box;
                return (
                  <li key={b}>
                    <Link href={boxHref(b)} className={current ? 'views__link views__link--current' : 'views__link'} aria-current={current ? 'page' : undefined}>
                      <span>{t(`agentChat.box.${b}`)}</span>
                      {n !== undefined ? <span className={b === 'waiting' && n > 0 ? 'views__count views__count--alert' : 'views__count'} aria-label={tp('agentChat.inbox.count', n)}>{n}</span> : null}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <ErrorNotice error={lists.error} onRetry={lists.reload} />
          {lists.data && !lists.data.enabled ? (
            <Notice tone="info" title={t('agentChat.off.title')}>
              <p>{t('agentChat.off.body')}{can('channels.manage') ? <> <Link href="/admin/chat">{t('agentChat.off.settings')}</Link></> : null}</p>
            </Notice>
          ) : null}
          {lists.data ? (
            <ChatRows rows={rows} box={box} openId={openId} onAccepted={(id) => { reloadAll(); navigate(`/chats/${id}?box=mine`); }} />
          ) : lists.loading ? <Loading /> : null}
        </div>
        {openId ? (
          <div className="chat-layout__pane">
            <p className="chat-layout__back"><Link href={`/chats?box=${box}`}>{t('agentChat.inbox.back')}</Link></p>
            <ChatPane key={openId} ticketId={openId} onChanged={reloadAll} />
          </div>
        ) : null}
      </div>
    </Page>
  );
}

function ChatRows({ rows, box, openId, onAccepted }: { rows: ChatInboxRow[]; box: ChatBox; openId: string | null; onAccepted: (ticketId: string) => void }) {
  const now = useNow(1000);
  const { teamName, userName } = useWaitingChats();
  const [acceptingId, setAcceptingId] = useState<string | null>(null);
  const accept = useSubmit(async (ticketId: string) => {
    setAcceptingId(ticketId);
    await call(chatEndpoints.accept, { params: { id: ticketId } });
    onAccepted(ticketId);
  });
  if (rows.length === 0) return <EmptyState title={t(`agentChat.empty.${box}`)} />;
  return (
    <>
      <ErrorNotice error={accept.error} />
      <ul className="chat-rows" aria-label={t('agentChat.inbox.listLabel', { box: t(`agentChat.box.${box}`) })}>
        {rows.map((c, i) => {
          const name = customerName(c);
          const long = c.status === 'waiting' && waitedSeconds(c.waitingSince, now) >= LONG_WAIT_S;
          return (
            <li key={c.ticketId} className={c.ticketId === openId ? 'chat-row chat-row--open' : 'chat-row'}>
              <Link href={`/chats/${c.ticketId}?box=${box}`} className="chat-row__link" aria-current={c.ticketId === openId ? 'true' : undefined}>
                <span className="masked">{name}</span> <span className="ticket-link__number">#{c.number}</span>
              </Link>
              <span className="chat-row__meta">
                {c.status === 'waiting' ? (
                  <span className={long ? 'chat-row__clock chat-row__clock--long' : 'chat-row__clock'} aria-label={t('agentChat.row.waitingFor', { time: waitingClock(c.waitingSince, now) })}>
                    {waitingClock(c.waitingSince, now)}
                  </span>
                ) : (
                  <Badge tone={c.status === 'active' ? 'success' : 'neutral'}>{t(`agentChat.status.${c.status}`)}</Badge>
                )}
                {c.offeredToMe ? <Badge tone="info">{t('agentChat.row.offered')}</Badge> : null}
                {teamName(c.teamId) ? <span className="muted">{teamName(c.teamId)}</span> : null}
                {box === 'team' && userName(c.agentId) ? <span className="muted">{t('agentChat.row.with', { name: userName(c.agentId) ?? '' })}</span> : null}
              </span>
              {c.status === 'waiting' ? (
                <Button variant={c.offeredToMe ? 'primary' : 'secondary'} className="btn--small chat-row__action" busy={accept.busy && acceptingId === c.ticketId}
                  onClick={() => void accept.run(c.ticketId)} aria-label={t('agentChat.row.acceptNamed', { name })}
                  {...(i === 0 ? { 'data-shortcut': 'c', 'aria-keyshortcuts': 'c' } : {})}>
                  {t('agentChat.row.accept')}
                </Button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </>
  );
}
