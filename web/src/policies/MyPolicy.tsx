/**
 * /training/policy: the internal data-handling policy in force, the member's own confirmations, and — for
 * those who follow training (training.read) or manage policies — who has not confirmed yet, overdue first
 * (decision 0213). Reminders link here.
 */
import { policyEndpoints as e } from '../../../src/platform/http/schemas/policies.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { PolicyText } from './PolicyText.js';
import './policies.css';

function Outstanding() {
  const list = useResource(() => call(e.outstanding), []);
  const d = list.data;
  const rows = [...(d?.items ?? [])].sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.name.localeCompare(b.name));
  return (
    <Section title={t('policies.outstanding.title')} id="policy-outstanding">
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.loading && !d ? <Loading /> : null}
      {d && !d.version ? <p>{t('policies.outstanding.none')}</p> : null}
      {d?.version ? (
        <>
          <p>{t('policies.outstanding.summary', { version: d.version.version, attested: d.attested })}</p>
          <DataTable caption={t('policies.outstanding.caption')} rows={rows} rowKey={(r) => r.userId}
            empty={<EmptyState title={t('policies.outstanding.empty')} />}
            columns={[
              { key: 'person', header: t('policies.col.person'), render: (r) => r.name },
              { key: 'roles', header: t('policies.col.roles'), render: (r) => r.roles.join(', ') },
              { key: 'due', header: t('policies.col.due'), render: (r) => formatDateTime(r.dueAt) },
              { key: 'state', header: t('policies.col.state'), render: (r) => (r.overdue ? <Badge tone="warning">{t('policies.overdue')}</Badge> : <Badge tone="info">{t('policies.due')}</Badge>) },
            ]} />
        </>
      ) : null}
    </Section>
  );
}

export function MyPolicyPage() {
  const { can } = useMe();
  const mine = useResource(() => call(e.mine), []);
  const d = mine.data;
  return (
    <Page title={t('policies.mine.title')} subtitle={t('policies.mine.subtitle')}>
      <ErrorNotice error={mine.error} onRetry={mine.reload} />
      {mine.loading && !d ? <Loading /> : null}
      {d && !d.current ? <p>{t('policies.mine.none')}</p> : null}
      {d?.current ? (
        <>
          {!d.pending ? <Notice tone="success">{t('policies.mine.confirmed')}</Notice> : null}
          <PolicyText title={d.current.title} html={d.current.html} generatedHtml={d.current.generatedHtml} />
        </>
      ) : null}
      {can('training.read') || can('policies.manage') ? <Outstanding /> : null}
      {d ? (
        <Section title={t('policies.mine.history')} id="policy-history">
          <DataTable caption={t('policies.mine.historyCaption')} rows={d.attestations} rowKey={(a) => a.versionId}
            empty={<EmptyState title={t('policies.mine.historyEmpty')} />}
            columns={[
              { key: 'version', header: t('policies.col.version'), numeric: true, render: (a) => a.version },
              { key: 'title', header: t('policies.col.title'), render: (a) => a.title },
              { key: 'at', header: t('policies.col.confirmed'), render: (a) => formatDateTime(a.attestedAt) },
            ]} />
        </Section>
      ) : null}
    </Page>
  );
}
