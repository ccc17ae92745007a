/**
 * The member's own training: the list (due and overdue first) and the player. The quiz comes without its
 * answers; the server grades it and answers with the result, the explanations, and the right choices once
 * the module is closed.
 */
import { useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { Link } from 'wouter';
import { trainingEndpoints as e, type AttemptResponse, type AssignmentSummary } from '../../../src/platform/http/schemas/training.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';

type Summary = Static<typeof AssignmentSummary>;
type Result = Static<typeof AttemptResponse>;
type Status = Summary['status'];

const TONE: Record<Status, 'info' | 'warning' | 'success' | 'danger'> = { due: 'info', overdue: 'warning', passed: 'success', failed: 'danger' };
const ORDER: Record<Status, number> = { overdue: 0, due: 1, failed: 2, passed: 3 };

export function StatusBadge({ status }: { status: Status }) {
  return <Badge tone={TONE[status]}>{t(`training.status.${status}`)}</Badge>;
}

export function MyTrainingPage() {
  const { can } = useMe();
  const list = useResource(() => call(e.mine), []);
  const rows = [...(list.data?.items ?? [])].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.dueAt.localeCompare(b.dueAt));
  return (
    <Page title={t('training.title')} subtitle={t('training.subtitle')}
      actions={<>
        <Link href="/training/awareness" className="btn btn--secondary">{t('awareness.me')}</Link>
        <Link href="/training/policy" className="btn btn--secondary">{t('policies.mine.title')}</Link>
        {can('training.read') || can('training.manage') ? <Link href="/training/manage" className="btn btn--secondary">{t('training.manage')}</Link> : null}
      </>}>
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <DataTable caption={t('training.caption')} rows={rows} rowKey={(r) => r.id}
          empty={<EmptyState title={t('training.empty')}>{t('training.emptyBody')}</EmptyState>}
          columns={[
            { key: 'module', header: t('training.col.module'), render: (r) => <Link href={`/training/${r.id}`}>{r.module.title}</Link> },
            { key: 'status', header: t('training.col.status'), render: (r) => <StatusBadge status={r.status} /> },
            { key: 'due', header: t('training.col.due'), render: (r) => formatDateTime(r.dueAt) },
            { key: 'time', header: '', render: (r) => t('training.minutes', { n: r.module.minutes }) },
            { key: 'score', header: t('training.col.score'), numeric: true, render: (r) => (r.bestScore === null ? '—' : `${r.bestScore}%`) },
          ]} />
      ) : null}
    </Page>
  );
}

function ResultView({ result, choices }: { result: Pick<Result, 'score' | 'passed' | 'questions'>; choices: Array<{ text: string; choices: string[] }>; passMark: number }) {
  return (
    <ol className="training-result">
      {result.questions.map((q, i) => (
        <li key={i}>
          <p><strong>{choices[i]?.text}</strong> — {q.correct ? <Badge tone="success">{t('training.result.right')}</Badge> : <Badge tone="warning">{t('training.result.wrong')}</Badge>}</p>
          {q.rightChoices ? <p>{t('training.result.rightChoice')}: {q.rightChoices.map((c) => choices[i]?.choices[c]).join('; ')}</p> : null}
          <p>{q.explanation}</p>
        </li>
      ))}
    </ol>
  );
}

export function PlayerPage({ id }: { id: string }) {
  const a = useResource(() => call(e.assignment, { params: { id } }), [id]);
  const [answers, setAnswers] = useState<Record<number, number[]>>({});
  const [result, setResult] = useState<Result | null>(null);
  const [missing, setMissing] = useState(false);
  const submit = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    const quiz = a.data?.quiz ?? [];
    if (quiz.some((_, i) => !(answers[i]?.length))) {
      setMissing(true);
      return;
    }
    setMissing(false);
    // Graded against the language version shown (decision 0224).
    const r = await call(e.attempt, { params: { id }, body: { answers: quiz.map((_, i) => answers[i] ?? []), ...(a.data?.moduleId ? { moduleId: a.data.moduleId } : {}) } });
    setResult(r);
    a.reload();
  });
  if (a.error) return <Page title={t('training.title')}><ErrorNotice error={a.error} onRetry={a.reload} /></Page>;
  if (!a.data) return <Page title={t('training.title')}><Loading /></Page>;
  const d = a.data;
  const shown = result ?? (d.status === 'passed' || d.status === 'failed' ? d.lastAttempt : null);
  const open = d.status === 'due' || d.status === 'overdue';
  const toggle = (q: number, c: number, multiple: boolean, checked: boolean) =>
    setAnswers((prev) => ({ ...prev, [q]: multiple ? (checked ? [...(prev[q] ?? []), c] : (prev[q] ?? []).filter((x) => x !== c)) : [c] }));
  return (
    <Page title={d.module.title} subtitle={<><StatusBadge status={d.status} /> {t('training.col.due')}: {formatDateTime(d.dueAt)} · {t('training.minutes', { n: d.module.minutes })}</>}
      actions={<Link href="/training">{t('training.back')}</Link>}>
      <Section title={t('training.lesson')}>
        {/* Sanitised on the server: HTML written in a module is escaped, then the rich-text allowlist applies. */}
        <div className="kb-article" lang={d.language} dangerouslySetInnerHTML={{ __html: d.lessonHtml }} />
      </Section>
      <Section title={t('training.quiz')} id="training-quiz">
        {shown ? (
          <div role="status" aria-live="polite">
            <Notice tone={shown.passed ? 'success' : 'warning'} title={shown.passed ? t('training.result.passed', { score: shown.score }) : t('training.result.failed', { score: shown.score, mark: d.module.passMark })} />
            <ResultView result={shown} choices={d.quiz} passMark={d.module.passMark} />
          </div>
        ) : null}
        {d.status === 'passed' && !result ? <p>{t('training.passedAlready')}</p> : null}
        {d.status === 'failed' ? <Notice tone="warning">{t('training.noAttempts')}</Notice> : null}
        {open && result && !result.passed ? (
          <div className="training-actions"><Button variant="primary" onClick={() => { setResult(null); setAnswers({}); }}>{t('training.retry')}</Button></div>
        ) : null}
        {open && !result ? (
          <form className="training-quiz" lang={d.language} onSubmit={(ev) => void submit.run(ev)} noValidate>
            <p>{t('training.quizIntro', { mark: d.module.passMark, left: d.attemptsLeft })}</p>
            {d.quiz.map((q, i) => (
              <fieldset key={i}>
                <legend>{i + 1}. {q.text}</legend>
                {q.multiple ? <p className="kb-muted">{t('training.chooseAll')}</p> : null}
                {q.choices.map((c, j) => (
                  <label key={j}>
                    <input type={q.multiple ? 'checkbox' : 'radio'} name={`q${i}`} value={j} checked={(answers[i] ?? []).includes(j)}
                      onChange={(ev) => toggle(i, j, q.multiple, ev.currentTarget.checked)} />
                    <span>{c}</span>
                  </label>
                ))}
              </fieldset>
            ))}
            {missing ? <Notice tone="warning">{t('training.answerAll')}</Notice> : null}
            <ErrorNotice error={submit.error} />
            <Button type="submit" variant="primary" busy={submit.busy}>{t('training.submit')}</Button>
          </form>
        ) : null}
      </Section>
    </Page>
  );
}
