/**
 * One person's confirmations of the data-handling policy (decision 0213), on their awareness page: shown to
 * the person and to those the server lets see them (training.read in scope, policies.manage); for anyone else
 * the server refuses and the section stays away.
 */
import { policyEndpoints as e } from '../../../src/platform/http/schemas/policies.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource } from '../ui/hooks.js';
import { Section } from '../ui/Page.js';

export function PersonAttestations({ userId }: { userId: string }) {
  const list = useResource(() => call(e.person, { params: { id: userId } }), [userId]);
  if (!list.data) return null;
  return (
    <Section title={t('policies.person.title')}>
      <DataTable caption={t('policies.person.caption')} rows={list.data.items} rowKey={(a) => a.versionId} empty={t('policies.person.empty')}
        columns={[
          { key: 'version', header: t('policies.col.version'), numeric: true, render: (a) => a.version },
          { key: 'title', header: t('policies.col.title'), render: (a) => a.title },
          { key: 'at', header: t('policies.col.confirmed'), render: (a) => formatDateTime(a.attestedAt) },
        ]} />
    </Section>
  );
}
