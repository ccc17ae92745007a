/**
 * Phishing simulations (decision 0192): the campaign list and builder with a
 * template preview (simulations.manage), and one campaign's results — counts
 * and each recipient's events, discounted ones with their reason (simulations.read).
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { mailboxEndpoints } from '../../../src/platform/http/schemas/mailboxes.js';
import { SIMULATION_BANNERS, simulationEndpoints as e } from '../../../src/platform/http/schemas/simulations.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { OpenIncidentButton } from './Incidents.js';
import { SecurityNav } from './SecurityNav.js';

type Banner = (typeof SIMULATION_BANNERS)[number];

function Preview({ templateId }: { templateId: string }) {
  const preview = useResource(() => call(e.preview, { params: { id: templateId } }), [templateId]);
  if (!preview.data) return <ErrorNotice error={preview.error} />;
  const p = preview.data;
  return (
    <div className="sim-preview" aria-label={t('sims.preview')}>
      <p><strong>{t('sims.preview.from')}:</strong> {p.fromName} &lt;{p.fromAddress}&gt;</p>
      <p><strong>{t('sims.preview.subject')}:</strong> {p.subject}</p>
      <p>{t('sims.difficulty', { level: p.template.difficulty })}</p>
      <pre className="sim-preview__body">{p.text}</pre>
      <h4>{t('sims.preview.flags')}</h4>
      <ol>{p.redFlags.map((f, i) => <li key={i}><mark>{f.quote}</mark> — {f.explanation}</li>)}</ol>
    </div>
  );
}

function Builder({ onCreated }: { onCreated: (id: string) => void }) {
  const templates = useResource(() => call(e.templates), []);
  const mailboxes = useResource(() => call(mailboxEndpoints.list), []);
  const [name, setName] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [mailboxId, setMailboxId] = useState('');
  const [senderDomain, setSenderDomain] = useState('');
  const [banner, setBanner] = useState<Banner>('as_real');
  const [windowMinutes, setWindow] = useState('240');
  const [durationDays, setDuration] = useState('7');
  const [roles, setRoles] = useState('agent');
  const chosenTemplate = templateId || templates.data?.items[0]?.id || '';
  const chosenMailbox = mailboxId || mailboxes.data?.mailboxes[0]?.id || '';
  const submit = useSubmit(() => call(e.create, { body: {
    name: name.trim(), templateId: chosenTemplate, mailboxId: chosenMailbox, senderDomain: senderDomain.trim(), banner,
    windowMinutes: Number(windowMinutes), durationDays: Number(durationDays), targets: { roles: roles.split(',').map((r) => r.trim()).filter(Boolean) },
  } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await submit.run();
    if (created) onCreated(created.id);
  };
  if (!templates.data || !mailboxes.data) return <><Loading /><ErrorNotice error={templates.error ?? mailboxes.error} /></>;
  return (
    <div className="sim-builder">
      <form className="form" onSubmit={(ev) => void onSubmit(ev)} noValidate>
        <TextField label={t('sims.field.name')} value={name} onChange={(ev) => setName(ev.target.value)} required error={submit.fieldErrors.name} />
        <SelectField label={t('sims.field.template')} value={chosenTemplate} onChange={(ev) => setTemplateId(ev.target.value)} options={templates.data.items.map((tp) => ({ value: tp.id, label: `${tp.name} (${tp.difficulty}/3)` }))} />
        <SelectField label={t('sims.field.mailbox')} value={chosenMailbox} onChange={(ev) => setMailboxId(ev.target.value)} options={mailboxes.data.mailboxes.map((m) => ({ value: m.id, label: m.address }))} />
        <TextField label={t('sims.field.senderDomain')} hint={t('sims.field.senderDomainHint')} value={senderDomain} onChange={(ev) => setSenderDomain(ev.target.value)} required error={submit.fieldErrors.senderDomain} />
        <SelectField label={t('sims.field.banner')} value={banner} onChange={(ev) => setBanner(ev.target.value === 'none' ? 'none' : 'as_real')} options={SIMULATION_BANNERS.map((b) => ({ value: b, label: t(`sims.banner.${b}`) }))} />
        <TextField label={t('sims.field.window')} type="number" min={0} max={20160} value={windowMinutes} onChange={(ev) => setWindow(ev.target.value)} />
        <TextField label={t('sims.field.duration')} type="number" min={1} max={60} value={durationDays} onChange={(ev) => setDuration(ev.target.value)} />
        <TextField label={t('sims.field.roles')} value={roles} onChange={(ev) => setRoles(ev.target.value)} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('sims.create')}</Button></div>
      </form>
      {chosenTemplate ? <Preview templateId={chosenTemplate} /> : null}
    </div>
  );
}

export function Simulations() {
  const { can } = useMe();
  const list = useResource(() => call(e.list), []);
  const [building, setBuilding] = useState(false);
  return (
    <Page title={t('sims.title')} subtitle={t('sims.subtitle')} wide actions={can('simulations.manage') && !building ? <Button variant="primary" onClick={() => setBuilding(true)}>{t('sims.new')}</Button> : undefined}>
      <SecurityNav />
      {building ? <Section title={t('sims.new')}><Builder onCreated={() => { setBuilding(false); list.reload(); }} /></Section> : null}
      <Section title={t('sims.campaigns')}>
        {list.loading && !list.data ? <Loading /> : null}
        <ErrorNotice error={list.error} onRetry={list.reload} />
        {list.data ? (
          <DataTable
            caption={t('sims.campaigns')}
            rows={list.data.items}
            rowKey={(c) => c.id}
            empty={<EmptyState title={t('sims.empty')} />}
            columns={[
              { key: 'name', header: t('sims.col.name'), render: (c) => <Link href={`/security/simulations/${c.id}`}>{c.name}</Link> },
              { key: 'template', header: t('sims.col.template'), render: (c) => c.templateId },
              { key: 'status', header: t('sims.col.status'), render: (c) => <Badge tone={c.status === 'ended' ? 'info' : 'success'}>{t(`sims.status.${c.status}`)}</Badge> },
              { key: 'starts', header: t('sims.col.starts'), render: (c) => <time dateTime={c.startsAt}>{formatDateTime(c.startsAt)}</time> },
            ]}
          />
        ) : null}
      </Section>
    </Page>
  );
}

export function SimulationResults({ id }: { id: string }) {
  const { can } = useMe();
  const res = useResource(() => call(e.results, { params: { id } }), [id]);
  const deliver = useSubmit(() => call(e.deliver, { params: { id } }));
  const end = useSubmit(() => call(e.end, { params: { id } }));
  const data = res.data;
  const manage = can('simulations.manage') && data?.campaign.status === 'scheduled';
  return (
    <Page title={data ? data.campaign.name : t('sims.results')} wide actions={manage ? <>
      <Button onClick={() => void deliver.run().then(res.reload)} busy={deliver.busy}>{t('sims.deliverNow')}</Button>
      <Button variant="danger" onClick={() => void end.run().then(res.reload)} busy={end.busy}>{t('sims.end')}</Button>
    </> : undefined}>
      <SecurityNav />
      <p><Link href="/security/simulations">{t('sims.back')}</Link></p>
      <ErrorNotice error={res.error ?? deliver.error ?? end.error} onRetry={res.reload} />
      {!data ? <Loading /> : (
        <>
          <Section title={t('sims.results')}>
            <dl className="sim-counts">
              {(['delivered', 'opened', 'clicked', 'reported', 'noAction', 'discounted'] as const).map((k) => <div key={k}><dt>{t(`sims.count.${k}`)}</dt><dd>{data.counts[k]}</dd></div>)}
            </dl>
          </Section>
          <Section title={t('sims.col.person')}>
            <DataTable
              caption={t('sims.results')}
              rows={data.recipients}
              rowKey={(r) => r.recipientId}
              empty={<EmptyState title={t('sims.empty')} />}
              columns={[
                { key: 'person', header: t('sims.col.person'), render: (r) => r.userName },
                { key: 'outcome', header: t('sims.col.outcome'), render: (r) => <Badge tone={r.outcome === 'reported' ? 'success' : r.outcome === 'clicked' || r.outcome === 'data_entered' ? 'danger' : 'info'}>{t(`sims.outcome.${r.outcome}`)}</Badge> },
                ...(can('incidents.manage') ? [{ key: 'incident', header: t('inc.nav'), render: (r: (typeof data.recipients)[number]) => (r.outcome === 'clicked' || r.outcome === 'data_entered' ? <OpenIncidentButton className="btn--small" source={{ kind: 'simulation', id: r.recipientId }} /> : '—') }] : []),
                { key: 'events', header: t('sims.col.events'), render: (r) => <ul className="sim-events">{r.events.map((ev, i) => <li key={i}><time dateTime={ev.at}>{formatDateTime(ev.at)}</time> {ev.type}{ev.discountedReason ? ` (${ev.discountedReason})` : ''}</li>)}{r.skipReason ? <li>{r.skipReason}</li> : null}</ul> },
              ]}
            />
          </Section>
        </>
      )}
    </Page>
  );
}
