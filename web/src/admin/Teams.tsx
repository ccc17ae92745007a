/** Teams: members at a glance, create, rename, delete. */
import { useState } from 'react';
import { teamEndpoints, userEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { TeamStrategySelect, useTeamStrategies } from './Assignment.js';
import { ConfirmButton } from './shared.js';

function TeamForm({ team, onDone }: { team: { id: string; name: string } | null; onDone: () => void }) {
  const [name, setName] = useState(team?.name ?? '');
  const submit = useSubmit(async () => {
    if (team) await call(teamEndpoints.rename, { params: { id: team.id }, body: { name: name.trim() } });
    else await call(teamEndpoints.create, { body: { name: name.trim() } });
    return true as const;
  });
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) onDone(); }}>
      <TextField label={t('admin.teams.name')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

export function Teams() {
  const { can } = useMe();
  const data = useResource(async () => {
    const [teams, users] = await Promise.all([call(teamEndpoints.list), call(userEndpoints.list)]);
    return { teams: teams.teams, users: users.users };
  }, []);
  const [editing, setEditing] = useState<{ id: string; name: string } | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const manage = can('teams.manage');
  const strategies = useTeamStrategies(manage);
  const nameOf = (id: string) => data.data?.users.find((u) => u.id === id)?.name ?? id;
  return (
    <Page title={t('admin.teams.title')} subtitle={t('admin.teams.subtitle')} wide actions={manage ? <Button variant="primary" onClick={() => setEditing('new')}>{t('admin.teams.new')}</Button> : undefined}>
      <AdminNav />
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {data.loading && !data.data ? <Loading /> : null}
      <ErrorNotice error={data.error} onRetry={data.reload} />
      {data.data ? (
        <Section title={t('admin.teams.title')} id="teams">
          <DataTable
            caption={t('admin.teams.title')}
            rows={data.data.teams}
            rowKey={(x) => x.id}
            empty={<EmptyState title={t('admin.teams.empty')} />}
            columns={[
              { key: 'name', header: t('admin.teams.name'), render: (x) => <strong>{x.name}</strong> },
              { key: 'members', header: t('admin.teams.members'), render: (x) => <>{tp('admin.teams.memberCount', x.memberIds.length)}{x.memberIds.length ? <span className="adm-muted">: {x.memberIds.map(nameOf).join(', ')}</span> : null}</> },
              ...(manage ? [{
                key: 'strategy', header: t('admin.assignment.strategy'), render: (x: { id: string; name: string }) => (
                  <TeamStrategySelect teamId={x.id} teamName={x.name} value={strategies.data?.teams.find((s) => s.id === x.id)?.strategy ?? 'manual'} onChanged={strategies.reload} />
                ),
              }] : []),
              {
                key: 'actions', header: t('admin.common.actions'), render: (x) => manage ? (
                  <div className="adm-actions">
                    <Button className="btn--small" onClick={() => setEditing(x)}>{t('admin.teams.rename')}</Button>
                    <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.teams.deleteTitle', { name: x.name })} body={<p>{t('admin.teams.deleteBody')}</p>}
                      onConfirm={async () => { await call(teamEndpoints.remove, { params: { id: x.id } }); setNotice(t('admin.teams.deleted', { name: x.name })); data.reload(); }} />
                  </div>
                ) : null,
              },
            ]}
          />
        </Section>
      ) : null}
      {editing ? (
        <Dialog open title={editing === 'new' ? t('admin.teams.new') : t('admin.teams.renameTitle', { name: editing.name })} onClose={() => setEditing(null)}>
          <TeamForm team={editing === 'new' ? null : editing} onDone={() => { setEditing(null); setNotice(t('form.saved')); data.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
