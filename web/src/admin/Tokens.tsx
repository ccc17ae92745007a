/**
 * API tokens: my tokens (all of the organisation's with tokens.manage),
 * create with scopes chosen from what I hold, shown once, and revoke.
 */
import { useState } from 'react';
import { MAX_TOKEN_DAYS, tokenEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ChoiceList, ConfirmButton, PermissionName, When } from './shared.js';

function CreateToken({ onCreated }: { onCreated: (token: string) => void }) {
  const { me } = useMe();
  const held = Object.entries(me.abilities).filter(([, v]) => v).map(([k]) => k).sort();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [days, setDays] = useState('90');
  const submit = useSubmit(async () => {
    const created = await call(tokenEndpoints.create, { body: { name: name.trim(), scopes, expiresInDays: Number(days) } });
    return created.token;
  });
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); const token = await submit.run(); if (token) onCreated(token); }}>
      <TextField label={t('admin.tokens.name')} hint={t('admin.tokens.nameHint')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
      <TextField label={t('admin.tokens.days')} hint={t('admin.tokens.daysHint', { max: MAX_TOKEN_DAYS })} type="number" inputMode="numeric" min={1} max={MAX_TOKEN_DAYS} value={days} onChange={(e) => setDays(e.target.value)} error={submit.fieldErrors.expiresInDays} />
      <ChoiceList legend={t('admin.tokens.scopes')} hint={t('admin.tokens.scopesHint')} options={held.map((p) => ({ value: p, label: p }))} value={scopes} onChange={setScopes} error={submit.fieldErrors.scopes} />
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.tokens.create')}</Button></div>
    </form>
  );
}

export function Tokens() {
  const { can } = useMe();
  const all = can('tokens.manage');
  const list = useResource(() => call(tokenEndpoints.list, { query: all ? { all: true } : {} }), [all]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  return (
    <Page title={t('admin.tokens.title')} subtitle={t('admin.tokens.subtitle')} wide actions={<Button variant="primary" onClick={() => { setSecret(null); setCreating(true); }}>{t('admin.tokens.new')}</Button>}>
      <AdminNav />
      {secret ? (
        <Notice tone="warning" title={t('admin.tokens.onceTitle')}>
          <p>{t('admin.tokens.onceBody')}</p>
          <p><code className="adm-secret" data-testid="token-secret">{secret}</code></p>
          <Button className="btn--small" onClick={() => void navigator.clipboard?.writeText(secret).then(() => setCopied(true), () => undefined)}>{copied ? t('action.copied') : t('action.copy')}</Button>{' '}
          <Button className="btn--small" onClick={() => setSecret(null)}>{t('admin.tokens.dismiss')}</Button>
        </Notice>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data ? (
        <Section title={all ? t('admin.tokens.allTitle') : t('admin.tokens.mineTitle')} id="tokens">
          <DataTable
            caption={t('admin.tokens.title')}
            rows={list.data.tokens}
            rowKey={(x) => x.id}
            empty={<EmptyState title={t('admin.tokens.empty')} />}
            columns={[
              { key: 'name', header: t('admin.tokens.name'), render: (x) => <><strong>{x.name}</strong><br /><code className="adm-muted">{x.prefix}…</code></> },
              { key: 'scopes', header: t('admin.tokens.scopes'), render: (x) => x.scopes.map((s) => <PermissionName key={s} name={s} />) },
              { key: 'expires', header: t('admin.tokens.expires'), render: (x) => <When value={x.expiresAt} /> },
              { key: 'used', header: t('admin.tokens.lastUsed'), render: (x) => <When value={x.lastUsedAt} /> },
              { key: 'state', header: t('admin.staff.col.status'), render: (x) => (x.revoked ? <Badge>{t('admin.tokens.revoked')}</Badge> : Date.parse(x.expiresAt) < Date.now() ? <Badge tone="warning">{t('admin.tokens.expired')}</Badge> : <Badge tone="success">{t('admin.tokens.active')}</Badge>) },
              {
                key: 'actions', header: t('admin.common.actions'), render: (x) => x.revoked ? null : (
                  <ConfirmButton variant="danger" label={t('admin.tokens.revoke')} title={t('admin.tokens.revokeTitle', { name: x.name })} body={<p>{t('admin.tokens.revokeBody')}</p>} confirmLabel={t('admin.tokens.revoke')}
                    onConfirm={async () => { await call(tokenEndpoints.revoke, { params: { id: x.id } }); list.reload(); }} />
                ),
              },
            ]}
          />
        </Section>
      ) : null}
      {creating ? (
        <Dialog open title={t('admin.tokens.new')} onClose={() => setCreating(false)}>
          <CreateToken onCreated={(token) => { setCreating(false); setCopied(false); setSecret(token); list.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
