/**
 * What Trustdesk learned from this organisation's labels (decision 0174): how many messages people
 * marked as phishing and as legitimate, whether the model adds to verdicts yet, labels refused by
 * the daily cap, an unreadable model — and, for administrators, the reset (confirmed, with a reason).
 */
import { useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { phishingLearningEndpoints, type PhishingLearningStatus } from '../../../src/platform/http/schemas/phishing-learning.js';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';

type Status = Static<typeof PhishingLearningStatus>;

function ResetDialog({ onDone, onClose }: { onDone: () => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = useSubmit(() => call(phishingLearningEndpoints.reset, { body: { reason: reason.trim() } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(phishingLearningEndpoints.reset.body, { reason: reason.trim() });
    setErrors(found);
    if (Object.keys(found).length) return;
    if (await submit.run()) onDone();
  };
  return (
    <Dialog open title={t('security.learning.resetTitle')} onClose={onClose}>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <p>{t('security.learning.resetExplain')}</p>
        <TextAreaField label={t('security.learning.field.reason')} hint={t('security.learning.field.reasonHint')} value={reason} onChange={(e) => setReason(e.target.value)} error={errors.reason ?? submit.fieldErrors.reason} required rows={3} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="danger" busy={submit.busy}>{t('security.learning.resetConfirm')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

/** One plain sentence on what the model does with mail now. */
function summary(s: Status): string {
  if (!s.readable) return t('security.learning.state.unreadable');
  if (s.labels.phish + s.labels.ham === 0) return t('security.learning.state.empty');
  if (!s.active) return t('security.learning.state.learning');
  if (!s.balanced) return t('security.learning.state.unbalanced');
  return t('security.learning.state.active');
}

export function LearnedModelSection() {
  const status = useResource(() => call(phishingLearningEndpoints.status, {}), []);
  const [resetting, setResetting] = useState(false);
  const s = status.data;
  return (
    <Section title={t('security.learning.title')} id="learning">
      {status.loading && !s ? <Loading /> : null}
      <ErrorNotice error={status.error} onRetry={status.reload} />
      {s ? (
        <>
          {s.readable ? <p>{summary(s)}</p> : <Notice tone="danger" title={t('security.learning.unreadableTitle')}>{summary(s)}</Notice>}
          <dl className="pairs">
            <dt>{t('security.learning.phish')}</dt>
            <dd>{t('security.learning.count', { labels: s.labels.phish, people: s.labellers.phish })}</dd>
            <dt>{t('security.learning.ham')}</dt>
            <dd>{t('security.learning.count', { labels: s.labels.ham, people: s.labellers.ham })}</dd>
            <dt>{t('security.learning.refused')}</dt>
            <dd>{t('security.learning.refusedCount', { today: s.refused.today, total: s.refused.total, cap: s.dailyCap })}</dd>
            <dt>{t('security.learning.updated')}</dt>
            <dd>{s.updatedAt ? <time dateTime={s.updatedAt}>{formatDateTime(s.updatedAt)}</time> : t('security.learning.never')}</dd>
            {s.resetAt ? (
              <>
                <dt>{t('security.learning.resetAt')}</dt>
                <dd><time dateTime={s.resetAt}>{formatDateTime(s.resetAt)}</time></dd>
              </>
            ) : null}
          </dl>
          <p className="field__hint">{t('security.learning.how')}</p>
          {s.abilities.reset ? <Button variant="danger" onClick={() => setResetting(true)}>{t('security.learning.reset')}</Button> : null}
        </>
      ) : null}
      {resetting ? <ResetDialog onClose={() => setResetting(false)} onDone={() => { setResetting(false); status.reload(); }} /> : null}
    </Section>
  );
}
