/**
 * Data-handling policies (decision 0212): pick the internal or the public policy, edit its draft (Markdown),
 * see the preview the server renders — with, for the internal one, the part generated from the settings in
 * force — publish it with the date it takes effect, and read the version history. policies.manage only.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { POLICY_KINDS, policyEndpoints as e } from '../../../src/platform/http/schemas/policies.js';
import { roleEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import '../styles/articles.css';

type Kind = (typeof POLICY_KINDS)[number];
const today = () => new Date().toISOString().slice(0, 10);

export function Policies() {
  const [kind, setKind] = useState<Kind>('internal');
  const overview = useResource(() => call(e.overview), []);
  const roles = useResource(() => call(roleEndpoints.list), []);
  const doc = overview.data?.items.find((i) => i.kind === kind);
  const [form, setForm] = useState({ title: '', body: '', audience: [] as string[] });
  const [saved, setSaved] = useState(false);
  const [effective, setEffective] = useState(today());
  const [published, setPublished] = useState<number | null>(null);
  useEffect(() => {
    const d = doc?.draft;
    setForm({ title: d?.title ?? (kind === 'internal' ? 'Data-handling policy for staff' : 'How we handle your data'), body: d?.bodyMarkdown ?? '', audience: d?.audience ?? [] });
  }, [doc?.draft?.id, doc?.draft?.updatedAt, kind]);
  const save = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    setSaved(false);
    setPublished(null);
    await call(e.saveDraft, { params: { kind }, body: { title: form.title, bodyMarkdown: form.body, audience: kind === 'internal' ? form.audience : [] } });
    setSaved(true);
    overview.reload();
  });
  const publish = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    setSaved(false);
    // The date at the start of the chosen day, local time; today means now.
    const at = effective === today() ? new Date() : new Date(`${effective}T00:00:00`);
    const v = await call(e.publish, { params: { kind }, body: { effectiveAt: at.toISOString() } });
    setPublished(v.version);
    overview.reload();
  });
  const toggle = (key: string) => setForm((f) => ({ ...f, audience: f.audience.includes(key) ? f.audience.filter((k) => k !== key) : [...f.audience, key] }));
  return (
    <Page title={t('policies.admin.title')} subtitle={t('policies.admin.subtitle')} wide>
      <AdminNav />
      <SelectField label={t('policies.kind.label')} value={kind} onChange={(ev) => { setKind(ev.currentTarget.value as Kind); setSaved(false); setPublished(null); }}
        options={POLICY_KINDS.map((k) => ({ value: k, label: t(`policies.kind.${k}`) }))} />
      <ErrorNotice error={overview.error} onRetry={overview.reload} />
      {overview.loading && !overview.data ? <Loading /> : null}
      {doc ? (
        <>
          <Section title={t('policies.draft.title')} id="policy-draft">
            <form onSubmit={(ev) => void save.run(ev)}>
              <TextField label={t('policies.draft.name')} required maxLength={200} value={form.title} onChange={(ev) => setForm({ ...form, title: ev.currentTarget.value })} />
              <TextAreaField label={t('policies.draft.body')} hint={t('policies.draft.bodyHint')} className="training-source" rows={14} maxLength={100000} value={form.body} onChange={(ev) => setForm({ ...form, body: ev.currentTarget.value })} />
              {kind === 'internal' ? (
                <fieldset className="fieldset">
                  <legend>{t('policies.draft.audience')}</legend>
                  <p className="field__hint">{t('policies.draft.audienceHint')}</p>
                  {(roles.data?.roles ?? []).map((r) => <CheckboxField key={r.key} label={r.name} checked={form.audience.includes(r.key)} onChange={() => toggle(r.key)} />)}
                </fieldset>
              ) : null}
              <ErrorNotice error={save.error} />
              {saved ? <Notice tone="success">{t('policies.draft.saved')}</Notice> : null}
              <Button type="submit" variant="primary" busy={save.busy}>{t('policies.draft.save')}</Button>
            </form>
          </Section>
          <Section title={t('policies.preview.title')} id="policy-preview">
            {doc.draft ? (
              <>
                <div className="kb-article" data-testid="policy-preview" dangerouslySetInnerHTML={{ __html: doc.draft.html }} />
                {doc.draft.generatedHtml ? (
                  <section aria-label={t('policies.preview.generated')} className="kb-article policy-generated" dangerouslySetInnerHTML={{ __html: doc.draft.generatedHtml }} />
                ) : null}
              </>
            ) : <p>{t('policies.draft.none')}</p>}
          </Section>
          <Section title={t('policies.publish.title')} id="policy-publish">
            <form onSubmit={(ev) => void publish.run(ev)}>
              <TextField label={t('policies.publish.effective')} type="date" required min={today()} value={effective} onChange={(ev) => setEffective(ev.currentTarget.value)} />
              <ErrorNotice error={publish.error} />
              {published !== null ? <Notice tone="success">{t('policies.publish.done', { version: published })}</Notice> : null}
              <Button type="submit" variant="primary" busy={publish.busy} disabled={!doc.draft}>{t('policies.publish.button')}</Button>
            </form>
          </Section>
          <Section title={t('policies.history.title')} id="policy-history">
            <DataTable caption={t('policies.history.caption')} rows={doc.versions} rowKey={(v) => v.id}
              empty={<EmptyState title={t('policies.history.empty')} />}
              columns={[
                { key: 'version', header: t('policies.col.version'), numeric: true, render: (v) => v.version },
                { key: 'title', header: t('policies.col.title'), render: (v) => v.title },
                { key: 'effective', header: t('policies.col.effective'), render: (v) => formatDateTime(v.effectiveAt) },
                { key: 'state', header: t('policies.col.state'), render: (v) => <Badge tone={v.state === 'in_force' ? 'success' : v.state === 'upcoming' ? 'info' : 'neutral'}>{t(`policies.state.${v.state}`)}</Badge> },
                { key: 'by', header: t('policies.col.by'), render: (v) => v.publishedBy ?? '—' },
              ]} />
          </Section>
        </>
      ) : null}
    </Page>
  );
}
