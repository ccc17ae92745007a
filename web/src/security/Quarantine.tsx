/** Held messages: sender, subject, why each was held, its score and size; released and deleted ones on request. Listing is an audited read. */
import { Link, useLocation, useSearch } from 'wouter';
import { QUARANTINE_STATUSES, quarantineEndpoints } from '../../../src/platform/http/schemas/quarantine.js';
import { call } from '../api.js';
import { formatDateTime, hasMessage, t } from '../i18n/index.js';
import { DataTable } from '../ui/DataTable.js';
import { SelectField } from '../ui/fields.js';
import { useResource } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { SecurityNav } from './SecurityNav.js';

type Status = (typeof QUARANTINE_STATUSES)[number];

/** The held reason in words; an unknown code is shown as it is. */
export function reasonText(reason: string): string {
  const key = `security.quarantine.reason.${reason}`;
  return hasMessage(key) ? t(key) : reason;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function Quarantine() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const raw = new URLSearchParams(search).get('status');
  const status: Status = (QUARANTINE_STATUSES as readonly string[]).includes(raw ?? '') ? (raw as Status) : 'held';
  const list = useResource(() => call(quarantineEndpoints.list, { query: { status, limit: 200 } }), [status], { pollMs: 30_000 });
  return (
    <Page title={t('security.quarantine.title')} subtitle={t('security.quarantine.subtitle')} wide>
      <SecurityNav />
      <div className="sec-toolbar">
        <SelectField
          label={t('security.quarantine.show')}
          value={status}
          onChange={(e) => navigate(`/quarantine${e.target.value === 'held' ? '' : `?status=${e.target.value}`}`)}
          options={QUARANTINE_STATUSES.map((s) => ({ value: s, label: t(`security.quarantine.status.${s}`) }))}
        />
      </div>
      <Section title={t(`security.quarantine.status.${status}`)} id="quarantine-list">
        {list.loading && !list.data ? <Loading /> : null}
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {list.data ? (
          <DataTable
            caption={t('security.quarantine.title')}
            rows={list.data.items}
            rowKey={(i) => i.id}
            empty={<EmptyState title={t('security.quarantine.empty')} />}
            columns={[
              { key: 'received', header: t('security.quarantine.col.received'), render: (i) => <Link href={`/quarantine/${i.id}`}><time dateTime={i.createdAt}>{formatDateTime(i.createdAt)}</time></Link> },
              { key: 'from', header: t('security.quarantine.col.from'), render: (i) => (i.from ? <span className="sec-clip">{i.from}</span> : '—') },
              { key: 'subject', header: t('security.quarantine.col.subject'), render: (i) => (i.subject ? <span className="sec-clip">{i.subject}</span> : t('security.quarantine.noSubject')) },
              { key: 'reason', header: t('security.quarantine.col.reason'), render: (i) => <Badge tone={i.reason === 'malformed' ? 'neutral' : 'danger'}>{reasonText(i.reason)}</Badge> },
              { key: 'codes', header: t('security.quarantine.col.signals'), render: (i) => (i.codes.length ? <span className="sec-codes">{i.codes.map((c) => <code key={c}>{c}</code>)}</span> : '—') },
              { key: 'score', header: t('security.quarantine.col.score'), numeric: true, render: (i) => (i.threatScore ?? '—') },
              { key: 'size', header: t('security.quarantine.col.size'), numeric: true, render: (i) => formatBytes(i.rawSize) },
            ]}
          />
        ) : null}
      </Section>
    </Page>
  );
}
