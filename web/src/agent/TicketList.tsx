/**
 * The console's home: the views (mine, my team, unassigned, SLA breaching,
 * all) with their counts, and the tickets of the chosen view; or, with
 * `?q=`, search results (words, `#123` for a number, an email address for a
 * requester). Views refresh every 30 seconds while the tab is visible.
 * With tickets.bulk, rows can be selected for bulk changes (BulkBar).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { searchEndpoints } from '../../../src/platform/http/schemas/search.js';
import { ticketEndpoints, TICKET_VIEWS, type TicketView } from '../../../src/platform/http/schemas/tickets.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { LIVE_POLL_MS, useDebounced, useRealtime, useRealtimeConnected } from '../realtime.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable, type Column } from '../ui/DataTable.js';
import { TextField } from '../ui/fields.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';
import { BulkBar } from './BulkBar.js';
import { listHref, viewOf } from './list-url.js';
import { NewTicketDialog } from './NewTicket.js';
import { filtersOf, SavedViewLinks, SaveViewDialog, TakeNextButton } from './SavedViews.js';
import { workEndpoints } from '../../../src/platform/http/schemas/work.js';
import { label, nextDue, personName, PriorityBadge, SlaClock, StatusBadge, type Summary } from './shared.js';
import { rememberTicketOrder, useShortcut } from './shortcuts.js';

const POLL_MS = 30_000;
const COUNTED: Array<Exclude<TicketView, 'all'>> = ['mine', 'my_team', 'unassigned', 'breaching'];

/** What the search box means: `#123` or `123` a ticket number, an address a requester, anything else words. */
export function searchQuery(text: string): { number: number } | { email: string } | { q: string } {
  const s = text.trim();
  const n = /^#?(\d{1,9})$/.exec(s);
  if (n) return { number: Number(n[1]) };
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return { email: s.toLowerCase() };
  return { q: s.slice(0, 500) };
}

export function TicketList() {
  const search = useSearch();
  const view = viewOf(search);
  const searching = (new URLSearchParams(search).get('q') ?? '').trim();
  const savedId = new URLSearchParams(search).get('saved');
  const { me, can } = useMe();
  const [, navigate] = useLocation();
  const [creating, setCreating] = useState(false);
  const [draft, setDraft] = useState(searching);
  useEffect(() => setDraft(searching), [searching]);
  // Live: another agent's reply, assignment or status change refetches the list and counts; the poll is a slow safety net then.
  const live = useRealtimeConnected();
  const pollMs = live ? LIVE_POLL_MS : POLL_MS;
  const counts = useResource((signal) => call(ticketEndpoints.counts, {}, { signal }), [], { pollMs });
  const saved = useResource((signal) => call(workEndpoints.views, {}, { signal }), [], { pollMs });
  const savedView = savedId && !searching ? (saved.data?.views.find((v) => v.id === savedId) ?? null) : null;
  const [saving, setSaving] = useState<'new' | 'edit' | null>(null);
  const list = useResource(
    (signal) =>
      searching
        ? call(searchEndpoints.tickets, { query: { ...searchQuery(searching), limit: 100 } }, { signal })
        : savedId
          ? call(workEndpoints.viewTickets, { params: { id: savedId }, query: { limit: 100 } }, { signal })
          : call(ticketEndpoints.list, { query: { view, limit: 100 } }, { signal }),
    [view, searching, savedId],
    { pollMs },
  );
  const refetch = useDebounced(() => {
    list.reload();
    counts.reload();
    saved.reload();
  });
  useRealtime((m) => {
    if (m.type === 'ticket' || m.type === 'resync') refetch();
  });
  const canBulk = can('tickets.bulk');
  const [selected, setSelected] = useState<string[]>([]);
  const [bulkDone, setBulkDone] = useState<number | null>(null);
  const [mergeDone, setMergeDone] = useState<{ number: number; merged: number } | null>(null);
  useEffect(() => {
    setSelected([]);
    setBulkDone(null);
    setMergeDone(null);
  }, [view, searching, savedId]);
  const shown = list.data?.items ?? [];
  // j/k step through the rows here, and through this list's tickets from a ticket page (shortcuts.tsx).
  useEffect(() => {
    if (list.data) rememberTicketOrder(list.data.items.map((r) => r.id));
  }, [list.data]);
  const stepRow = (step: 1 | -1) => {
    const links = Array.from(document.querySelectorAll<HTMLAnchorElement>('a.ticket-link'));
    if (links.length === 0) return false;
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    links[at === -1 ? (step === 1 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step))]?.focus();
    return true;
  };
  useShortcut('j', () => stepRow(1));
  useShortcut('k', () => stepRow(-1));
  const toggle = (id: string, on: boolean) => setSelected((prev) => (on ? [...new Set([...prev, id])] : prev.filter((x) => x !== id)));
  const allSelected = shown.length > 0 && shown.every((r) => selected.includes(r.id));
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    navigate(listHref(view, text));
  };

  const assignee = (row: Summary) => personName(list.data?.staff ?? [], row.assigneeId, me.user.id);
  const selectColumn: Column<Summary> = {
    key: 'select',
    header: (
      <input
        type="checkbox"
       
        aria-label={t('agent.bulk.selectAll')}
        checked={allSelected}
        onChange={(e) => setSelected(e.target.checked ? shown.map((r) => r.id) : [])}
      />
    ),
    render: (row) => (
      <input type="checkbox" aria-label={t('agent.bulk.select', { number: row.number })} checked={selected.includes(row.id)} onChange={(e) => toggle(row.id, e.target.checked)} />
    ),
  };
  const columns: Array<Column<Summary>> = [
    ...(canBulk ? [selectColumn] : []),
    {
      key: 'subject',
      header: t('agent.list.subject'),
      render: (row) => (
        <Link href={`/tickets/${row.id}`} className="ticket-link">
          <span className="ticket-link__number">#{row.number}</span> {row.subject ?? t('agent.ticket.noSubject')}
        </Link>
      ),
    },
    { key: 'requester', header: t('agent.list.requester'), render: (row) => <RequesterName requester={row.requester} /> },
    { key: 'status', header: t('agent.list.status'), render: (row) => <StatusBadge status={row.status} /> },
    { key: 'priority', header: t('agent.list.priority'), render: (row) => <PriorityBadge priority={row.priority} /> },
    {
      key: 'sla',
      header: t('agent.list.sla'),
      render: (row) => {
        const due = nextDue(row);
        return due ? <SlaClock at={due.at} /> : <span className="muted">{t('agent.list.noSla')}</span>;
      },
    },
    { key: 'assignee', header: t('agent.list.assignee'), render: assignee },
    { key: 'activity', header: t('agent.list.activity'), render: (row) => <RelativeTime value={row.lastMessageAt} /> },
  ];
  // A saved view shows the columns it chose, in the catalogue's order (the ticket link always stays).
  const chosen = savedView ? savedView.columns : null;
  const extra: Array<Column<Summary>> = [
    { key: 'channel', header: t('agent.saved.column.channel'), render: (row) => label('agent.channel', row.channel) },
    { key: 'tags', header: t('agent.saved.column.tags'), render: (row) => row.tags.join(', ') },
    { key: 'created', header: t('agent.saved.column.created'), render: (row) => <RelativeTime value={row.createdAt} /> },
    { key: 'updated', header: t('agent.saved.column.updated'), render: (row) => <RelativeTime value={row.updatedAt} /> },
  ];
  const shownColumns = chosen
    ? [...(canBulk ? [selectColumn] : []), ...[...columns, ...extra].filter((c) => c.key === 'subject' || (chosen as readonly string[]).includes(c.key))]
    : columns;

  const title = searching ? t('agent.search.title', { q: searching }) : savedView ? savedView.name : label('agent.view', view);
  return (
    <Page
      title={searching ? title : t('agent.list.title', { view: title })}
      wide
      actions={
        <>
          {can('tickets.take') && !searching ? <TakeNextButton view={view} savedId={savedId} /> : null}
          {!searching ? <Button onClick={() => setSaving(savedView?.editable ? 'edit' : 'new')}>{savedView?.editable ? t('agent.saved.edit') : t('agent.saved.save')}</Button> : null}
          {can('tickets.write') ? <Button variant="primary" onClick={() => setCreating(true)}>{t('agent.new.open')}</Button> : null}
        </>
      }
    >
      <form role="search" className="ticket-search" onSubmit={onSearch}>
        <TextField data-shortcut="/" label={t('agent.search.label')} hint={t('agent.search.hint')} type="search" value={draft} maxLength={500} onChange={(e) => {
            setDraft(e.target.value);
            // Emptying the box (or its clear button) ends the search: back to the chosen view.
            if (searching && e.target.value.trim() === '') navigate(listHref(view, ''));
          }} />
        <Button type="submit">{t('agent.search.submit')}</Button>
      </form>
      <nav className="views" aria-label={t('agent.views.label')}>
        <ul className="views__list">
          {[...COUNTED, 'all' as const].map((v) => {
            const n = v === 'all' ? null : counts.data?.[v];
            const current = !searching && !savedId && v === view;
            return (
              <li key={v}>
                <Link href={`/tickets?view=${v}`} className={current ? 'views__link views__link--current' : 'views__link'} aria-current={current ? 'page' : undefined}>
                  <span>{label('agent.view', v)}</span>
                  {n !== null && n !== undefined ? (
                    <span className={v === 'breaching' && n > 0 ? 'views__count views__count--alert' : 'views__count'} aria-label={t('agent.views.count', { n })}>{n}</span>
                  ) : null}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <SavedViewLinks views={saved.data?.views ?? []} current={searching ? null : savedId} />
      {counts.error ? <ErrorNotice error={counts.error} /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={list.reload} /> : null}
      {bulkDone !== null ? <Notice tone="success">{tp('agent.bulk.done', bulkDone)}</Notice> : null}
      {mergeDone ? <Notice tone="success">{tp('agent.merge.done', mergeDone.merged, { number: mergeDone.number })}</Notice> : null}
      {canBulk ? (
        <BulkBar
          selected={selected}
          rows={shown}
          onMerged={(into, merged) => {
            setBulkDone(null);
            setMergeDone({ number: into.number, merged });
            setSelected([]);
            list.reload();
            counts.reload();
          }}
          onClear={() => setSelected([])}
          onDone={(updated) => {
            setMergeDone(null);
            setBulkDone(updated);
            setSelected([]);
            list.reload();
            counts.reload();
          }}
        />
      ) : null}
      {list.data ? (
        <DataTable
          caption={searching ? title : t('agent.list.caption', { view: title })}
          columns={shownColumns}
          rows={list.data.items}
          rowKey={(r) => r.id}
          empty={searching ? t('agent.search.empty') : t('agent.list.empty')}
        />
      ) : list.loading ? (
        <Loading />
      ) : null}
      <SaveViewDialog
        open={saving !== null}
        onClose={() => setSaving(null)}
        start={filtersOf(view, me.user.teamIds)}
        editing={saving === 'edit' ? savedView : null}
        onSaved={(id) => {
          saved.reload();
          navigate(id ? `/tickets?saved=${id}` : '/tickets');
        }}
      />
      <NewTicketDialog open={creating} onClose={() => setCreating(false)} onCreated={(id) => navigate(`/tickets/${id}`)} />
    </Page>
  );
}

/** The requester as the masking policy shows them to this agent: in clear, or masked until revealed on the ticket. */
function RequesterName({ requester }: { requester: Summary['requester'] }) {
  if (requester === undefined) return null;
  if (requester === null) return <span className="muted">{t('agent.list.noRequester')}</span>;
  return requester.masked ? <span className="masked" title={t('agent.list.requesterMasked')}>{requester.name}</span> : <span>{requester.name}</span>;
}
