/** Routing rules: the first enabled rule (by position) whose conditions all match sets team, assignee, priority and tags of a new inbound ticket. */
import { useState } from 'react';
import type { Static } from 'typebox';
import { mailboxEndpoints } from '../../../src/platform/http/schemas/mailboxes.js';
import { routingEndpoints, type RoutingRule } from '../../../src/platform/http/schemas/routing.js';
import { TICKET_PRIORITIES } from '../../../src/platform/http/schemas/tickets.js';
import { teamEndpoints, userEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { CheckboxField, SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { AssignOnReplySection } from './Assignment.js';
import { ConfirmButton, linesToList } from './shared.js';

type Rule = Static<typeof RoutingRule>;
type Named = { id: string; name: string };
interface Refs { mailboxes: Array<{ id: string; address: string }>; teams: Named[]; users: Named[] }

function RuleForm({ rule, refs, nextPosition, onDone }: { rule: Rule | null; refs: Refs; nextPosition: number; onDone: () => void }) {
  const [name, setName] = useState(rule?.name ?? '');
  const [position, setPosition] = useState(String(rule?.position ?? nextPosition));
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [mailbox, setMailbox] = useState(rule?.matchMailboxId ?? '');
  const [domain, setDomain] = useState(rule?.matchSenderDomain ?? '');
  const [words, setWords] = useState((rule?.matchSubjectWords ?? []).join(', '));
  const [team, setTeam] = useState(rule?.setTeamId ?? '');
  const [assignee, setAssignee] = useState(rule?.setAssigneeId ?? '');
  const [priority, setPriority] = useState<string>(rule?.setPriority ?? '');
  const [tags, setTags] = useState((rule?.addTags ?? []).join(', '));
  const [strategy, setStrategy] = useState<string>(rule?.assignStrategy ?? '');
  const submit = useSubmit(async () => {
    const body = {
      name: name.trim(), position: Number(position), enabled,
      matchMailboxId: mailbox || null, matchSenderDomain: domain.trim().toLowerCase() || null, matchSubjectWords: linesToList(words),
      setTeamId: team || null, setAssigneeId: assignee || null, setPriority: (priority || null) as (typeof TICKET_PRIORITIES)[number] | null, addTags: linesToList(tags),
      assignStrategy: assignee ? null : ((strategy || null) as 'round_robin' | 'least_busy' | null),
    };
    if (rule) await call(routingEndpoints.update, { params: { id: rule.id }, body });
    else await call(routingEndpoints.create, { body });
    return true as const;
  });
  const fe = submit.fieldErrors;
  const none = (label: string) => [{ value: '', label }];
  return (
    <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) onDone(); }}>
      <div className="field-row">
        <TextField label={t('admin.routing.name')} value={name} onChange={(e) => setName(e.target.value)} error={fe.name} />
        <TextField label={t('admin.routing.position')} hint={t('admin.routing.positionHint')} type="number" inputMode="numeric" min={0} value={position} onChange={(e) => setPosition(e.target.value)} error={fe.position} />
      </div>
      <CheckboxField label={t('admin.routing.enabled')} checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
      <h3 className="adm-subtitle">{t('admin.routing.when')}</h3>
      <div className="field-row">
        <SelectField label={t('admin.routing.mailbox')} value={mailbox} onChange={(e) => setMailbox(e.target.value)} options={[...none(t('admin.routing.any')), ...refs.mailboxes.map((m) => ({ value: m.id, label: m.address }))]} error={fe.matchMailboxId} />
        <TextField label={t('admin.routing.domain')} hint={t('admin.routing.domainHint')} optional value={domain} onChange={(e) => setDomain(e.target.value)} error={fe.matchSenderDomain} />
        <TextField label={t('admin.routing.words')} hint={t('admin.common.commaSeparated')} optional value={words} onChange={(e) => setWords(e.target.value)} error={Object.entries(fe).find(([k]) => k.startsWith('matchSubjectWords'))?.[1]} />
      </div>
      <h3 className="adm-subtitle">{t('admin.routing.then')}</h3>
      <div className="field-row">
        <SelectField label={t('admin.routing.team')} value={team} onChange={(e) => setTeam(e.target.value)} options={[...none(t('admin.routing.keep')), ...refs.teams.map((x) => ({ value: x.id, label: x.name }))]} />
        <SelectField label={t('admin.routing.assignee')} value={assignee} onChange={(e) => setAssignee(e.target.value)} options={[...none(t('admin.routing.keep')), ...refs.users.map((x) => ({ value: x.id, label: x.name }))]} />
        {assignee ? null : (
          <SelectField label={t('admin.routing.strategy')} hint={t('admin.routing.strategyHint')} value={strategy} onChange={(e) => setStrategy(e.target.value)}
            options={[...none(t('admin.routing.teamStrategy')), { value: 'round_robin', label: t('admin.assignment.strategy.round_robin') }, { value: 'least_busy', label: t('admin.assignment.strategy.least_busy') }]} />
        )}
        <SelectField label={t('admin.routing.priority')} value={priority} onChange={(e) => setPriority(e.target.value)} options={[...none(t('admin.routing.keep')), ...TICKET_PRIORITIES.map((p) => ({ value: p, label: t(`admin.priority.${p}`) }))]} />
        <TextField label={t('admin.routing.tags')} hint={t('admin.common.commaSeparated')} optional value={tags} onChange={(e) => setTags(e.target.value)} error={Object.entries(fe).find(([k]) => k.startsWith('addTags'))?.[1]} />
      </div>
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

export function Routing() {
  const data = useResource(async () => {
    const [rules, mailboxes, teams, users] = await Promise.all([call(routingEndpoints.list), call(mailboxEndpoints.list), call(teamEndpoints.list), call(userEndpoints.list)]);
    return { rules: rules.rules, refs: { mailboxes: mailboxes.mailboxes, teams: teams.teams, users: users.users.filter((u) => u.status === 'active') } };
  }, []);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const label = (list: Named[], id: string | null) => (id ? (list.find((x) => x.id === id)?.name ?? id) : null);
  return (
    <Page title={t('admin.routing.title')} subtitle={t('admin.routing.subtitle')} wide actions={<Button variant="primary" onClick={() => setEditing('new')}>{t('admin.routing.new')}</Button>}>
      <AdminNav />
      {data.loading && !data.data ? <Loading /> : null}
      <ErrorNotice error={data.error} onRetry={data.reload} />
      <AssignOnReplySection />
      {data.data ? (
        <Section title={t('admin.routing.title')} id="routing">
          <DataTable
            caption={t('admin.routing.title')}
            rows={data.data.rules}
            rowKey={(r) => r.id}
            empty={<EmptyState title={t('admin.routing.empty')} />}
            columns={[
              { key: 'pos', header: t('admin.routing.position'), numeric: true, render: (r) => r.position },
              { key: 'name', header: t('admin.routing.name'), render: (r) => <>{r.name} {r.enabled ? null : <Badge>{t('admin.routing.disabled')}</Badge>}</> },
              { key: 'when', header: t('admin.routing.when'), render: (r) => [r.matchMailboxId ? data.data?.refs.mailboxes.find((m) => m.id === r.matchMailboxId)?.address : null, r.matchSenderDomain ? `@${r.matchSenderDomain}` : null, r.matchSubjectWords.length ? `“${r.matchSubjectWords.join(' ')}”` : null].filter(Boolean).join(' · ') || t('admin.routing.any') },
              { key: 'then', header: t('admin.routing.then'), render: (r) => [label(data.data?.refs.teams ?? [], r.setTeamId), label(data.data?.refs.users ?? [], r.setAssigneeId), r.assignStrategy ? t(`admin.assignment.strategy.${r.assignStrategy}`) : null, r.setPriority ? t(`admin.priority.${r.setPriority}`) : null, r.addTags.length ? r.addTags.map((x) => `#${x}`).join(' ') : null].filter(Boolean).join(' · ') || '—' },
              {
                key: 'actions', header: t('admin.common.actions'), render: (r) => (
                  <div className="adm-actions">
                    <Button className="btn--small" onClick={() => setEditing(r)}>{t('action.edit')}</Button>
                    <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.routing.deleteTitle', { name: r.name })} body={<p>{t('admin.routing.deleteBody')}</p>}
                      onConfirm={async () => { await call(routingEndpoints.remove, { params: { id: r.id } }); data.reload(); }} />
                  </div>
                ),
              },
            ]}
          />
        </Section>
      ) : null}
      {editing && data.data ? (
        <Dialog open title={editing === 'new' ? t('admin.routing.new') : t('admin.routing.editTitle', { name: editing.name })} onClose={() => setEditing(null)}>
          <RuleForm rule={editing === 'new' ? null : editing} refs={data.data.refs} nextPosition={(data.data.rules.at(-1)?.position ?? -10) + 10} onDone={() => { setEditing(null); data.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
