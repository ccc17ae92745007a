/**
 * The waiting chats, loaded once for the whole staff shell: the "Chats" count in the top bar and the offer notices
 * read them from here, and the inbox asks for a reload after it acts. Refetched (debounced) on `chat-offer`,
 * `ticket` and `resync` frames; polled every 15 s as a safety net (an offer that timed out and moved on sends this
 * agent nothing), every 5 s while an offer to me is shown, so an expired one disappears promptly.
 */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { call } from '../../api.js';
import { useDebounced, useRealtime } from '../../realtime.js';
import { useResource } from '../../ui/hooks.js';
import { chatEndpoints, type ChatSummaryT } from './chat-schemas.js';

interface WaitingChats {
  /** Undefined until loaded, or when chat is not for this person. */
  items: ChatSummaryT[] | undefined;
  reload: () => void;
}

const Context = createContext<WaitingChats>({ items: undefined, reload: () => undefined });

export function WaitingChatsProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const list = useResource((signal) => (enabled ? call(chatEndpoints.list, { query: { box: 'waiting' } }, { signal }) : Promise.resolve(null)), [enabled], { pollMs: 15_000 });
  const offered = list.data?.items.some((c) => c.offeredToMe) ?? false;
  useEffect(() => {
    if (!offered) return;
    const timer = window.setTimeout(list.reload, 5_000);
    return () => window.clearTimeout(timer);
  }, [offered, list.data, list.reload]);
  const value = useMemo(() => ({ items: list.data?.items, reload: list.reload }), [list.data, list.reload]);
  return (
    <Context.Provider value={value}>
      {enabled ? <Refetch on={list.reload} /> : null}
      {children}
    </Context.Provider>
  );
}

/** Listens only for people who take chats: nobody else's page opens the socket for this. */
function Refetch({ on }: { on: () => void }) {
  const refetch = useDebounced(on, 300);
  useRealtime((m) => {
    if (m.type === 'chat-offer' || m.type === 'ticket' || m.type === 'resync') refetch();
  });
  return null;
}

export function useWaitingChats(): WaitingChats {
  return useContext(Context);
}
