/** Invitations not yet accepted: when, until when, and resend or withdraw. */
import { useState } from 'react';
import { userEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ConfirmButton, When } from './shared.js';

const tone = { pending: 'info', expired: 'warning', revoked: 'neutral' } as const;

export function Invitations() {
  const { can } = useMe();
  const list = useResource(() => call(userEndpoints.invitations), []);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Page title={t('admin.invitations.title')} subtitle={t('admin.invitations.subtitle')} wide>
      <AdminNav />
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data ? (
        <Section title={t('admin.invitations.title')} id="invitations">
          <DataTable
            caption={t('admin.invitations.title')}
            rows={list.data.invitations}
            rowKey={(i) => i.userId}
            empty={<EmptyState title={t('admin.invitations.empty')} />}
            columns={[
              { key: 'who', header: t('admin.staff.col.name'), render: (i) => <><strong>{i.name}</strong><br /><span className="adm-muted">{i.email}</span></> },
              { key: 'state', header: t('admin.staff.col.status'), render: (i) => <Badge tone={tone[i.state]}>{t(`admin.invitations.state.${i.state}`)}</Badge> },
              { key: 'sent', header: t('admin.invitations.col.sent'), render: (i) => <When value={i.invitedAt} /> },
              { key: 'expires', header: t('admin.invitations.col.expires'), render: (i) => <When value={i.expiresAt} /> },
              {
                key: 'actions',
                header: t('admin.common.actions'),
                render: (i) => can('users.manage') ? (
                  <div className="adm-actions">
                    <ConfirmButton label={t('admin.invitations.resend')} title={t('admin.invitations.resendTitle', { email: i.email })} body={<p>{t('admin.invitations.resendBody')}</p>} confirmLabel={t('admin.invitations.resend')}
                      onConfirm={async () => { await call(userEndpoints.resendInvitation, { params: { id: i.userId } }); setNotice(t('admin.invitations.resent', { email: i.email })); list.reload(); }} />
                    {i.state === 'pending' ? (
                      <ConfirmButton variant="danger" label={t('admin.invitations.revoke')} title={t('admin.invitations.revokeTitle', { email: i.email })} body={<p>{t('admin.invitations.revokeBody')}</p>} confirmLabel={t('admin.invitations.revoke')}
                        onConfirm={async () => { await call(userEndpoints.revokeInvitation, { params: { id: i.userId } }); setNotice(t('admin.invitations.revoked', { email: i.email })); list.reload(); }} />
                    ) : null}
                  </div>
                ) : null,
              },
            ]}
          />
        </Section>
      ) : null}
    </Page>
  );
}
