/**
 * The bell in the staff top bar: the unread count (refetched when the live
 * connection says it changed; polled every 30 seconds while that connection is
 * down, every 5 minutes while it is up, and at once when the tab becomes visible) and a
 * panel of recent notifications that link to their tickets. Escape or a click
 * outside closes the panel and gives focus back to the bell.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'wouter';
import type { Static } from 'typebox';
import { notificationEndpoints as e, type Notification } from '../../../src/platform/http/schemas/notifications.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { LIVE_POLL_MS, useRealtime, useRealtimeConnected } from '../realtime.js';
import { ErrorNotice } from '../ui/notices.js';
import { RelativeTime } from '../ui/time.js';
import './notifications.css';

type Item = Static<typeof Notification>;
const POLL_MS = 30_000;

export function describeNotification(item: Item): string {
  return t(`notifications.kind.${item.kind}`, { number: item.ticket?.number ?? '' });
}

/**
 * Marks in flight, for the whole page (a bell mounted again after a navigation sees them too). A count the
 * server gave while a mark was being written is older than what the bell shows; it is dropped, and the count is
 * read again once the mark is stored. Without this, a refresh racing the mark put "1 unread" back until the next poll.
 */
const marks = { pending: 0, generation: 0 };

export function NotificationBell() {
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Item[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const panelId = useId();

  const refreshCount = useCallback(() => {
    const asked = marks.generation;
    call(e.unreadCount).then((r) => {
      if (marks.pending === 0 && marks.generation === asked) setUnread(r.unread);
    }, () => undefined);
  }, []);

  const load = useCallback(async (before?: string) => {
    try {
      const asked = marks.generation;
      const page = await call(e.list, { query: before ? { before, limit: 20 } : { limit: 20 } });
      setItems((prev) => (before && prev ? [...prev, ...page.items] : page.items));
      setNext(page.next);
      if (marks.pending === 0 && marks.generation === asked) setUnread(page.unread);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);

  // Live: the server says when this person's notifications changed; the poll is a slow safety net then.
  const live = useRealtimeConnected();
  const openRef = useRef(open);
  openRef.current = open;
  useRealtime((m) => {
    if (m.type !== 'notifications' && m.type !== 'resync') return;
    if (openRef.current) void load();
    else refreshCount();
  });

  useEffect(() => {
    refreshCount();
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') refreshCount();
    }, live ? LIVE_POLL_MS : POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') refreshCount();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refreshCount, live]);

  const close = useCallback((focusBell: boolean) => {
    setOpen(false);
    if (focusBell) button.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    void load();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close(true);
    };
    const onPointer = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!panel.current?.contains(target) && !button.current?.contains(target)) close(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open, load, close]);

  const markRead = async (item: Item) => {
    if (item.readAt) return;
    setItems((prev) => prev?.map((i) => (i.id === item.id ? { ...i, readAt: new Date().toISOString() } : i)) ?? prev);
    setUnread((n) => Math.max(0, n - 1));
    marks.pending += 1;
    marks.generation += 1;
    try {
      await call(e.markRead, { params: { id: item.id } }).catch(() => undefined);
    } finally {
      marks.pending -= 1;
      marks.generation += 1;
      refreshCount();
    }
  };

  const markAll = async () => {
    try {
      await call(e.markAllRead);
      const now = new Date().toISOString();
      setItems((prev) => prev?.map((i) => (i.readAt ? i : { ...i, readAt: now })) ?? prev);
      setUnread(0);
    } catch (err) {
      setError(err);
    }
  };

  const label = unread > 0 ? tp('notifications.bellUnread', unread) : t('notifications.bell');
  return (
    <div className="bell">
      <button ref={button} type="button" className="bell__button" aria-label={label} title={label} aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)}>
        <svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24">
          <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
        </svg>
        {unread > 0 ? <span className="bell__count" data-testid="bell-count">{unread > 99 ? '99+' : unread}</span> : null}
      </button>
      <div ref={panel} id={panelId} className="bell__panel" role="region" aria-label={t('notifications.panel')} hidden={!open}>
        {open ? (
          <>
            <div className="bell__head">
              <h2 className="bell__title">{t('notifications.panel')}</h2>
              <button type="button" className="btn btn--ghost btn--small" onClick={() => void markAll()} disabled={unread === 0}>{t('notifications.markAllRead')}</button>
            </div>
            <ErrorNotice error={error} onRetry={() => void load()} />
            {items && items.length === 0 ? <p className="bell__empty">{t('notifications.empty')}</p> : null}
            <ul className="bell__list">
              {(items ?? []).map((item) => (
                <li key={item.id} className={item.readAt ? 'bell__item' : 'bell__item bell__item--unread'}>
                  {item.ticket ? (
                    <Link href={`/tickets/${item.ticket.id}`} className="bell__link" onClick={() => { void markRead(item); close(false); }}>
                      {describeNotification(item)}
                    </Link>
                  ) : item.kind === 'training_due' ? (
                    <Link href="/training" className="bell__link" onClick={() => { void markRead(item); close(false); }}>{describeNotification(item)}</Link>
                  ) : item.kind === 'policy_attestation' ? (
                    <Link href="/training/policy" className="bell__link" onClick={() => { void markRead(item); close(false); }}>{describeNotification(item)}</Link>
                  ) : item.kind === 'new_device' ? (
                    <Link href="/account/devices" className="bell__link" onClick={() => { void markRead(item); close(false); }}>{describeNotification(item)}</Link>
                  ) : (
                    <span className="bell__link">{describeNotification(item)}</span>
                  )}
                  <span className="bell__meta">
                    {item.count > 1 ? <span>{tp('notifications.times', item.count)} </span> : null}
                    {item.actorName ? <span>{t('notifications.by', { name: item.actorName })} · </span> : null}
                    <RelativeTime value={item.updatedAt} />
                  </span>
                  {item.readAt ? null : (
                    <button type="button" className="btn btn--ghost btn--small bell__mark" aria-label={t('notifications.markReadOf', { number: item.ticket?.number ?? '' })} onClick={() => void markRead(item)}>
                      {t('notifications.markRead')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
            <div className="bell__foot">
              {next ? <button type="button" className="btn btn--ghost btn--small" onClick={() => void load(next)}>{t('notifications.more')}</button> : null}
              <Link href="/account/notifications" className="bell__settings" onClick={() => close(false)}>{t('notifications.settings')}</Link>
            </div>
          </>
        ) : null}
      </div>
    </div>
  );
}
