/**
 * Staff: everyone in the organisation with roles, teams, factors and last
 * sign-in; invite; per person: roles and teams, end sessions, reset factors,
 * deactivate. Each action is offered only when the abilities allow it.
 */
import { useState } from 'react';
import type { Static } from 'typebox';
import { mfaEndpoints } from '../../../src/platform/http/schemas/mfa.js';
import { roleEndpoints, teamEndpoints, userEndpoints, type UserView } from '../../../src/platform/http/schemas/users.js';
import { deviceEndpoints } from '../../../src/platform/http/schemas/devices.js';
import { call } from '../api.js';
import { DeviceList } from '../devices/DeviceList.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { OrganizationLimits } from './Limits.js';
import { ChoiceList, ConfirmButton, When } from './shared.js';

type User = Static<typeof UserView>;
type Named = { id: string; name: string };

function useDirectory() {
  return useResource(async () => {
    const [users, roles, teams] = await Promise.all([call(userEndpoints.list), call(roleEndpoints.list), call(teamEndpoints.list)]);
    return { users: users.users, roles: roles.roles, teams: teams.teams };
  }, []);
}

export function InviteForm({ roles, teams, onDone }: { roles: Named[]; teams: Named[]; onDone: (email: string) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [roleIds, setRoleIds] = useState<string[]>([]);
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const submit = useSubmit(async () => {
    await call(userEndpoints.invite, { body: { email: email.trim(), name: name.trim(), roleIds, teamIds } });
    return true as const;
  });
  return (
    <form
      className="form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (await submit.run()) onDone(email.trim());
      }}
    >
      <TextField label={t('admin.staff.invite.email')} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} error={submit.fieldErrors.email} />
      <TextField label={t('admin.staff.invite.name')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
      <ChoiceList legend={t('admin.staff.roles')} options={roles.map((r) => ({ value: r.id, label: r.name }))} value={roleIds} onChange={setRoleIds} error={submit.fieldErrors.roleIds} />
      <ChoiceList legend={t('admin.staff.teams')} options={teams.map((x) => ({ value: x.id, label: x.name }))} value={teamIds} onChange={setTeamIds} error={submit.fieldErrors.teamIds} />
      <ErrorNotice error={submit.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={submit.busy}>{t('admin.staff.invite.send')}</Button>
      </div>
    </form>
  );
}

function AccessDialog({ user, roles, teams, onClose, onSaved }: { user: User; roles: Named[]; teams: Named[]; onClose: () => void; onSaved: () => void }) {
  const { can } = useMe();
  const [roleIds, setRoleIds] = useState(user.roleIds);
  const [teamIds, setTeamIds] = useState(user.teamIds);
  const submit = useSubmit(async () => {
    if (can('users.manage')) {
      if (roleIds.join() !== user.roleIds.join()) await call(userEndpoints.setRoles, { params: { id: user.id }, body: { roleIds } });
      if (teamIds.join() !== user.teamIds.join()) await call(userEndpoints.setTeams, { params: { id: user.id }, body: { teamIds } });
    }
    return true as const;
  });
  return (
    <Dialog open title={t('admin.staff.access.title', { name: user.name })} onClose={onClose}>
      <form
        className="form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (await submit.run()) {
            onSaved();
            onClose();
          }
        }}
      >
        <p className="field__hint">{t('admin.staff.access.hint')}</p>
        <ChoiceList legend={t('admin.staff.roles')} options={roles.map((r) => ({ value: r.id, label: r.name }))} value={roleIds} onChange={setRoleIds} error={submit.fieldErrors.roleIds} />
        <ChoiceList legend={t('admin.staff.teams')} options={teams.map((x) => ({ value: x.id, label: x.name }))} value={teamIds} onChange={setTeamIds} error={submit.fieldErrors.teamIds} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

/** A staff member's registered devices, with approve (decision 0222; not one's own) and revoke (their sessions on it end). */
function DevicesDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const { me } = useMe();
  const devices = useResource(() => call(deviceEndpoints.ofUser, { params: { id: user.id } }), [user.id]);
  const approve = useSubmit(async (deviceId: string) => {
    await call(deviceEndpoints.approveOfUser, { params: { id: user.id, deviceId } });
    devices.reload();
    return true as const;
  });
  const revoke = useSubmit(async (deviceId: string) => {
    await call(deviceEndpoints.revokeOfUser, { params: { id: user.id, deviceId } });
    devices.reload();
    return true as const;
  });
  return (
    <Dialog open title={t('devices.admin.title', { name: user.name })} onClose={onClose}>
      <p>{t('devices.admin.body')}</p>
      <ErrorNotice error={revoke.error ?? approve.error} />
      {devices.error ? <ErrorNotice error={devices.error} onRetry={devices.reload} /> : null}
      {devices.data ? (
        <DeviceList
          devices={devices.data.devices}
          busy={revoke.busy || approve.busy}
          onRevoke={(d) => void revoke.run(d.id)}
          {...(user.id !== me.user.id ? { onApprove: (d: { id: string }) => void approve.run(d.id) } : {})}
        />
      ) : devices.error ? null : <Loading />}
    </Dialog>
  );
}

const statusTone = (s: string) => (s === 'active' ? 'success' : s === 'invited' ? 'info' : 'neutral');

export function Staff() {
  const { me, can } = useMe();
  const data = useDirectory();
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [devicesOf, setDevicesOf] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const roleName = (id: string) => data.data?.roles.find((r) => r.id === id)?.name ?? id;
  const teamName = (id: string) => data.data?.teams.find((x) => x.id === id)?.name ?? id;
  const done = (message: string) => {
    setNotice(message);
    data.reload();
  };

  return (
    <Page
      title={t('admin.staff.title')}
      subtitle={t('admin.staff.subtitle')}
      wide
      actions={can('users.manage') ? <Button variant="primary" onClick={() => setInviting(true)}>{t('admin.staff.invite.open')}</Button> : undefined}
    >
      <AdminNav />
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {data.loading && !data.data ? <Loading /> : null}
      <ErrorNotice error={data.error} onRetry={data.reload} />
      <OrganizationLimits />
      {data.data ? (
        <Section title={tp('admin.staff.count', data.data.users.length)} id="staff">
          <DataTable
            caption={t('admin.staff.title')}
            rows={data.data.users}
            rowKey={(u) => u.id}
            columns={[
              { key: 'name', header: t('admin.staff.col.name'), render: (u) => <><strong>{u.name}</strong><br /><span className="adm-muted">{u.email}</span></> },
              { key: 'status', header: t('admin.staff.col.status'), render: (u) => <Badge tone={statusTone(u.status)}>{t(`admin.staff.status.${u.status === 'active' || u.status === 'invited' ? u.status : 'deactivated'}`)}</Badge> },
              { key: 'roles', header: t('admin.staff.col.roles'), render: (u) => u.roleIds.map(roleName).join(', ') || '—' },
              { key: 'teams', header: t('admin.staff.col.teams'), render: (u) => u.teamIds.map(teamName).join(', ') || '—' },
              { key: 'factors', header: t('admin.staff.col.factors'), render: (u) => (u.factors.length ? u.factors.map((f) => <Badge key={f} tone={f === 'webauthn' ? 'success' : 'info'}>{t(f === 'webauthn' ? 'admin.staff.factor.webauthn' : 'admin.staff.factor.totp')}</Badge>) : <Badge tone="warning">{t('admin.staff.factor.none')}</Badge>) },
              { key: 'last', header: t('admin.staff.col.lastSignIn'), render: (u) => <When value={u.lastSignInAt} /> },
              {
                key: 'actions',
                header: t('admin.common.actions'),
                render: (u) => u.id === me.user.id || u.status === 'deactivated' ? null : (
                  <div className="adm-actions">
                    {can('users.manage') ? <Button className="btn--small" onClick={() => setEditing(u)}>{t('admin.staff.access.open')}</Button> : null}
                    {can('users.manage') ? <Button className="btn--small" onClick={() => setDevicesOf(u)} aria-label={t('devices.admin.openFor', { name: u.name })}>{t('devices.admin.open')}</Button> : null}
                    {can('sessions.manage') ? (
                      <ConfirmButton label={t('admin.staff.sessions.open')} title={t('admin.staff.sessions.title', { name: u.name })} body={<p>{t('admin.staff.sessions.body')}</p>}
                        onConfirm={async () => { const r = await call(userEndpoints.revokeSessions, { params: { id: u.id } }); done(tp('admin.staff.sessions.done', r.ended, { name: u.name })); }} />
                    ) : null}
                    {can('users.manage') && u.factors.length ? (
                      <ConfirmButton label={t('admin.staff.mfa.open')} title={t('admin.staff.mfa.title', { name: u.name })} body={<p>{t('admin.staff.mfa.body')}</p>}
                        onConfirm={async () => { await call(mfaEndpoints.reset, { params: { userId: u.id } }); done(t('admin.staff.mfa.done', { name: u.name })); }} />
                    ) : null}
                    {can('users.manage') ? (
                      <ConfirmButton variant="danger" label={t('admin.staff.deactivate.open')} title={t('admin.staff.deactivate.title', { name: u.name })} body={<p>{t('admin.staff.deactivate.body')}</p>}
                        onConfirm={async () => { await call(userEndpoints.deactivate, { params: { id: u.id } }); done(t('admin.staff.deactivate.done', { name: u.name })); }} />
                    ) : null}
                  </div>
                ),
              },
            ]}
          />
        </Section>
      ) : null}
      {inviting && data.data ? (
        <Dialog open title={t('admin.staff.invite.title')} onClose={() => setInviting(false)}>
          <InviteForm roles={data.data.roles} teams={data.data.teams} onDone={(email) => { setInviting(false); done(t('admin.staff.invite.done', { email })); }} />
        </Dialog>
      ) : null}
      {devicesOf ? <DevicesDialog user={devicesOf} onClose={() => setDevicesOf(null)} /> : null}
      {editing && data.data ? <AccessDialog user={editing} roles={data.data.roles} teams={data.data.teams} onClose={() => setEditing(null)} onSaved={() => done(t('form.saved'))} /> : null}
    </Page>
  );
}
