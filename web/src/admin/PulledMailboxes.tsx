/**
 * Pulled mailboxes (a section of Email channels, /admin/email#pulled): IMAP mailboxes at Microsoft 365, Google or
 * any IMAP server read into one of the organisation's inbound addresses (docs/mail-pull.md). Each row shows the
 * poller's state, the last error in plain words, messages fetched and too large; "Test connection" signs in and
 * opens the folder. Secrets are write-only: the form says when one is saved and sends a new one only when typed.
 */
import { useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { IMAP_AFTER_STORE, IMAP_AUTH, IMAP_SECURITY, imapEndpoints as e, type ImapAccount, type ImapTestResult } from '../../../src/platform/http/schemas/imap.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { ConfirmButton, When } from './shared.js';

type Account = Static<typeof ImapAccount>;
type Security = (typeof IMAP_SECURITY)[number];
type Auth = (typeof IMAP_AUTH)[number];
type AfterStore = (typeof IMAP_AFTER_STORE)[number];

/** Token endpoints and scopes of the two big providers (docs/mail-pull.md). */
const PRESETS = {
  microsoft365: { host: 'outlook.office365.com', tokenUrl: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token', scope: 'https://outlook.office365.com/IMAP.AccessAsUser.All offline_access' },
  google: { host: 'imap.gmail.com', tokenUrl: 'https://oauth2.googleapis.com/token', scope: 'https://mail.google.com/' },
} as const;

function AccountForm({ account, mailboxes, onDone }: { account: Account | null; mailboxes: Array<{ id: string; address: string }>; onDone: () => void }) {
  const [name, setName] = useState(account?.name ?? '');
  const [mailboxId, setMailboxId] = useState(account?.mailboxId ?? mailboxes[0]?.id ?? '');
  const [host, setHost] = useState(account?.host ?? '');
  const [security, setSecurity] = useState<Security>(account?.security ?? 'tls');
  const [port, setPort] = useState(String(account?.port ?? 993));
  const [caPem, setCaPem] = useState(account?.caPem ?? '');
  const [username, setUsername] = useState(account?.username ?? '');
  const [auth, setAuth] = useState<Auth>(account?.auth ?? 'password');
  const [password, setPassword] = useState('');
  const [tokenUrl, setTokenUrl] = useState(account?.oauthTokenUrl ?? '');
  const [clientId, setClientId] = useState(account?.oauthClientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [refreshToken, setRefreshToken] = useState('');
  const [scope, setScope] = useState(account?.oauthScope ?? '');
  const [folder, setFolder] = useState(account?.folder ?? 'INBOX');
  const [afterStore, setAfterStore] = useState<AfterStore>(account?.afterStore ?? 'flag');
  const [moveTo, setMoveTo] = useState(account?.moveTo ?? 'Trustdesk');
  const [maxMb, setMaxMb] = useState(String(Math.round((account?.maxBytes ?? 25 * 1024 * 1024) / (1024 * 1024))));
  const [allowPlaintext, setAllowPlaintext] = useState(false);
  const preset = (p: keyof typeof PRESETS) => {
    setHost(PRESETS[p].host);
    setSecurity('tls');
    setPort('993');
    setAuth('xoauth2');
    setTokenUrl(PRESETS[p].tokenUrl);
    setScope(PRESETS[p].scope);
  };
  const submit = useSubmit(async () => {
    const oauth = auth === 'xoauth2';
    const body = {
      name: name.trim(),
      mailboxId,
      host: host.trim(),
      port: Number(port),
      security,
      caPem: caPem.trim() ? caPem.trim() : null,
      username: username.trim(),
      auth,
      oauthTokenUrl: oauth ? tokenUrl.trim() || null : null,
      oauthClientId: oauth ? clientId.trim() || null : null,
      oauthScope: oauth ? scope.trim() || null : null,
      folder: folder.trim(),
      afterStore,
      moveTo: afterStore === 'move' ? moveTo.trim() : null,
      maxBytes: Math.round(Number(maxMb) * 1024 * 1024),
      ...(security === 'none' && allowPlaintext ? { allowPlaintext: true } : {}),
      // A secret is sent only when typed: empty keeps the saved one.
      ...(!oauth && password ? { password } : {}),
      ...(oauth && clientSecret ? { oauthClientSecret: clientSecret } : {}),
      ...(oauth && refreshToken ? { oauthRefreshToken: refreshToken } : {}),
    };
    if (account) await call(e.update, { params: { id: account.id }, body });
    else await call(e.create, { body });
    return true as const;
  });
  const onSubmit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (await submit.run()) onDone();
  };
  const f = submit.fieldErrors;
  return (
    <form className="form" noValidate onSubmit={onSubmit}>
      {account ? null : (
        <div className="adm-actions">
          <Button className="btn--small" onClick={() => preset('microsoft365')}>{t('imap.preset.microsoft365')}</Button>
          <Button className="btn--small" onClick={() => preset('google')}>{t('imap.preset.google')}</Button>
        </div>
      )}
      <TextField label={t('imap.field.name')} value={name} onChange={(ev) => setName(ev.target.value)} error={f.name} required />
      <SelectField label={t('imap.field.mailbox')} hint={t('imap.field.mailboxHint')} value={mailboxId} onChange={(ev) => setMailboxId(ev.target.value)} options={mailboxes.map((m) => ({ value: m.id, label: m.address }))} error={f.mailboxId} />
      <TextField label={t('imap.field.host')} value={host} onChange={(ev) => setHost(ev.target.value)} error={f.host} required />
      <SelectField label={t('imap.field.security')} value={security} onChange={(ev) => { const v = ev.target.value as Security; setSecurity(v); setPort(v === 'tls' ? '993' : '143'); }} options={IMAP_SECURITY.map((v) => ({ value: v, label: t(`imap.security.${v}`) }))} error={f.security} />
      {security === 'none' ? (
        <>
          <Notice tone="danger">{t('imap.plaintextWarning')}</Notice>
          <CheckboxField label={t('imap.field.allowPlaintext')} checked={allowPlaintext} onChange={(ev) => setAllowPlaintext(ev.target.checked)} />
        </>
      ) : null}
      <TextField label={t('imap.field.port')} type="number" min={1} max={65535} value={port} onChange={(ev) => setPort(ev.target.value)} error={f.port} />
      <TextAreaField label={t('imap.field.ca')} hint={t('imap.field.caHint')} optional rows={3} value={caPem} onChange={(ev) => setCaPem(ev.target.value)} error={f.caPem} />
      <TextField label={t('imap.field.username')} autoComplete="off" value={username} onChange={(ev) => setUsername(ev.target.value)} error={f.username} required />
      <SelectField label={t('imap.field.auth')} value={auth} onChange={(ev) => setAuth(ev.target.value as Auth)} options={IMAP_AUTH.map((v) => ({ value: v, label: t(`imap.auth.${v}`) }))} error={f.auth} />
      {auth === 'password' ? (
        <TextField label={t('imap.field.password')} hint={t('imap.secretHint')} type="password" autoComplete="new-password" value={password} placeholder={account?.hasPassword ? t('imap.secretSet') : ''} onChange={(ev) => setPassword(ev.target.value)} error={f.password} />
      ) : (
        <>
          <TextField label={t('imap.field.tokenUrl')} type="url" value={tokenUrl} onChange={(ev) => setTokenUrl(ev.target.value)} error={f.oauthTokenUrl} />
          <TextField label={t('imap.field.clientId')} value={clientId} onChange={(ev) => setClientId(ev.target.value)} error={f.oauthClientId} />
          <TextField label={t('imap.field.clientSecret')} hint={t('imap.secretHint')} type="password" autoComplete="off" value={clientSecret} placeholder={account?.hasClientSecret ? t('imap.secretSet') : ''} onChange={(ev) => setClientSecret(ev.target.value)} error={f.oauthClientSecret} />
          <TextAreaField label={t('imap.field.refreshToken')} hint={t('imap.secretHint')} rows={2} value={refreshToken} placeholder={account?.hasRefreshToken ? t('imap.secretSet') : ''} onChange={(ev) => setRefreshToken(ev.target.value)} error={f.oauthRefreshToken} />
          <TextField label={t('imap.field.scope')} optional value={scope} onChange={(ev) => setScope(ev.target.value)} error={f.oauthScope} />
        </>
      )}
      <TextField label={t('imap.field.folder')} value={folder} onChange={(ev) => setFolder(ev.target.value)} error={f.folder} />
      <SelectField label={t('imap.field.afterStore')} value={afterStore} onChange={(ev) => setAfterStore(ev.target.value as AfterStore)} options={IMAP_AFTER_STORE.map((v) => ({ value: v, label: t(`imap.afterStore.${v}`) }))} error={f.afterStore} />
      {afterStore === 'move' ? <TextField label={t('imap.field.moveTo')} value={moveTo} onChange={(ev) => setMoveTo(ev.target.value)} error={f.moveTo} /> : null}
      <TextField label={t('imap.field.maxMb')} type="number" min={1} max={150} value={maxMb} onChange={(ev) => setMaxMb(ev.target.value)} error={f.maxBytes} />
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

function State({ a }: { a: Account }) {
  if (!a.enabled) return <Badge>{t('imap.state.off')}</Badge>;
  if (a.status.state === 'error') return <Badge tone="danger">{tp('imap.state.failing', a.status.failures)}</Badge>;
  if (a.status.state === 'connected') return <Badge tone="success">{t('imap.state.connected')}</Badge>;
  return <Badge>{t('imap.state.pending')}</Badge>;
}

export function PulledMailboxes({ mailboxes }: { mailboxes: Array<{ id: string; address: string }> }) {
  const list = useResource(() => call(e.list), []);
  const [editing, setEditing] = useState<Account | 'new' | null>(null);
  const [tested, setTested] = useState<(Static<typeof ImapTestResult> & { name: string }) | null>(null);
  const test = useSubmit(async (a: Account) => {
    const r = await call(e.test, { params: { id: a.id } });
    setTested({ name: a.name, ...r });
    list.reload();
    return true as const;
  });
  const toggle = useSubmit(async (a: Account) => {
    await call(e.update, { params: { id: a.id }, body: { enabled: !a.enabled } });
    list.reload();
    return true as const;
  });
  return (
    <>
      <p className="adm-hint">{t('imap.subtitle')}</p>
      {tested ? (
        <Notice tone={tested.ok ? 'success' : 'danger'}>
          {tested.ok ? tp('imap.testOk', tested.messages ?? 0, { name: tested.name }) : t('imap.testFailed', { name: tested.name, error: tested.error ?? '' })}
          {tested.ok && tested.idle === false ? ` ${t('imap.testNoIdle')}` : ''}
        </Notice>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error ?? test.error ?? toggle.error} onRetry={list.reload} />
      {list.data ? (
        <DataTable
          caption={t('imap.title')}
          rows={list.data.items}
          rowKey={(a) => a.id}
          empty={<EmptyState title={t('imap.empty')} />}
          columns={[
            { key: 'name', header: t('imap.col.name'), render: (a) => <><strong>{a.name}</strong> <Badge>{t(`imap.auth.${a.auth}`)}</Badge></> },
            { key: 'server', header: t('imap.col.server'), render: (a) => <code className="adm-break">{`${a.username} @ ${a.host}:${a.port}/${a.folder}`}</code> },
            { key: 'into', header: t('imap.col.into'), render: (a) => a.mailboxAddress },
            { key: 'state', header: t('imap.col.state'), render: (a) => <State a={a} /> },
            { key: 'fetched', header: t('imap.col.fetched'), numeric: true, render: (a) => a.status.fetched.toLocaleString() },
            { key: 'tooLarge', header: t('imap.col.tooLarge'), numeric: true, render: (a) => (a.status.tooLarge ? <Badge tone="warning">{a.status.tooLarge.toLocaleString()}</Badge> : '0') },
            { key: 'success', header: t('imap.col.lastSuccess'), render: (a) => <When value={a.status.lastSuccessAt} /> },
            { key: 'error', header: t('imap.col.lastError'), render: (a) => (a.status.lastError ? <span title={a.status.lastErrorAt ?? ''}>{a.status.lastError}</span> : '—') },
            {
              key: 'actions',
              header: t('admin.common.actions'),
              render: (a: Account) => (
                <div className="adm-actions">
                  <Button className="btn--small" busy={test.busy} onClick={() => void test.run(a)}>{t('imap.test')}</Button>
                  <Button className="btn--small" onClick={() => setEditing(a)}>{t('action.edit')}</Button>
                  <Button className="btn--small" busy={toggle.busy} onClick={() => void toggle.run(a)}>{a.enabled ? t('imap.disable') : t('imap.enable')}</Button>
                  <ConfirmButton variant="danger" label={t('action.delete')} title={t('imap.deleteTitle')} body={<p>{t('imap.deleteBody', { name: a.name })}</p>}
                    onConfirm={async () => { await call(e.remove, { params: { id: a.id } }); list.reload(); }} />
                </div>
              ),
            },
          ]}
        />
      ) : null}
      {mailboxes.length ? <Button onClick={() => setEditing('new')}>{t('imap.new')}</Button> : <p className="adm-hint">{t('imap.needMailbox')}</p>}
      {editing ? (
        <Dialog open title={editing === 'new' ? t('imap.new') : t('imap.editTitle')} onClose={() => setEditing(null)}>
          <AccountForm account={editing === 'new' ? null : editing} mailboxes={mailboxes} onDone={() => { setEditing(null); list.reload(); }} />
        </Dialog>
      ) : null}
    </>
  );
}
