/**
 * Phishing simulations (decisions 0192, 0197): the campaign list and builder with a
 * template preview (simulations.manage), the organisation's own templates (versions
 * per language, red flags marked on the body) and settings (scanner ranges, banner,
 * language), and one campaign's results — counts and each recipient's events,
 * discounted ones with their reason (simulations.read).
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { mailboxEndpoints } from '../../../src/platform/http/schemas/mailboxes.js';
import { DELIVERY_PATHS, LANDING_FORMS, SIMULATION_BANNERS, simulationEndpoints as e } from '../../../src/platform/http/schemas/simulations.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { OpenIncidentButton } from './Incidents.js';
import { SecurityNav } from './SecurityNav.js';

type Banner = (typeof SIMULATION_BANNERS)[number];
type LandingFormKind = (typeof LANDING_FORMS)[number];
type FlagPlace = 'subject' | 'from' | 'body';
interface AttachmentDraft { filename: string; title: string; text: string; button: string }
interface VersionDraft { language: string; fromName: string; fromLocalPart: string; subject: string; body: string; redFlags: Array<{ in: FlagPlace; quote: string; explanation: string }>; attachment?: AttachmentDraft | null | undefined }
const NEW_ATTACHMENT: AttachmentDraft = { filename: 'Invoice_{{document.number}}', title: 'INVOICE {{document.number}}', text: 'Bill to: {{organisation.name}}\nDue date: {{document.due}}\n\nAmount due: {{document.amount}}', button: 'View invoice' };

/** The attachment as the preview shows it: its file name, heading and the page's lines (decision 0223). */
function AttachmentShown({ a }: { a: { filename: string; title: string; lines: string[]; button: string } | null | undefined }) {
  if (!a) return null;
  return (
    <div className="sim-preview__attachment" aria-label={t('sims.preview.attachment')}>
      <p><strong>{t('sims.preview.attachment')}:</strong> {a.filename}</p>
      <pre className="sim-preview__body"><strong>{a.title}</strong>{'\n\n'}{a.lines.join('\n')}</pre>
      <p>{t('sims.preview.attachmentButton', { button: a.button })}</p>
    </div>
  );
}
interface TemplateDraft { name: string; scenario: string; difficulty: number; trainingTopic: string; defaultLanguage: string; versions: VersionDraft[] }

/** A discounted event's reason in words ("scanner_range:203.0.113.0/24" names the range). */
export function discountReason(reason: string): string {
  if (reason.startsWith('scanner_range:')) return t('sims.discount.scanner_range', { range: reason.slice('scanner_range:'.length) });
  const known = ['soon_after_delivery_no_script', 'after_campaign_end', 'reported_by_someone_else', 'opened_by_someone_else', 'api_token', 'deactivated'] as const;
  return (known as readonly string[]).includes(reason) ? t(`sims.discount.${reason as (typeof known)[number]}`) : reason;
}

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
      <AttachmentShown a={p.attachment} />
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
  const [banner, setBanner] = useState<Banner | ''>('');
  const [landingForm, setLandingForm] = useState<LandingFormKind>('none');
  const [delivery, setDelivery] = useState<(typeof DELIVERY_PATHS)[number]>('queue');
  const [windowMinutes, setWindow] = useState('240');
  const [durationDays, setDuration] = useState('7');
  const [roles, setRoles] = useState('agent');
  const chosenTemplate = templateId || templates.data?.items[0]?.id || '';
  const chosenMailbox = mailboxId || mailboxes.data?.mailboxes[0]?.id || '';
  const submit = useSubmit(() => call(e.create, { body: {
    name: name.trim(), templateId: chosenTemplate, mailboxId: chosenMailbox, senderDomain: senderDomain.trim(), ...(banner ? { banner } : {}), landingForm, delivery,
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
        <SelectField label={t('sims.field.template')} value={chosenTemplate} onChange={(ev) => setTemplateId(ev.target.value)} options={templates.data.items.map((tp) => ({ value: tp.id, label: `${tp.name} (${tp.difficulty}/3)${tp.custom ? ` — ${t('sims.tpl.own')}` : ''}` }))} />
        <SelectField label={t('sims.field.mailbox')} value={chosenMailbox} onChange={(ev) => setMailboxId(ev.target.value)} options={mailboxes.data.mailboxes.map((m) => ({ value: m.id, label: m.address }))} />
        <TextField label={t('sims.field.senderDomain')} hint={t('sims.field.senderDomainHint')} value={senderDomain} onChange={(ev) => setSenderDomain(ev.target.value)} required error={submit.fieldErrors.senderDomain} />
        <SelectField label={t('sims.field.banner')} value={banner} onChange={(ev) => setBanner(ev.target.value === 'none' ? 'none' : ev.target.value === 'as_real' ? 'as_real' : '')} options={[{ value: '', label: t('sims.banner.org') }, ...SIMULATION_BANNERS.map((b) => ({ value: b, label: t(`sims.banner.${b}`) }))]} />
        <SelectField label={t('sims.field.delivery')} value={delivery} onChange={(ev) => setDelivery(ev.target.value === 'mailbox' ? 'mailbox' : 'queue')} options={DELIVERY_PATHS.map((d) => ({ value: d, label: t(`sims.delivery.${d}`) }))} />
        <SelectField label={t('sims.field.landingForm')} hint={t('sims.field.landingFormHint')} value={landingForm} onChange={(ev) => setLandingForm(LANDING_FORMS.find((f) => f === ev.target.value) ?? 'none')} options={LANDING_FORMS.map((f) => ({ value: f, label: t(`sims.form.${f}`) }))} />
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

function SettingsForm() {
  const current = useResource(() => call(e.settings), []);
  if (!current.data) return <><Loading /><ErrorNotice error={current.error} /></>;
  return <SettingsFields initial={current.data} />;
}

function SettingsFields({ initial }: { initial: { scannerRanges: string[]; banner: Banner; language: string } }) {
  const [ranges, setRanges] = useState(initial.scannerRanges.join('\n'));
  const [banner, setBanner] = useState<Banner>(initial.banner);
  const [language, setLanguage] = useState(initial.language);
  const [saved, setSaved] = useState(false);
  const save = useSubmit(() => call(e.saveSettings, { body: { scannerRanges: ranges.split(/[\n,]/).map((r) => r.trim()).filter(Boolean), banner, language: language.trim() } }));
  return (
    <form className="form" noValidate onSubmit={(ev) => { ev.preventDefault(); setSaved(false); void save.run().then((r) => { if (r) { setRanges(r.scannerRanges.join('\n')); setSaved(true); } }); }}>
      <TextAreaField label={t('sims.settings.ranges')} hint={t('sims.settings.rangesHint')} rows={3} value={ranges} onChange={(ev) => setRanges(ev.target.value)} error={save.fieldErrors.scannerRanges} />
      <SelectField label={t('sims.settings.banner')} value={banner} onChange={(ev) => setBanner(ev.target.value === 'none' ? 'none' : 'as_real')} options={SIMULATION_BANNERS.map((b) => ({ value: b, label: t(`sims.banner.${b}`) }))} />
      <TextField label={t('sims.settings.language')} hint={t('sims.settings.languageHint')} value={language} onChange={(ev) => setLanguage(ev.target.value)} error={save.fieldErrors.language} />
      <ErrorNotice error={save.error} />
      {saved ? <p role="status">{t('sims.settings.saved')}</p> : null}
      <div className="form__actions"><Button type="submit" busy={save.busy}>{t('sims.settings.save')}</Button></div>
    </form>
  );
}

const EMPTY_VERSION: VersionDraft = { language: 'en', fromName: '{{customer.name}}', fromLocalPart: 'info', subject: '', body: 'Hello {{agent.name}},\n\n{{link}}\n\n{{customer.name}}', redFlags: [] };
const EMPTY_TEMPLATE: TemplateDraft = { name: '', scenario: '', difficulty: 2, trainingTopic: 'phishing-in-the-queue', defaultLanguage: 'en', versions: [EMPTY_VERSION] };

function TemplateEditor({ id, initial, onDone }: { id: string | null; initial: TemplateDraft; onDone: () => void }) {
  const [draft, setDraft] = useState<TemplateDraft>(initial);
  const [at, setAt] = useState(0);
  const [selection, setSelection] = useState('');
  const [newLanguage, setNewLanguage] = useState('');
  const v = draft.versions[at] ?? draft.versions[0]!;
  const setVersion = (patch: Partial<VersionDraft>) => setDraft((d) => ({ ...d, versions: d.versions.map((x, i) => (i === at ? { ...x, ...patch } : x)) }));
  const preview = useSubmit(() => call(e.draftPreview, { body: { template: draft, language: v.language } }));
  const [shown, setShown] = useState<Awaited<ReturnType<typeof preview.run>>>(undefined);
  const save = useSubmit(() => (id ? call(e.updateTemplate, { params: { id }, body: draft }) : call(e.createTemplate, { body: draft })));
  return (
    <div className="sim-builder">
      <form className="form" noValidate onSubmit={(ev) => { ev.preventDefault(); void save.run().then((r) => { if (r) onDone(); }); }}>
        <TextField label={t('sims.tpl.name')} value={draft.name} onChange={(ev) => setDraft({ ...draft, name: ev.target.value })} required />
        <TextField label={t('sims.tpl.scenario')} value={draft.scenario} onChange={(ev) => setDraft({ ...draft, scenario: ev.target.value })} optional />
        <SelectField label={t('sims.tpl.difficulty')} value={String(draft.difficulty)} onChange={(ev) => setDraft({ ...draft, difficulty: Number(ev.target.value) })} options={[1, 2, 3].map((n) => ({ value: String(n), label: t('sims.difficulty', { level: n }) }))} />
        <TextField label={t('sims.tpl.training')} hint={t('sims.tpl.trainingHint')} value={draft.trainingTopic} onChange={(ev) => setDraft({ ...draft, trainingTopic: ev.target.value })} required />
        <SelectField label={t('sims.tpl.version')} value={String(at)} onChange={(ev) => setAt(Number(ev.target.value))} options={draft.versions.map((x, i) => ({ value: String(i), label: x.language === draft.defaultLanguage ? `${x.language} (${t('sims.tpl.default')})` : x.language }))} />
        <div className="form__actions">
          <TextField label={t('sims.tpl.addLanguage')} value={newLanguage} onChange={(ev) => setNewLanguage(ev.target.value)} optional />
          <Button onClick={() => { const lang = newLanguage.trim(); if (!lang || draft.versions.some((x) => x.language === lang)) return; setDraft({ ...draft, versions: [...draft.versions, { ...v, language: lang }] }); setAt(draft.versions.length); setNewLanguage(''); }}>{t('sims.tpl.addVersion')}</Button>
          {draft.versions.length > 1 ? <Button onClick={() => { setDraft({ ...draft, defaultLanguage: v.language }); }}>{t('sims.tpl.makeDefault')}</Button> : null}
        </div>
        <TextField label={t('sims.tpl.fromName')} value={v.fromName} onChange={(ev) => setVersion({ fromName: ev.target.value })} required />
        <TextField label={t('sims.tpl.fromLocalPart')} value={v.fromLocalPart} onChange={(ev) => setVersion({ fromLocalPart: ev.target.value })} required />
        <TextField label={t('sims.tpl.subject')} value={v.subject} onChange={(ev) => setVersion({ subject: ev.target.value })} required />
        <TextAreaField label={t('sims.tpl.body')} hint={v.attachment ? `${t('sims.tpl.bodyHint')} ${t('sims.tpl.bodyHintAttachment')}` : t('sims.tpl.bodyHint')} rows={10} value={v.body} onChange={(ev) => setVersion({ body: ev.target.value })}
          onSelect={(ev) => { const el = ev.currentTarget; setSelection(el.value.slice(el.selectionStart, el.selectionEnd)); }} required />
        <div className="form__actions">
          <Button disabled={!selection.trim()} onClick={() => { setVersion({ redFlags: [...v.redFlags, { in: 'body', quote: selection, explanation: '' }] }); setSelection(''); }}>{t('sims.tpl.markFlag')}</Button>
        </div>
        <CheckboxField label={t('sims.tpl.attach')} hint={t('sims.tpl.attachHint')} checked={Boolean(v.attachment)} onChange={(ev) => setVersion({ attachment: ev.target.checked ? { ...NEW_ATTACHMENT } : null })} />
        {v.attachment ? (
          <fieldset>
            <legend>{t('sims.preview.attachment')}</legend>
            <TextField label={t('sims.tpl.att.filename')} hint={t('sims.tpl.att.filenameHint')} maxLength={100} value={v.attachment.filename} onChange={(ev) => setVersion({ attachment: { ...v.attachment!, filename: ev.target.value } })} required />
            <TextField label={t('sims.tpl.att.title')} maxLength={120} value={v.attachment.title} onChange={(ev) => setVersion({ attachment: { ...v.attachment!, title: ev.target.value } })} required />
            <TextAreaField label={t('sims.tpl.att.text')} hint={t('sims.tpl.att.textHint')} rows={6} maxLength={2000} value={v.attachment.text} onChange={(ev) => setVersion({ attachment: { ...v.attachment!, text: ev.target.value } })} />
            <TextField label={t('sims.tpl.att.button')} maxLength={40} value={v.attachment.button} onChange={(ev) => setVersion({ attachment: { ...v.attachment!, button: ev.target.value } })} required />
          </fieldset>
        ) : null}
        <fieldset>
          <legend>{t('sims.preview.flags')}</legend>
          {v.redFlags.length === 0 ? <p>{t('sims.tpl.noFlags')}</p> : null}
          <ol>
            {v.redFlags.map((f, i) => (
              <li key={i}>
                <mark>{f.quote}</mark> ({f.in})
                <TextField label={t('sims.tpl.explanation')} value={f.explanation} onChange={(ev) => setVersion({ redFlags: v.redFlags.map((x, j) => (j === i ? { ...x, explanation: ev.target.value } : x)) })} required />
                <Button variant="danger" onClick={() => setVersion({ redFlags: v.redFlags.filter((_, j) => j !== i) })}>{t('sims.tpl.removeFlag')}</Button>
              </li>
            ))}
          </ol>
        </fieldset>
        <ErrorNotice error={save.error} />
        <div className="form__actions">
          <Button onClick={() => void preview.run().then(setShown)} busy={preview.busy}>{t('sims.tpl.preview')}</Button>
          <Button type="submit" variant="primary" busy={save.busy}>{t('sims.tpl.save')}</Button>
          <Button onClick={onDone}>{t('sims.tpl.cancel')}</Button>
        </div>
      </form>
      <div className="sim-preview" aria-label={t('sims.preview')}>
        <ErrorNotice error={preview.error} />
        {shown ? (
          <>
            {shown.problems.length ? <ul className="sim-problems">{shown.problems.map((p: string, i: number) => <li key={i}>{p}</li>)}</ul> : null}
            <p><strong>{t('sims.preview.from')}:</strong> {shown.fromName} &lt;{shown.fromAddress}&gt;</p>
            <p><strong>{t('sims.preview.subject')}:</strong> {shown.subject}</p>
            <pre className="sim-preview__body">{shown.text}</pre>
            <AttachmentShown a={shown.attachment} />
          </>
        ) : <p>{t('sims.tpl.previewHint')}</p>}
      </div>
    </div>
  );
}

function Templates() {
  const own = useResource(() => call(e.orgTemplates), []);
  const all = useResource(() => call(e.templates), []);
  const [editing, setEditing] = useState<{ id: string | null; draft: TemplateDraft } | null>(null);
  const copy = useSubmit((id: string) => call(e.copy, { params: { id } }));
  const remove = useSubmit((id: string) => call(e.deleteTemplate, { params: { id } }));
  const reload = () => { own.reload(); all.reload(); };
  if (editing) return <TemplateEditor id={editing.id} initial={editing.draft} onDone={() => { setEditing(null); reload(); }} />;
  return (
    <>
      <div className="form__actions"><Button onClick={() => setEditing({ id: null, draft: EMPTY_TEMPLATE })}>{t('sims.tpl.new')}</Button></div>
      <ErrorNotice error={own.error ?? all.error ?? copy.error ?? remove.error} />
      {own.data && all.data ? (
        <DataTable
          caption={t('sims.tpl.title')}
          rows={all.data.items}
          rowKey={(x) => x.id}
          empty={<EmptyState title={t('sims.tpl.empty')} />}
          columns={[
            { key: 'name', header: t('sims.tpl.name'), render: (x) => x.name },
            { key: 'kind', header: t('sims.tpl.kind'), render: (x) => <Badge tone={x.custom ? 'success' : 'info'}>{x.custom ? t('sims.tpl.own') : t('sims.tpl.shipped')}</Badge> },
            { key: 'languages', header: t('sims.tpl.languages'), render: (x) => x.languages.join(', ') },
            { key: 'actions', header: t('sims.tpl.actions'), render: (x) => {
              const mine = own.data?.items.find((o) => o.id === x.id);
              return mine ? <>
                <Button onClick={() => setEditing({ id: mine.id, draft: { name: mine.name, scenario: mine.scenario, difficulty: mine.difficulty, trainingTopic: mine.trainingTopic, defaultLanguage: mine.defaultLanguage, versions: mine.versions } })}>{t('sims.tpl.edit', { name: x.name })}</Button>{' '}
                <Button variant="danger" onClick={() => void remove.run(mine.id).then(reload)}>{t('sims.tpl.delete', { name: x.name })}</Button>
              </> : <Button onClick={() => void copy.run(x.id).then(reload)}>{t('sims.tpl.copy', { name: x.name })}</Button>;
            } },
          ]}
        />
      ) : <Loading />}
    </>
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
              { key: 'template', header: t('sims.col.template'), render: (c) => c.templateName },
              { key: 'status', header: t('sims.col.status'), render: (c) => <Badge tone={c.status === 'ended' ? 'info' : 'success'}>{t(`sims.status.${c.status}`)}</Badge> },
              { key: 'starts', header: t('sims.col.starts'), render: (c) => <time dateTime={c.startsAt}>{formatDateTime(c.startsAt)}</time> },
            ]}
          />
        ) : null}
      </Section>
      {can('simulations.manage') ? <Section title={t('sims.tpl.title')}><Templates /></Section> : null}
      {can('simulations.manage') ? <Section title={t('sims.settings.title')}><SettingsForm /></Section> : null}
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
              {(['delivered', 'opened', 'clicked', 'attachmentOpened', 'dataEntered', 'reported', 'noAction', 'discounted'] as const).map((k) => <div key={k}><dt>{t(`sims.count.${k}`)}</dt><dd>{data.counts[k]}</dd></div>)}
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
                { key: 'outcome', header: t('sims.col.outcome'), render: (r) => <Badge tone={r.outcome === 'reported' ? 'success' : r.outcome === 'clicked' || r.outcome === 'attachment_opened' || r.outcome === 'data_entered' ? 'danger' : 'info'}>{t(`sims.outcome.${r.outcome}`)}</Badge> },
                ...(can('incidents.manage') ? [{ key: 'incident', header: t('inc.nav'), render: (r: (typeof data.recipients)[number]) => (r.outcome === 'clicked' || r.outcome === 'attachment_opened' || r.outcome === 'data_entered' ? <OpenIncidentButton className="btn--small" source={{ kind: 'simulation', id: r.recipientId }} /> : '—') }] : []),
                { key: 'events', header: t('sims.col.events'), render: (r) => <ul className="sim-events">{r.events.map((ev, i) => <li key={i}><time dateTime={ev.at}>{formatDateTime(ev.at)}</time> {t(`sims.event.${ev.type}`)}{ev.discountedReason ? ` (${t('sims.discounted')}: ${discountReason(ev.discountedReason)})` : ''}</li>)}{r.skipReason ? <li>{r.skipReason}</li> : null}</ul> },
              ]}
            />
          </Section>
        </>
      )}
    </Page>
  );
}
