/** The latest signed checkpoint, and the "Verify integrity" action over the whole log. */
import { useState } from 'react';
import type { Static } from 'typebox';
import { Link } from 'wouter';
import { auditEndpoints, type AuditCheckpoint } from '../../../src/platform/http/schemas/audit.js';
import { ApiError, call } from '../api.js';
import { formatDateTime, t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { unsignedExplanation, verifyMeta } from './integrity-text.js';
import { checkContinuity, type KeyValueStore, loadSeenCheckpoint, saveSeenCheckpoint, seenCheckpointKey, type Continuity } from './consistency.js';

type Checkpoint = Static<typeof AuditCheckpoint>;

export function CheckpointFacts({ checkpoint }: { checkpoint: Checkpoint }) {
  return (
    <dl className="pairs">
      <dt>{t('security.checkpoint.size')}</dt>
      <dd>{checkpoint.treeSize}</dd>
      <dt>{t('security.checkpoint.root')}</dt>
      <dd className="mono sec-hash">{checkpoint.rootHash}</dd>
      <dt>{t('security.checkpoint.keyId')}</dt>
      <dd className="mono">{checkpoint.keyId}</dd>
      <dt>{t('security.checkpoint.signedAt')}</dt>
      <dd><time dateTime={checkpoint.signedAt}>{formatDateTime(checkpoint.signedAt)}</time></dd>
    </dl>
  );
}

export function CheckpointDetails({ checkpoint }: { checkpoint: Checkpoint }) {
  return (
    <details className="sec-details">
      <summary>{t('security.checkpoint.showNote')}</summary>
      <p className="field__hint">{t('security.checkpoint.vkeyHint')}</p>
      <p className="sec-label">{t('security.checkpoint.vkey')}</p>
      <pre className="sec-pre">{checkpoint.vkey}</pre>
      <p className="sec-label">{t('security.checkpoint.note')}</p>
      <pre className="sec-pre">{checkpoint.note}</pre>
    </details>
  );
}

/**
 * Compares the current checkpoint with the last one this browser saw (kept in
 * localStorage per site and organisation) and remembers the current one only
 * when it extends that. A shrunk or forked log is shown on every visit until
 * someone looks into it. Decision 0116.
 */
/** localStorage, or a store that keeps nothing where the browser refuses storage (each visit is then a first one). */
function browserStorage(): KeyValueStore {
  try {
    return window.localStorage;
  } catch {
    return { getItem: () => null, setItem: () => undefined };
  }
}

export function ContinuityCheck({ checkpoint }: { checkpoint: Checkpoint }) {
  const { me } = useMe();
  const res = useResource(async () => {
    const key = seenCheckpointKey(window.location.origin, me.user.orgId);
    const storage = browserStorage();
    const seen = loadSeenCheckpoint(storage, key);
    const outcome = await checkContinuity(seen, checkpoint, async (from) => {
      try {
        return await call(auditEndpoints.consistency, { query: { from } });
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) return 'shrunk';
        throw err;
      }
    });
    if (outcome.kind === 'first' || outcome.kind === 'consistent') saveSeenCheckpoint(storage, key, outcome.keep);
    return outcome;
  }, [checkpoint.note, me.user.orgId]);
  if (res.loading && !res.data) return <p className="field__hint">{t('security.continuity.checking')}</p>;
  if (res.error) return <ErrorNotice error={res.error} onRetry={res.reload} />;
  return res.data ? <ContinuityResult outcome={res.data} /> : null;
}

function ContinuityResult({ outcome }: { outcome: Continuity }) {
  switch (outcome.kind) {
    case 'first':
      return <p className="field__hint">{t('security.continuity.first')}</p>;
    case 'consistent':
      return <p className="field__hint">{tp('security.continuity.consistent', outcome.seen.size, { date: formatDateTime(outcome.seen.signedAt) })}</p>;
    case 'badSignature':
      return <ContinuityAlarm title={t('security.continuity.badSignature')} what={t('security.continuity.badSignatureMeans')} />;
    case 'keyChanged':
      return <ContinuityAlarm title={t('security.continuity.keyChanged')} what={tp('security.continuity.keyChangedMeans', outcome.seen.size, { date: formatDateTime(outcome.seen.signedAt) })} />;
    case 'truncated':
      return <ContinuityAlarm title={t('security.continuity.truncated')} what={t('security.continuity.truncatedMeans', { seen: tp('security.entries', outcome.seen.size), now: tp('security.entries', outcome.currentSize), date: formatDateTime(outcome.seen.signedAt) })} />;
    case 'forked':
      return <ContinuityAlarm title={t('security.continuity.forked')} what={tp('security.continuity.forkedMeans', outcome.seen.size, { date: formatDateTime(outcome.seen.signedAt) })} />;
  }
}

function ContinuityAlarm({ title, what }: { title: string; what: string }) {
  return (
    <div className="sec-alarm">
      <Notice tone="danger" title={title}>
        <p>{what}</p>
        <p><strong>{t('security.continuity.whatToDo')}</strong></p>
        <ol>
          <li>{t('security.continuity.step.export')}</li>
          <li>{t('security.continuity.step.contact')}</li>
          <li>{t('security.continuity.step.keep')}</li>
        </ol>
      </Notice>
    </div>
  );
}

export function CheckpointPanel() {
  const res = useResource(() => call(auditEndpoints.checkpoint), []);
  return (
    <section className="sec-panel" aria-labelledby="checkpoint-title">
      <h2 id="checkpoint-title" className="section__title">{t('security.checkpoint.title')}</h2>
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {res.data ? (
        res.data.checkpoint ? (
          <>
            <ContinuityCheck checkpoint={res.data.checkpoint} />
            <CheckpointFacts checkpoint={res.data.checkpoint} />
            <CheckpointDetails checkpoint={res.data.checkpoint} />
          </>
        ) : (
          <p>{t('security.checkpoint.none')}</p>
        )
      ) : null}
    </section>
  );
}

type VerifyResult = Static<typeof auditEndpoints.verify.response>;

export function VerifyPanel() {
  const [result, setResult] = useState<VerifyResult | null>(null);
  const verify = useSubmit(() => call(auditEndpoints.verify));
  const run = async () => {
    setResult(null);
    const r = await verify.run();
    if (r) setResult(r);
  };
  return (
    <section className="sec-panel" aria-labelledby="verify-title">
      <h2 id="verify-title" className="section__title">{t('security.verify.title')}</h2>
      <p className="field__hint">{t('security.verify.hint')}</p>
      <Button variant="primary" onClick={() => void run()} busy={verify.busy}>{verify.busy ? t('security.verify.running') : t('security.verify.action')}</Button>
      <ErrorNotice error={verify.error} />
      <div aria-live="polite">
        {result ? (
          <div className="sec-verify-result">
            {result.status === 'timeout' ? (
              <Notice tone="warning" title={t('security.verify.timeout')}>{result.problems[0]?.message}</Notice>
            ) : result.ok ? (
              <Notice tone="success" title={tp('security.verify.ok', result.entries)}>
                {unsignedExplanation(result)}
              </Notice>
            ) : (
              <Notice tone="danger" title={result.firstBadIndex !== null ? t('security.verify.badIndex', { index: result.firstBadIndex }) : t('security.verify.bad')}>
                <ul className="sec-problems">
                  {result.problems.map((p, i) => (
                    <li key={i}>{p.index !== null ? <Link href={`/security/audit/${p.index}`}>#{p.index}</Link> : null} {p.message}</li>
                  ))}
                </ul>
              </Notice>
            )}
            <p className="field__hint">{verifyMeta(result, formatDateTime(result.checkedAt))}</p>
            {result.checkpoint ? <CheckpointFacts checkpoint={result.checkpoint} /> : null}
          </div>
        ) : null}
      </div>
    </section>
  );
}
