/**
 * SCIM provisioning on the single sign-on screen: the base URL for the identity provider, the organisation's SCIM
 * tokens (issued once, revoked at once). Shown to those who may issue them (tokens.manage and users.manage); the
 * server decides, and asks for a fresh second factor through the step-up host. docs/scim.md.
 */
import { useState } from 'react';
import { MAX_SCIM_TOKEN_DAYS, scimEndpoints } from '../../../src/platform/http/schemas/scim.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { ConfirmButton, When } from './shared.js';

export function ScimProvisioning() {
  const { can } = useMe();
  const allowed = can('tokens.manage') && can('users.manage');
  const list = useResource(() => (allowed ? call(scimEndpoints.listTokens) : Promise.resolve(null)), [allowed]);
  const [name, setName] = useState('');
  const [days, setDays] = useState('365');
  const [secret, setSecret] = useState<string | null>(null);
  const submit = useSubmit(async () => (await call(scimEndpoints.createToken, { body: { name: name.trim(), expiresInDays: Number(days) } })).token);
  if (!allowed) return null;
  return (
    <Section title={t('scim.admin.title')} id="scim">
      <p>{t('scim.admin.intro')}</p>
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data ? (
        <>
          <p>{t('scim.admin.baseUrl')} <code data-testid="scim-base-url">{list.data.baseUrl}</code></p>
          {secret ? (
            <Notice tone="warning" title={t('admin.tokens.onceTitle')}>
              <p>{t('scim.admin.onceBody')}</p>
              <p><code className="adm-secret" data-testid="scim-token-secret">{secret}</code></p>
              <Button className="btn--small" onClick={() => setSecret(null)}>{t('admin.tokens.dismiss')}</Button>
            </Notice>
          ) : null}
          <DataTable
            caption={t('scim.admin.title')}
            rows={list.data.tokens}
            rowKey={(x) => x.id}
            empty={<EmptyState title={t('scim.admin.empty')} />}
            columns={[
              { key: 'name', header: t('admin.tokens.name'), render: (x) => <><strong>{x.name}</strong><br /><code className="adm-muted">{x.prefix}…</code></> },
              { key: 'expires', header: t('admin.tokens.expires'), render: (x) => <When value={x.expiresAt} /> },
              { key: 'used', header: t('admin.tokens.lastUsed'), render: (x) => <When value={x.lastUsedAt} /> },
              { key: 'state', header: t('admin.staff.col.status'), render: (x) => (x.revoked ? <Badge>{t('admin.tokens.revoked')}</Badge> : <Badge tone="success">{t('admin.tokens.active')}</Badge>) },
              {
                key: 'actions', header: t('admin.common.actions'), render: (x) => x.revoked ? null : (
                  <ConfirmButton variant="danger" label={t('admin.tokens.revoke')} title={t('admin.tokens.revokeTitle', { name: x.name })} body={<p>{t('scim.admin.revokeBody')}</p>} confirmLabel={t('admin.tokens.revoke')}
                    onConfirm={async () => { await call(scimEndpoints.revokeToken, { params: { id: x.id } }); list.reload(); }} />
                ),
              },
            ]}
          />
          <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); const token = await submit.run(); if (token) { setSecret(token); setName(''); list.reload(); } }}>
            <TextField label={t('admin.tokens.name')} hint={t('scim.admin.nameHint')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
            <TextField label={t('admin.tokens.days')} hint={t('admin.tokens.daysHint', { max: MAX_SCIM_TOKEN_DAYS })} type="number" inputMode="numeric" min={1} max={MAX_SCIM_TOKEN_DAYS} value={days} onChange={(e) => setDays(e.target.value)} error={submit.fieldErrors.expiresInDays} />
            <ErrorNotice error={submit.error} />
            <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('scim.admin.create')}</Button></div>
          </form>
        </>
      ) : null}
    </Section>
  );
}
