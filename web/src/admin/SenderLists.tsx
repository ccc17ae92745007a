/**
 * Sender allow and block lists for the phishing analysis: add an address or
 * domain with a reason, approve suggestions made from agents' reports, remove.
 * Every change carries a reason that goes into the audit trail. Below, what the
 * organisation's phishing model learned, with its reset (LearnedModel.tsx).
 */
import { useState } from 'react';
import type { Static } from 'typebox';
import { SENDER_LIST_KINDS, senderListEndpoints, type SenderListEntry } from '../../../src/platform/http/schemas/phishing-reports.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { LearnedModelSection } from '../security/LearnedModel.js';
import { AdminNav } from './AdminNav.js';
import { When } from './shared.js';

type Entry = Static<typeof SenderListEntry>;
type Kind = (typeof SENDER_LIST_KINDS)[number];

function AddEntry({ onDone }: { onDone: () => void }) {
  const [kind, setKind] = useState<Kind>('block');
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const submit = useSubmit(async () => {
    await call(senderListEndpoints.add, { body: { kind, value: value.trim(), reason: reason.trim() } });
    return true as const;
  });
  return (
    <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) { setValue(''); setReason(''); onDone(); } }}>
      <div className="field-row">
        <SelectField label={t('admin.senders.kind')} value={kind} onChange={(e) => setKind(e.target.value as Kind)} options={SENDER_LIST_KINDS.map((k) => ({ value: k, label: t(`admin.senders.kind.${k}`) }))} />
        <TextField label={t('admin.senders.value')} hint={t('admin.senders.valueHint')} value={value} onChange={(e) => setValue(e.target.value)} error={submit.fieldErrors.value} />
        <TextField label={t('admin.senders.reason')} value={reason} onChange={(e) => setReason(e.target.value)} error={submit.fieldErrors.reason} />
      </div>
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.senders.add')}</Button></div>
    </form>
  );
}

function Decide({ entry, action, onClose, onDone }: { entry: Entry; action: 'approve' | 'remove'; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const submit = useSubmit(async () => {
    await call(action === 'approve' ? senderListEndpoints.approve : senderListEndpoints.remove, { params: { id: entry.id }, body: { reason: reason.trim() } });
    return true as const;
  });
  return (
    <Dialog open title={t(action === 'approve' ? 'admin.senders.approveTitle' : 'admin.senders.removeTitle', { value: entry.value })} onClose={onClose}>
      <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) { onDone(); onClose(); } }}>
        <TextField label={t('admin.senders.reason')} value={reason} onChange={(e) => setReason(e.target.value)} error={submit.fieldErrors.reason} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions"><Button type="submit" variant={action === 'remove' ? 'danger' : 'primary'} busy={submit.busy}>{t(action === 'approve' ? 'admin.senders.approve' : 'admin.senders.remove')}</Button></div>
      </form>
    </Dialog>
  );
}

export function SenderLists() {
  const { can } = useMe();
  const list = useResource(() => call(senderListEndpoints.list, { query: {} }), []);
  const [deciding, setDeciding] = useState<{ entry: Entry; action: 'approve' | 'remove' } | null>(null);
  const manage = can('policies.manage');
  return (
    <Page title={t('admin.senders.title')} subtitle={t('admin.senders.subtitle')} wide>
      <AdminNav />
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data ? (
        <Section title={t('admin.senders.title')} id="senders">
          <DataTable
            caption={t('admin.senders.title')}
            rows={list.data.items}
            rowKey={(x) => x.id}
            empty={<EmptyState title={t('admin.senders.empty')} />}
            columns={[
              { key: 'value', header: t('admin.senders.value'), render: (x) => <code className="adm-break">{x.value}</code> },
              { key: 'kind', header: t('admin.senders.kind'), render: (x) => <Badge tone={x.kind === 'block' ? 'danger' : 'success'}>{t(`admin.senders.kind.${x.kind}`)}</Badge> },
              { key: 'status', header: t('admin.staff.col.status'), render: (x) => (x.status === 'pending' ? <Badge tone="warning">{t('admin.senders.pending')}</Badge> : <Badge>{t('admin.senders.active')}</Badge>) },
              { key: 'reason', header: t('admin.senders.reason'), render: (x) => x.reason },
              { key: 'added', header: t('admin.senders.added'), render: (x) => <When value={x.createdAt} /> },
              {
                key: 'actions', header: t('admin.common.actions'), render: (x) => manage ? (
                  <div className="adm-actions">
                    {x.status === 'pending' ? <Button className="btn--small" onClick={() => setDeciding({ entry: x, action: 'approve' })}>{t('admin.senders.approve')}</Button> : null}
                    <Button variant="danger" className="btn--small" onClick={() => setDeciding({ entry: x, action: 'remove' })}>{t('admin.senders.remove')}</Button>
                  </div>
                ) : null,
              },
            ]}
          />
          {manage ? <><h3 className="adm-subtitle">{t('admin.senders.addTitle')}</h3><AddEntry onDone={list.reload} /></> : null}
        </Section>
      ) : null}
      {deciding ? <Decide entry={deciding.entry} action={deciding.action} onClose={() => setDeciding(null)} onDone={list.reload} /> : null}
      {/* What the organisation's model learned, and its reset: administrators hold policies.manage (decision 0174). */}
      <LearnedModelSection />
    </Page>
  );
}
