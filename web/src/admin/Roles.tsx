/**
 * Roles and permissions: built-in roles read-only, custom roles created and
 * changed with the permission catalogue grouped by area, each permission with
 * its scope, and the passkey (phishing-resistant factor) requirement. Changes
 * need a fresh second factor; api.ts asks for it when the server does.
 */
import { useState } from 'react';
import type { Static } from 'typebox';
import { PERMISSION_SCOPES, roleEndpoints, type PermissionInfo, type RoleView } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { CheckboxField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ConfirmButton, linesToList } from './shared.js';

type Role = Static<typeof RoleView>;
type Perm = Static<typeof PermissionInfo>;
type Scope = (typeof PERMISSION_SCOPES)[number];

/** Permissions grouped by their area (the part before the dot). */
function groups(catalogue: Perm[]): Array<[string, Perm[]]> {
  const out = new Map<string, Perm[]>();
  for (const p of catalogue) {
    const area = p.permission.split('.')[0] ?? p.permission;
    out.set(area, [...(out.get(area) ?? []), p]);
  }
  return [...out.entries()];
}

function RoleForm({ role, catalogue, onDone }: { role: Role | null; catalogue: Perm[]; onDone: () => void }) {
  const [key, setKey] = useState('');
  const [name, setName] = useState(role?.name ?? '');
  const [grants, setGrants] = useState<Record<string, Scope>>(Object.fromEntries((role?.grants ?? []).map((g) => [g.permission, g.scope as Scope])));
  const [passkey, setPasskey] = useState(role?.requirePhishingResistant ?? false);
  const [cidrs, setCidrs] = useState((role?.allowedCidrs ?? []).join('\n'));
  const submit = useSubmit(async () => {
    const common = { name: name.trim(), grants: Object.entries(grants).map(([permission, scope]) => ({ permission, scope })), requirePhishingResistant: passkey, allowedCidrs: linesToList(cidrs) };
    if (role) await call(roleEndpoints.update, { params: { id: role.id }, body: common });
    else await call(roleEndpoints.create, { body: { key: key.trim(), ...common } });
    return true as const;
  });
  return (
    <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) onDone(); }}>
      {role ? null : <TextField label={t('admin.roles.key')} hint={t('admin.roles.keyHint')} value={key} onChange={(e) => setKey(e.target.value)} error={submit.fieldErrors.key} />}
      <TextField label={t('admin.roles.name')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
      <CheckboxField label={t('admin.roles.passkey')} hint={t('admin.roles.passkeyHint')} checked={passkey} onChange={(e) => setPasskey(e.target.checked)} />
      <TextAreaField label={t('admin.roles.cidrs')} hint={t('admin.roles.cidrsHint')} optional rows={2} value={cidrs} onChange={(e) => setCidrs(e.target.value)} error={submit.fieldErrors.allowedCidrs} />
      <fieldset className="adm-perms">
        <legend className="field__label">{t('admin.roles.permissions')}</legend>
        {submit.fieldErrors.grants ? <p className="field__error">{submit.fieldErrors.grants}</p> : null}
        {groups(catalogue).map(([area, perms]) => (
          <div key={area} className="adm-perms__group">
            <h3 className="adm-perms__area">{area}</h3>
            {perms.map((p) => {
              const held = grants[p.permission];
              return (
                <div key={p.permission} className="adm-perm">
                  <label className="adm-choice">
                    <input type="checkbox" className="checkbox" checked={held !== undefined} onChange={(e) => {
                      const next = { ...grants };
                      if (e.target.checked) next[p.permission] = 'org';
                      else delete next[p.permission];
                      setGrants(next);
                    }} />
                    <span><code>{p.permission}</code> — {p.description}{p.stepUp ? <> <Badge tone="warning">{t('admin.roles.stepUp')}</Badge></> : null}</span>
                  </label>
                  {held !== undefined ? (
                    <select className="input input--select adm-perm__scope" aria-label={t('admin.roles.scopeOf', { permission: p.permission })} value={held} onChange={(e) => setGrants({ ...grants, [p.permission]: e.target.value as Scope })}>
                      {PERMISSION_SCOPES.map((s) => <option key={s} value={s}>{t(`admin.roles.scope.${s}`)}</option>)}
                    </select>
                  ) : null}
                </div>
              );
            })}
          </div>
        ))}
      </fieldset>
      <ErrorNotice error={submit.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={submit.busy}>{role ? t('action.save') : t('admin.roles.create')}</Button>
      </div>
    </form>
  );
}

export function Roles() {
  const { can } = useMe();
  const list = useResource(() => call(roleEndpoints.list), []);
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const manage = can('roles.manage');
  return (
    <Page title={t('admin.roles.title')} subtitle={t('admin.roles.subtitle')} wide actions={manage ? <Button variant="primary" onClick={() => setEditing('new')}>{t('admin.roles.new')}</Button> : undefined}>
      <AdminNav />
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      <div className="adm-cards">
        {list.data?.roles.map((r) => (
          <Section key={r.id} title={r.name} id={`role-${r.key}`} actions={
            <>
              {r.builtIn ? <Badge>{t('admin.roles.builtIn')}</Badge> : null}
              {r.requirePhishingResistant ? <Badge tone="success">{t('admin.roles.passkeyRequired')}</Badge> : null}
            </>
          }>
            <p className="adm-muted"><code>{r.key}</code>{r.allowedCidrs.length ? ` · ${t('admin.roles.onlyFrom', { cidrs: r.allowedCidrs.join(', ') })}` : ''}</p>
            <ul className="adm-grants">
              {r.grants.map((g) => <li key={g.permission}><code>{g.permission}</code> <span className="adm-muted">({t(`admin.roles.scope.${(PERMISSION_SCOPES as readonly string[]).includes(g.scope) ? (g.scope as Scope) : 'org'}`)})</span></li>)}
            </ul>
            {manage && !r.builtIn ? (
              <div className="adm-actions">
                <Button className="btn--small" onClick={() => setEditing(r)}>{t('action.edit')}</Button>
                <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.roles.deleteTitle', { name: r.name })} body={<p>{t('admin.roles.deleteBody')}</p>}
                  onConfirm={async () => { await call(roleEndpoints.remove, { params: { id: r.id } }); setNotice(t('admin.roles.deleted', { name: r.name })); list.reload(); }} />
              </div>
            ) : null}
          </Section>
        ))}
      </div>
      {editing && list.data ? (
        <Dialog open title={editing === 'new' ? t('admin.roles.new') : t('admin.roles.editTitle', { name: editing.name })} onClose={() => setEditing(null)}>
          <RoleForm role={editing === 'new' ? null : editing} catalogue={list.data.catalogue} onDone={() => { setEditing(null); setNotice(t('form.saved')); list.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
