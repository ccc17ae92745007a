/**
 * One incident (decision 0195): facts and the breach clock, status moves with
 * a reason, the evidence with links, the timeline and a note, containment
 * buttons (each confirmed in a dialog with a reason), the breach record form
 * and its export, hand-off to IT and the evidence bundle download.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import type { Static } from 'typebox';
import { CONTAINMENT_ACTIONS, EVIDENCE_KINDS, SUBJECT_DECISIONS, type SubjectDecision, incidentEndpoints as e, type IncidentDetail as Detail, type IncidentStatus } from '../../../src/platform/http/schemas/incidents.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { FieldRow, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { BreachClock } from './BreachClock.js';
import { severityBadge, statusBadge } from './Incidents.js';
import { SecurityNav } from './SecurityNav.js';

type Incident = Static<typeof Detail>;
type Action = (typeof CONTAINMENT_ACTIONS)[number];
type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

function TransitionDialog({ incident, to, onDone, onClose }: { incident: Incident; to: IncidentStatus; onDone: (i: Incident) => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const submit = useSubmit(() => call(e.transition, { params: { id: incident.id }, body: { to, reason: reason.trim() } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await submit.run();
    if (done) onDone(done);
  };
  return (
    <Dialog open title={t('inc.transition.to', { status: t(`inc.status.${to}`) })} onClose={onClose}>
      <form className="form" onSubmit={(ev) => void onSubmit(ev)} noValidate>
        <TextAreaField label={t('inc.transition.reason')} hint={t('inc.transition.reasonHint')} value={reason} onChange={(ev) => setReason(ev.target.value)} required rows={3} error={submit.fieldErrors.reason} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('inc.transition.to', { status: t(`inc.status.${to}`) })}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

function ContainDialog({ incident, action, onDone, onClose }: { incident: Incident; action: Action; onDone: (message: string) => void; onClose: () => void }) {
  const kind = action === 'require_verification' ? 'customer' : 'user';
  const targets = incident.evidence.filter((ev) => ev.kind === kind);
  const [targetId, setTarget] = useState(targets[0]?.ref ?? '');
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const submit = useSubmit(() => call(e.contain, { params: { id: incident.id }, body: { action, reason: reason.trim(), ...(action === 'block_sender' ? { value: value.trim() } : { targetId }) } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (await submit.run()) onDone(t('inc.contain.done', { action: t(`inc.contain.action.${action}`) }));
  };
  return (
    <Dialog open title={t('inc.contain.confirm', { action: t(`inc.contain.action.${action}`) })} onClose={onClose}>
      <form className="form" onSubmit={(ev) => void onSubmit(ev)} noValidate>
        <p>{t(`inc.contain.explain.${action}`)}</p>
        {action === 'block_sender' ? (
          <TextField label={t('inc.contain.value')} value={value} onChange={(ev) => setValue(ev.target.value)} required error={submit.fieldErrors.value} />
        ) : (
          <SelectField label={t(kind === 'customer' ? 'inc.contain.customer' : 'inc.contain.target')} value={targetId} onChange={(ev) => setTarget(ev.target.value)} options={targets.map((ev) => ({ value: ev.ref, label: `${ev.label ?? ev.ref} — ${ev.ref.slice(0, 8)}` }))} />
        )}
        <TextAreaField label={t('inc.contain.reason')} value={reason} onChange={(ev) => setReason(ev.target.value)} required rows={2} error={submit.fieldErrors.reason} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="danger" busy={submit.busy}>{t(`inc.contain.action.${action}`)}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

const dateInput = (iso: string | null | undefined) => (iso ? iso.slice(0, 16) : '');
const fromInput = (v: string) => (v ? new Date(v).toISOString() : null);

function BreachForm({ incident, onSaved }: { incident: Incident; onSaved: (i: Incident) => void }) {
  const b = incident.breach;
  const [rec, setRec] = useState(b?.record ?? { nature: '', subjectCategories: '', approxSubjects: null, recordCategories: '', approxRecords: null, consequences: '', measures: '', dpoContact: '', notifySubjectsReason: '' });
  const [notify, setNotify] = useState<SubjectDecision>(b?.notifySubjects ?? 'undecided');
  const [authorityAt, setAuthorityAt] = useState(dateInput(b?.authorityNotifiedAt));
  const [subjectsAt, setSubjectsAt] = useState(dateInput(b?.subjectsNotifiedAt));
  const [saved, setSaved] = useState(false);
  const submit = useSubmit(() => call(e.breach, { params: { id: incident.id }, body: {
    record: rec, notifySubjects: notify, authorityNotifiedAt: fromInput(authorityAt), subjectsNotifiedAt: fromInput(subjectsAt),
  } }));
  const text = (key: 'nature' | 'subjectCategories' | 'recordCategories' | 'consequences' | 'measures' | 'dpoContact' | 'notifySubjectsReason', rows = 2) => (
    <TextAreaField label={t(`inc.breach.${key}`)} value={rec[key]} onChange={(ev) => setRec({ ...rec, [key]: ev.target.value })} rows={rows} error={submit.fieldErrors[`record.${key}`]} />
  );
  const count = (key: 'approxSubjects' | 'approxRecords') => (
    <TextField label={t(`inc.breach.${key}`)} type="number" min={0} value={rec[key] ?? ''} onChange={(ev) => setRec({ ...rec, [key]: ev.target.value === '' ? null : Number(ev.target.value) })} />
  );
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const done = await submit.run();
    if (done) {
      setSaved(true);
      onSaved(done);
    }
  };
  return (
    <form className="form" onSubmit={(ev) => void onSubmit(ev)} noValidate aria-label={t('inc.breach')}>
      {b ? <p>{t('inc.breach.computed', { subjects: b.computed.subjects, records: b.computed.records })}</p> : null}
      {text('nature', 3)}
      <FieldRow>{text('subjectCategories')}{count('approxSubjects')}</FieldRow>
      <FieldRow>{text('recordCategories')}{count('approxRecords')}</FieldRow>
      {text('consequences', 3)}
      {text('measures', 3)}
      {text('dpoContact', 1)}
      <SelectField label={t('inc.breach.notifySubjects')} value={notify} onChange={(ev) => setNotify(ev.target.value as SubjectDecision)} options={SUBJECT_DECISIONS.map((d) => ({ value: d, label: t(`inc.breach.notifySubjects.${d}`) }))} />
      {text('notifySubjectsReason')}
      <FieldRow>
        <TextField label={t('inc.breach.authorityNotifiedAt')} type="datetime-local" value={authorityAt} onChange={(ev) => setAuthorityAt(ev.target.value)} />
        <TextField label={t('inc.breach.subjectsNotifiedAt')} type="datetime-local" value={subjectsAt} onChange={(ev) => setSubjectsAt(ev.target.value)} />
      </FieldRow>
      <ErrorNotice error={submit.error} />
      {saved ? <Notice tone="success" title={t('inc.breach.saved')} /> : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('inc.breach.save')}</Button></div>
    </form>
  );
}

export function IncidentDetail({ id }: { id: string }) {
  const { can } = useMe();
  const manage = can('incidents.manage');
  const res = useResource(() => call(e.read, { params: { id } }), [id]);
  const [override, setOverride] = useState<Incident | null>(null);
  const inc = override && override.id === id && override.updatedAt >= (res.data?.updatedAt ?? '') ? override : res.data;
  const [to, setTo] = useState<IncidentStatus | null>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [evKind, setEvKind] = useState<EvidenceKind>('ticket');
  const [evRef, setEvRef] = useState('');
  const addNote = useSubmit(() => call(e.note, { params: { id }, body: { text: note.trim() } }));
  const addEvidence = useSubmit(() => call(e.addEvidence, { params: { id }, body: { kind: evKind, ref: evRef.trim() } }));
  const mark = useSubmit(() => call(e.breach, { params: { id }, body: {} }));
  const handoff = useSubmit(() => call(e.handoff, { params: { id } }));
  const update = (i: Incident | undefined) => {
    if (i) setOverride(i);
  };
  return (
    <Page title={inc ? `${inc.number}: ${inc.title}` : t('inc.title')} subtitle={<Link href="/incidents">{t('inc.back')}</Link>} wide
      actions={inc && manage ? (
        <span className="sec-actions">
          {inc.transitions.map((s) => <Button key={s} onClick={() => setTo(s as IncidentStatus)}>{t('inc.transition.to', { status: t(`inc.status.${s as IncidentStatus}`) })}</Button>)}
          <Button busy={handoff.busy} onClick={() => void handoff.run().then((h) => { if (h) { setDone(t('inc.handoff.done', { to: h.emailedTo ? ` (${h.emailedTo})` : '' })); res.reload(); } })}>{t('inc.handoff')}</Button>
        </span>
      ) : undefined}>
      <SecurityNav />
      {done ? <Notice tone="success" title={done} /> : null}
      <ErrorNotice error={res.error ?? handoff.error} onRetry={res.reload} />
      {!inc ? <Loading /> : (
        <>
          <dl className="pairs pairs--inline">
            <dt>{t('inc.col.type')}</dt><dd>{t(`inc.typeName.${inc.type}_type`)}</dd>
            <dt>{t('inc.col.severity')}</dt><dd>{severityBadge(inc.severity)}</dd>
            <dt>{t('inc.col.status')}</dt><dd>{statusBadge(inc.status)}</dd>
            <dt>{t('inc.detail.owner')}</dt><dd>{inc.ownerName ?? '—'}</dd>
            <dt>{t('inc.detail.opened')}</dt><dd><time dateTime={inc.createdAt}>{formatDateTime(inc.createdAt)}</time></dd>
            <dt>{t('inc.detail.handedOff')}</dt><dd>{inc.handedOffAt ? <time dateTime={inc.handedOffAt}>{formatDateTime(inc.handedOffAt)}</time> : t('inc.detail.notYet')}</dd>
            <dt>{t('inc.col.breach')}</dt><dd><BreachClock deadlineAt={inc.breachDeadlineAt} notifiedAt={inc.authorityNotifiedAt} /></dd>
          </dl>
          <p>
            <a className="btn btn--secondary" href={`/api/incidents/${inc.id}/bundle`} download>{t('inc.bundle')}</a>{' '}
            <span className="field__hint">{t('inc.bundle.hint')}</span>
          </p>

          <Section title={t('inc.evidence')} id="evidence">
            <DataTable
              caption={t('inc.evidence')}
              rows={inc.evidence}
              rowKey={(ev) => ev.id}
              empty={<EmptyState title={t('inc.evidence.empty')} />}
              columns={[
                { key: 'kind', header: t('inc.evidence.kind'), render: (ev) => t(`inc.evidence.kind.${ev.kind as EvidenceKind}`) },
                { key: 'object', header: t('inc.evidence.object'), render: (ev) => (ev.href ? <Link href={ev.href}>{ev.label ?? ev.ref}</Link> : (ev.label ?? t('inc.evidence.gone'))) },
                { key: 'id', header: 'Id', render: (ev) => <code className="sec-id">{ev.ref}</code> },
              ]}
            />
            {manage ? (
              <form className="form" onSubmit={(ev) => { ev.preventDefault(); void addEvidence.run().then((i) => { if (i) { update(i); setEvRef(''); } }); }} noValidate>
                <FieldRow>
                  <SelectField label={t('inc.evidence.kind')} value={evKind} onChange={(ev) => setEvKind(ev.target.value as EvidenceKind)} options={EVIDENCE_KINDS.map((k) => ({ value: k, label: t(`inc.evidence.kind.${k}`) }))} />
                  <TextField label={t('inc.evidence.ref')} value={evRef} onChange={(ev) => setEvRef(ev.target.value)} error={addEvidence.fieldErrors.ref} />
                </FieldRow>
                <ErrorNotice error={addEvidence.error} />
                <div className="form__actions"><Button type="submit" busy={addEvidence.busy}>{t('inc.evidence.add')}</Button></div>
              </form>
            ) : null}
          </Section>

          {manage ? (
            <Section title={t('inc.contain')} id="containment">
              <p className="field__hint">{t('inc.contain.intro')}</p>
              <span className="sec-actions">
                {CONTAINMENT_ACTIONS.map((a) => <Button key={a} variant="danger" onClick={() => setAction(a)}>{t(`inc.contain.action.${a}`)}</Button>)}
              </span>
            </Section>
          ) : null}

          <Section title={t('inc.timeline')} id="timeline">
            <ol className="inc-timeline">
              {inc.timeline.map((item) => (
                <li key={item.id}>
                  <time dateTime={item.at}>{formatDateTime(item.at)}</time> <strong>{t(`inc.timeline.${item.kind as 'note'}`)}</strong>
                  {item.actorName ? <> — {item.actorName}</> : null}
                  {item.detail ? <code className="inc-detail">{Object.entries(item.detail).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('; ')}</code> : null}
                  {item.text ? <p className="inc-text">{item.text}</p> : null}
                </li>
              ))}
            </ol>
            {manage ? (
              <form className="form" onSubmit={(ev) => { ev.preventDefault(); void addNote.run().then((i) => { if (i) { update(i); setNote(''); } }); }} noValidate>
                <TextAreaField label={t('inc.note.field')} value={note} onChange={(ev) => setNote(ev.target.value)} rows={2} error={addNote.fieldErrors.text} />
                <ErrorNotice error={addNote.error} />
                <div className="form__actions"><Button type="submit" busy={addNote.busy}>{t('inc.note.add')}</Button></div>
              </form>
            ) : null}
          </Section>

          <Section title={t('inc.breach')} id="breach">
            {inc.breach ? (
              <>
                <dl className="pairs pairs--inline">
                  <dt>{t('inc.breach.awareAt')}</dt><dd><time dateTime={inc.breach.awareAt}>{formatDateTime(inc.breach.awareAt)}</time></dd>
                  <dt>{t('inc.breach.deadline')}</dt><dd><time dateTime={inc.breach.deadlineAt}>{formatDateTime(inc.breach.deadlineAt)}</time> <BreachClock deadlineAt={inc.breach.deadlineAt} notifiedAt={inc.breach.authorityNotifiedAt} /></dd>
                </dl>
                {inc.breach.overdue ? <Notice tone="danger" title={t('inc.breach.overdue')} /> : null}
                <p>
                  {t('inc.breach.export')}:{' '}
                  <a href={`/api/incidents/${inc.id}/breach-record?format=json`} download>{t('inc.breach.exportJson')}</a>{' · '}
                  <a href={`/api/incidents/${inc.id}/breach-record?format=markdown`} download>{t('inc.breach.exportMarkdown')}</a>{' · '}
                  <a href={`/api/incidents/${inc.id}/breach-record?format=html`} download>{t('inc.breach.exportHtml')}</a>
                </p>
                {manage ? <BreachForm key={inc.breach.awareAt} incident={inc} onSaved={update} /> : null}
              </>
            ) : manage ? (
              <>
                <p>{t('inc.breach.markExplain')}</p>
                <ErrorNotice error={mark.error} />
                <Button variant="danger" busy={mark.busy} onClick={() => void mark.run().then(update)}>{t('inc.breach.mark')}</Button>
              </>
            ) : <p>—</p>}
          </Section>
          {to ? <TransitionDialog incident={inc} to={to} onClose={() => setTo(null)} onDone={(i) => { setTo(null); update(i); }} /> : null}
          {action ? <ContainDialog incident={inc} action={action} onClose={() => setAction(null)} onDone={(m) => { setAction(null); setDone(m); res.reload(); }} /> : null}
        </>
      )}
    </Page>
  );
}
