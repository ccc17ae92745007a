/**
 * Following and managing training: progress (training.read: a lead's teams, or everyone; training.manage:
 * everyone), and for managers the assignment rules, assigning a module to people now, and the modules
 * (shipped and the organisation's own, added in the documented format).
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { trainingEndpoints as e, TRAINING_STATUSES } from '../../../src/platform/http/schemas/training.js';
import { roleEndpoints, teamEndpoints, userEndpoints } from '../../../src/platform/http/schemas/users.js';
import { ConfirmButton } from '../admin/shared.js';
import { ApiError, call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { FieldRow, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { StatusBadge } from './MyTraining.js';

type StatusFilter = '' | (typeof TRAINING_STATUSES)[number];

function Progress() {
  const [status, setStatus] = useState<StatusFilter>('');
  const list = useResource(() => call(e.progress, { query: status ? { status } : {} }), [status]);
  return (
    <Section title={t('training.progress')} id="training-progress">
      <SelectField label={t('training.filter')} value={status} onChange={(ev) => setStatus(ev.currentTarget.value as StatusFilter)}
        options={[{ value: '', label: t('training.filter.all') }, ...TRAINING_STATUSES.map((s) => ({ value: s, label: t(`training.status.${s}`) }))]} />
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data?.truncated ? <Notice tone="info">{t('training.truncated')}</Notice> : null}
      {list.data ? (
        <DataTable caption={t('training.progressCaption')} rows={list.data.items} rowKey={(r) => r.assignmentId}
          columns={[
            { key: 'person', header: t('training.col.person'), render: (r) => r.userName },
            { key: 'module', header: t('training.col.module'), render: (r) => `${r.moduleTitle} (v${r.version})` },
            { key: 'status', header: t('training.col.status'), render: (r) => <StatusBadge status={r.status} /> },
            { key: 'due', header: t('training.col.due'), render: (r) => formatDateTime(r.dueAt) },
            { key: 'attempts', header: t('training.col.attempts'), numeric: true, render: (r) => r.attemptsUsed },
            { key: 'score', header: t('training.col.score'), numeric: true, render: (r) => (r.bestScore === null ? '—' : `${r.bestScore}%`) },
          ]} />
      ) : <Loading />}
    </Section>
  );
}

function Rules({ modules }: { modules: Array<{ key: string; title: string }> }) {
  const rules = useResource(() => call(e.rules), []);
  const roles = useResource(() => call(roleEndpoints.list), []);
  const teams = useResource(() => call(teamEndpoints.list), []);
  const [form, setForm] = useState({ moduleKey: '', roleKey: '', teamId: '', dueDays: '30', everyMonths: '12' });
  const [done, setDone] = useState<number | null>(null);
  const add = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    const r = await call(e.addRule, { body: { moduleKey: form.moduleKey, roleKey: form.roleKey || null, teamId: form.teamId || null, dueDays: Number(form.dueDays), everyMonths: form.everyMonths ? Number(form.everyMonths) : null } });
    setDone(r.assigned);
    rules.reload();
  });
  const set = (k: keyof typeof form) => (ev: { currentTarget: { value: string } }) => setForm((f) => ({ ...f, [k]: ev.currentTarget.value }));
  return (
    <Section title={t('training.rules')} id="training-rules">
      <ErrorNotice error={rules.error} onRetry={rules.reload} />
      {rules.data ? (
        <DataTable caption={t('training.rulesCaption')} rows={rules.data.items} rowKey={(r) => r.id}
          columns={[
            { key: 'module', header: t('training.rule.module'), render: (r) => r.moduleTitle ?? r.moduleKey },
            { key: 'who', header: t('training.rule.who'), render: (r) => [r.roleKey, r.teamName].filter(Boolean).join(' · ') || t('training.rule.anyone') },
            { key: 'due', header: t('training.rule.dueDays'), numeric: true, render: (r) => r.dueDays },
            { key: 'every', header: t('training.rule.every'), numeric: true, render: (r) => r.everyMonths ?? t('training.rule.once') },
            { key: 'remove', header: '', render: (r) => (
              <ConfirmButton variant="danger" label={t('training.rule.remove')} title={t('training.rule.removeTitle')} body={<p>{t('training.rule.removeBody')}</p>}
                onConfirm={async () => { await call(e.removeRule, { params: { id: r.id } }); rules.reload(); }} />
            ) },
          ]} />
      ) : null}
      <form onSubmit={(ev) => void add.run(ev)}>
        <FieldRow>
          <SelectField label={t('training.rule.module')} required value={form.moduleKey} onChange={set('moduleKey')} options={[{ value: '', label: '—' }, ...modules.map((m) => ({ value: m.key, label: m.title }))]} />
          <SelectField label={t('training.rule.role')} value={form.roleKey} onChange={set('roleKey')} options={[{ value: '', label: t('training.rule.anyRole') }, ...(roles.data?.roles ?? []).map((r) => ({ value: r.key, label: r.name }))]} />
          <SelectField label={t('training.rule.team')} value={form.teamId} onChange={set('teamId')} options={[{ value: '', label: t('training.rule.anyTeam') }, ...(teams.data?.teams ?? []).map((tm) => ({ value: tm.id, label: tm.name }))]} />
        </FieldRow>
        <FieldRow>
          <TextField label={t('training.rule.dueDays')} type="number" min={1} max={365} required value={form.dueDays} onChange={set('dueDays')} />
          <TextField label={t('training.rule.every')} type="number" min={1} max={60} optional value={form.everyMonths} onChange={set('everyMonths')} />
        </FieldRow>
        <ErrorNotice error={add.error} />
        {done !== null ? <Notice tone="success">{t('training.rule.added', { n: done })}</Notice> : null}
        <Button type="submit" variant="primary" busy={add.busy} disabled={!form.moduleKey}>{t('training.rule.add')}</Button>
      </form>
    </Section>
  );
}

function Modules({ list, reload }: { list: Array<{ id: string; key: string; title: string; version: number; shipped: boolean; questions: number; minutes: number; languages: string[] }>; reload: () => void }) {
  const [source, setSource] = useState('');
  const [added, setAdded] = useState(false);
  const add = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    setAdded(false);
    await call(e.addModule, { body: { source } });
    setSource('');
    setAdded(true);
    reload();
  });
  const problems = add.error instanceof ApiError && Array.isArray(add.error.extra.problems) ? (add.error.extra.problems as string[]) : [];
  return (
    <Section title={t('training.modules')} id="training-modules">
      <DataTable caption={t('training.modulesCaption')} rows={list} rowKey={(m) => m.id}
        columns={[
          { key: 'title', header: t('training.col.module'), render: (m) => `${m.title} (v${m.version})` },
          { key: 'languages', header: t('training.col.languages'), render: (m) => m.languages.join(', ') },
          { key: 'kind', header: '', render: (m) => <Badge tone={m.shipped ? 'neutral' : 'info'}>{m.shipped ? t('training.module.shipped') : t('training.module.own')}</Badge> },
          { key: 'time', header: '', render: (m) => t('training.minutes', { n: m.minutes }) },
        ]} />
      <form onSubmit={(ev) => void add.run(ev)}>
        <TextAreaField label={t('training.module.source')} className="training-source" value={source} maxLength={64000} onChange={(ev) => setSource(ev.currentTarget.value)} />
        {problems.length > 0 ? (
          <Notice tone="danger" title={t('training.module.problems')}><ul>{problems.map((p) => <li key={p}>{p}</li>)}</ul></Notice>
        ) : <ErrorNotice error={add.error} />}
        {added ? <Notice tone="success">{t('training.module.added')}</Notice> : null}
        <Button type="submit" variant="primary" busy={add.busy} disabled={!source.trim()}>{t('training.module.add')}</Button>
      </form>
    </Section>
  );
}

function Assign({ modules }: { modules: Array<{ key: string; title: string }> }) {
  const users = useResource(() => call(userEndpoints.list), []);
  const [moduleKey, setModuleKey] = useState('');
  const [userIds, setUserIds] = useState<string[]>([]);
  const [dueDays, setDueDays] = useState('14');
  const [result, setResult] = useState<{ assigned: number; alreadyOpen: number } | null>(null);
  const run = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    setResult(await call(e.assign, { body: { moduleKey, userIds, dueDays: Number(dueDays) } }));
  });
  return (
    <Section title={t('training.assign')} id="training-assign">
      <form onSubmit={(ev) => void run.run(ev)}>
        <FieldRow>
          <SelectField label={t('training.rule.module')} value={moduleKey} onChange={(ev) => setModuleKey(ev.currentTarget.value)} options={[{ value: '', label: '—' }, ...modules.map((m) => ({ value: m.key, label: m.title }))]} />
          <TextField label={t('training.rule.dueDays')} type="number" min={1} max={365} value={dueDays} onChange={(ev) => setDueDays(ev.currentTarget.value)} />
        </FieldRow>
        <SelectField label={t('training.assign.people')} multiple size={6} value={userIds} onChange={(ev) => setUserIds([...ev.currentTarget.selectedOptions].map((o) => o.value))}
          options={(users.data?.users ?? []).filter((u) => u.status === 'active').map((u) => ({ value: u.id, label: `${u.name} <${u.email}>` }))} />
        <ErrorNotice error={run.error ?? users.error} />
        {result ? <Notice tone="success">{t('training.assign.done', { assigned: result.assigned, open: result.alreadyOpen })}</Notice> : null}
        <Button type="submit" variant="primary" busy={run.busy} disabled={!moduleKey || userIds.length === 0}>{t('training.assign.submit')}</Button>
      </form>
    </Section>
  );
}

export function ManagePage() {
  const { can } = useMe();
  const manager = can('training.manage');
  const modules = useResource(() => (manager ? call(e.modules) : Promise.resolve({ items: [] })), [manager]);
  if (!manager && !can('training.read')) return <Page title={t('training.manageTitle')}><Notice tone="warning">{t('errors.forbidden')}</Notice></Page>;
  const mods = modules.data?.items ?? [];
  return (
    <Page title={t('training.manageTitle')} wide actions={<Link href="/training">{t('training.back')}</Link>}>
      <Progress />
      {manager ? (
        <>
          <ErrorNotice error={modules.error} onRetry={modules.reload} />
          <Rules modules={mods} />
          <Assign modules={mods} />
          <Modules list={mods} reload={modules.reload} />
        </>
      ) : null}
    </Page>
  );
}
