/** Access review campaigns: the list, and starting one over all staff or one team. */
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { accessReviewEndpoints, type CreateCampaignInput } from '../../../src/platform/http/schemas/access-reviews.js';
import { teamEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { CheckboxField, FieldRow, SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { SecurityNav } from './SecurityNav.js';

function inDays(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

function StartCampaign({ onStarted }: { onStarted: (id: string) => void }) {
  const { can } = useMe();
  const teams = useResource(async () => (can('users.read') ? (await call(teamEndpoints.list)).teams : []), []);
  const [name, setName] = useState('');
  const [teamId, setTeamId] = useState('');
  const [deadline, setDeadline] = useState(inDays(14));
  const [revokeUndecided, setRevokeUndecided] = useState(false);
  const [dormantDays, setDormantDays] = useState('90');
  const [unusedDays, setUnusedDays] = useState('90');
  const [errors, setErrors] = useState<FieldErrors>({});
  const start = useSubmit((body: CreateCampaignInput) => call(accessReviewEndpoints.start, { body }));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const end = new Date(`${deadline}T23:59:59`);
    const body = {
      name: name.trim(),
      teamId: teamId || null,
      deadline: Number.isNaN(end.getTime()) ? deadline : end.toISOString(),
      revokeUndecided,
      dormantDays: Number(dormantDays),
      unusedDays: Number(unusedDays),
    };
    const found = validate(accessReviewEndpoints.start.body, body);
    setErrors(found);
    if (Object.keys(found).length) return;
    const started = await start.run(body);
    if (started) onStarted(started.campaign.id);
  };
  const fieldErrors = { ...errors, ...start.fieldErrors };
  return (
    <Section title={t('security.reviews.start')} id="start-review">
      <form className="form form--wide" onSubmit={(e) => void onSubmit(e)} noValidate>
        <FieldRow>
          <TextField label={t('security.reviews.field.name')} value={name} onChange={(e) => setName(e.target.value)} error={fieldErrors.name} required placeholder={t('security.reviews.field.namePlaceholder')} />
          <SelectField
            label={t('security.reviews.field.scope')}
            value={teamId}
            onChange={(e) => setTeamId(e.target.value)}
            error={fieldErrors.teamId}
            hint={t('security.reviews.field.scopeHint')}
            options={[{ value: '', label: t('security.reviews.allStaff') }, ...(teams.data ?? []).map((team) => ({ value: team.id, label: t('security.reviews.teamOption', { name: team.name }) }))]}
          />
          <TextField label={t('security.reviews.field.deadline')} type="date" value={deadline} onChange={(e) => setDeadline(e.target.value)} error={fieldErrors.deadline} required />
        </FieldRow>
        <FieldRow>
          <TextField label={t('security.reviews.field.dormantDays')} hint={t('security.reviews.field.dormantHint')} type="number" min={1} max={3650} value={dormantDays} onChange={(e) => setDormantDays(e.target.value)} error={fieldErrors.dormantDays} />
          <TextField label={t('security.reviews.field.unusedDays')} hint={t('security.reviews.field.unusedHint')} type="number" min={1} max={3650} value={unusedDays} onChange={(e) => setUnusedDays(e.target.value)} error={fieldErrors.unusedDays} />
        </FieldRow>
        <CheckboxField label={t('security.reviews.field.revokeUndecided')} hint={t('security.reviews.field.revokeHint')} checked={revokeUndecided} onChange={(e) => setRevokeUndecided(e.target.checked)} />
        <ErrorNotice error={start.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={start.busy}>{t('security.reviews.startAction')}</Button>
        </div>
      </form>
    </Section>
  );
}

export function AccessReviews() {
  const { can } = useMe();
  const [, navigate] = useLocation();
  const list = useResource(() => call(accessReviewEndpoints.list, { query: {} }), []);
  return (
    <Page title={t('security.reviews.title')} subtitle={t('security.reviews.subtitle')} wide>
      <SecurityNav />
      <Section title={t('security.reviews.campaigns')} id="campaigns">
        {list.loading && !list.data ? <Loading /> : null}
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {list.data ? (
          <DataTable
            caption={t('security.reviews.campaigns')}
            rows={list.data.campaigns}
            rowKey={(c) => c.id}
            empty={<EmptyState title={t('security.reviews.empty')} />}
            columns={[
              { key: 'name', header: t('security.reviews.col.name'), render: (c) => <Link href={`/access-reviews/${c.id}`}>{c.name}</Link> },
              { key: 'scope', header: t('security.reviews.col.scope'), render: (c) => (c.teamId ? t('security.reviews.teamOption', { name: c.teamName ?? '—' }) : t('security.reviews.allStaff')) },
              { key: 'status', header: t('security.reviews.col.status'), render: (c) => <Badge tone={c.status === 'open' ? 'info' : 'neutral'}>{t(c.status === 'open' ? 'security.reviews.open' : 'security.reviews.closed')}</Badge> },
              { key: 'deadline', header: t('security.reviews.col.deadline'), render: (c) => <time dateTime={c.deadline}>{formatDateTime(c.deadline)}</time> },
              { key: 'progress', header: t('security.reviews.col.progress'), render: (c) => t('security.reviews.progress', { decided: c.counts.certified + c.counts.revoked, total: c.counts.total, revoked: c.counts.revoked }) },
            ]}
          />
        ) : null}
      </Section>
      {can('reviews.manage') ? <StartCampaign onStarted={(id) => navigate(`/access-reviews/${id}`)} /> : null}
    </Page>
  );
}
