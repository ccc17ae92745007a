/**
 * The audit trail: filters kept in the address (so a filtered view can be
 * shared or reloaded), entries newest first with "load more", and the
 * integrity check against the latest signed checkpoint.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { Link, useLocation, useSearch } from 'wouter';
import { auditEndpoints, type AuditEntry as AuditEntrySchema } from '../../../src/platform/http/schemas/audit.js';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { FieldRow, SelectField, TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { CheckpointPanel, VerifyPanel } from './Integrity.js';
import { SecurityNav } from './SecurityNav.js';
import { useStaff, type StaffMember } from './staff.js';

export type Entry = Static<typeof AuditEntrySchema>;

interface Filters {
  actor: string;
  customerId: string;
  action: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { actor: '', customerId: '', action: '', from: '', to: '' };

function filtersFrom(search: string): Filters {
  const q = new URLSearchParams(search);
  return { actor: q.get('actor') ?? '', customerId: q.get('customerId') ?? '', action: q.get('action') ?? '', from: q.get('from') ?? '', to: q.get('to') ?? '' };
}

/** `<input type="datetime-local">` value (local time, no zone) → ISO 8601 in UTC. */
function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function queryOf(f: Filters) {
  return {
    ...(f.actor.trim() ? { actor: f.actor.trim() } : {}),
    ...(f.customerId.trim() ? { customerId: f.customerId.trim() } : {}),
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(localToIso(f.from) ? { from: localToIso(f.from) } : {}),
    ...(localToIso(f.to) ? { to: localToIso(f.to) } : {}),
  };
}

/** The actor as a name when the staff list knows them, the id otherwise (both always in the title). */
export function ActorName({ type, id, staff }: { type: string; id: string | null; staff: Map<string, StaffMember> | null }) {
  const member = id && type === 'user' ? staff?.get(id) : undefined;
  if (member) return <span title={`${member.email} · ${id}`}>{member.name}</span>;
  return <span className="mono sec-id">{type}{id ? `:${id}` : ''}</span>;
}

function Subject({ objectType, subject }: { objectType: string | null; subject: string | null }) {
  const hashed = subject ? <abbr title={subject}>{t('security.audit.customerHash')}</abbr> : null;
  if (!objectType) return hashed ?? <>—</>;
  if (objectType === 'customer') return hashed ?? <>{objectType}</>;
  return <span>{objectType}{hashed ? <> · {hashed}</> : null}</span>;
}

export function resultTone(result: string): 'success' | 'danger' | 'warning' {
  return result === 'success' ? 'success' : result === 'denied' ? 'warning' : 'danger';
}

export function AuditTrail() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const applied = filtersFrom(search);
  const [draft, setDraft] = useState<Filters>(applied);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const load = useSubmit(async (after: number | null) => {
    const page = await call(auditEndpoints.entries, { query: { ...queryOf(applied), ...(after === null ? {} : { cursor: after }) } });
    setEntries((prev) => (after === null ? page.entries : [...prev, ...page.entries]));
    setCursor(page.nextCursor);
    setLoaded(true);
    return page;
  });

  useEffect(() => {
    setDraft(filtersFrom(search));
    setLoaded(false);
    void load.run(null);
    // The address is the source of truth for the filters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const q = queryOf(draft);
    const found = validate(auditEndpoints.entries.querystring, q);
    setErrors(found);
    if (Object.keys(found).length) return;
    const params = new URLSearchParams();
    for (const k of Object.keys(EMPTY) as Array<keyof Filters>) if (draft[k].trim()) params.set(k, draft[k].trim());
    const s = params.toString();
    navigate(`/security/audit${s ? `?${s}` : ''}`);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });
  const filtered = Object.values(applied).some(Boolean);
  const staff = useStaff();
  const staffOptions = staff ? [...staff.values()].sort((a, b) => a.name.localeCompare(b.name)) : null;

  return (
    <Page title={t('security.audit.title')} subtitle={t('security.audit.subtitle')} wide>
      <SecurityNav />
      <div className="sec-integrity">
        <CheckpointPanel />
        <VerifyPanel />
      </div>
      <Section title={t('security.audit.filters')} id="audit-filters">
        <form className="form form--wide sec-filters" onSubmit={onSubmit} noValidate aria-describedby="audit-filter-hint">
          <p id="audit-filter-hint" className="field__hint">{t('security.audit.filterHint')}</p>
          <FieldRow>
            {staffOptions && (draft.actor === '' || staff?.has(draft.actor)) ? (
              <SelectField label={t('security.audit.field.actor')} value={draft.actor} onChange={set('actor')} error={errors.actor} optional
                options={[{ value: '', label: t('security.audit.anyone') }, ...staffOptions.map((m) => ({ value: m.id, label: `${m.name} (${m.email})` }))]} />
            ) : (
              <TextField label={t('security.audit.field.actor')} hint={t('security.audit.field.actorHint')} value={draft.actor} onChange={set('actor')} error={errors.actor} optional />
            )}
            <TextField label={t('security.audit.field.customer')} hint={t('security.audit.field.customerHint')} value={draft.customerId} onChange={set('customerId')} error={errors.customerId} optional />
            <TextField label={t('security.audit.field.action')} hint={t('security.audit.field.actionHint')} value={draft.action} onChange={set('action')} error={errors.action} optional />
          </FieldRow>
          <FieldRow>
            <TextField label={t('security.audit.field.from')} type="datetime-local" value={draft.from} onChange={set('from')} error={errors.from} optional />
            <TextField label={t('security.audit.field.to')} type="datetime-local" value={draft.to} onChange={set('to')} error={errors.to} optional />
          </FieldRow>
          <div className="form__actions">
            <Button type="submit" variant="primary">{t('security.audit.apply')}</Button>
            {filtered ? <Button onClick={() => navigate('/security/audit')}>{t('security.audit.clear')}</Button> : null}
          </div>
        </form>
      </Section>
      <Section title={t('security.audit.entries')} id="audit-entries">
        <ErrorNotice error={load.error} onRetry={() => void load.run(null)} />
        {!loaded && load.busy ? <Loading /> : null}
        {loaded ? (
          <>
            <DataTable
              caption={t('security.audit.entries')}
              rows={entries}
              rowKey={(e) => String(e.index)}
              empty={<EmptyState title={filtered ? t('security.audit.noMatch') : t('security.audit.empty')} />}
              columns={[
                { key: 'index', header: t('security.audit.col.index'), numeric: true, render: (e) => <Link href={`/security/audit/${e.index}`} aria-label={t('security.audit.openEntry', { index: e.index })}>#{e.index}</Link> },
                { key: 'time', header: t('security.audit.col.time'), render: (e) => <time dateTime={e.time}>{formatDateTime(e.time)}</time> },
                { key: 'actor', header: t('security.audit.col.actor'), render: (e) => <ActorName type={e.actorType} id={e.actorId} staff={staff} /> },
                { key: 'action', header: t('security.audit.col.action'), render: (e) => <code>{e.action}</code> },
                { key: 'result', header: t('security.audit.col.result'), render: (e) => <Badge tone={resultTone(e.result)}>{e.result}</Badge> },
                { key: 'subject', header: t('security.audit.col.subject'), render: (e) => <Subject objectType={e.objectType} subject={e.subject} /> },
                { key: 'purpose', header: t('security.audit.col.reason'), render: (e) => e.purpose ?? '—' },
                { key: 'request', header: t('security.audit.col.request'), render: (e) => (e.requestId ? <span className="mono sec-id">{e.requestId}</span> : '—') },
              ]}
            />
            {cursor !== null ? (
              <div className="form__actions">
                <Button onClick={() => void load.run(cursor)} busy={load.busy}>{t('action.loadMore')}</Button>
              </div>
            ) : null}
          </>
        ) : null}
      </Section>
    </Page>
  );
}
