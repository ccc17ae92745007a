/**
 * The waiting chats, loaded once for the whole staff shell: the "Chats" count in the top bar and the offer notices
 * read them from here, and the inbox asks for a reload after it acts. Refetched (debounced) on `chat-offer`,
 * `ticket` and `resync` frames; polled every 15 s as a safety net (an offer that timed out and moved on sends this
 * agent nothing), every 5 s while an offer to me is shown, so an expired one disappears promptly.
 * The inbox rows carry team and agent ids only: their names come from the team and staff lists, loaded here once
 * for whoever may read them (users.read); without it the rows simply show no team or colleague.
 */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { chatEndpoints, type ChatInboxRow } from '../../../../src/platform/http/schemas/chat.js';
import { teamEndpoints, userEndpoints } from '../../../../src/platform/http/schemas/users.js';
import { call } from '../../api.js';
import { useDebounced, useRealtime } from '../../realtime.js';
import { useMe } from '../../session.js';
import { useResource } from '../../ui/hooks.js';

interface WaitingChats {
  /** Undefined until loaded, or when chat is not for this person. */
  items: ChatInboxRow[] | undefined;
  reload: () => void;
  /** A team's or a colleague's name, when this person may read them and they are known. */
  teamName: (id: string | null) => string | null;
  userName: (id: string | null) => string | null;
}

const none = () => null;
const Context = createContext<WaitingChats>({ items: undefined, reload: () => undefined, teamName: none, userName: none });

function useNames(enabled: boolean) {
  const { can } = useMe();
  const allowed = enabled && can('users.read');
  const names = useResource(async (signal) => {
    if (!allowed) return null;
    const [teams, users] = await Promise.all([call(teamEndpoints.list, {}, { signal }), call(userEndpoints.list, {}, { signal })]);
    return { teams: new Map(teams.teams.map((x) => [x.id, x.name])), users: new Map(users.users.map((u) => [u.id, u.name])) };
  }, [allowed]);
  return names.data ?? null;
}

export function WaitingChatsProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const list = useResource((signal) => (enabled ? call(chatEndpoints.inbox, { query: { box: 'waiting' } }, { signal }) : Promise.resolve(null)), [enabled], { pollMs: 15_000 });
  const names = useNames(enabled);
  const offered = list.data?.chats.some((c) => c.offeredToMe) ?? false;
  useEffect(() => {
    if (!offered) return;
    const timer = window.setTimeout(list.reload, 5_000);
    return () => window.clearTimeout(timer);
  }, [offered, list.data, list.reload]);
  const value = useMemo(() => ({
    items: list.data?.chats,
    reload: list.reload,
    teamName: (id: string | null) => (id && names?.teams.get(id)) || null,
    userName: (id: string | null) => (id && names?.users.get(id)) || null,
  }), [list.data, list.reload, names]);
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
