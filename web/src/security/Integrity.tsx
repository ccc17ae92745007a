/** The latest signed checkpoint, and the "Verify integrity" action over the whole log. */
import { useState } from 'react';
import type { Static } from 'typebox';
import { Link } from 'wouter';
import { auditEndpoints, type AuditCheckpoint } from '../../../src/http/schemas/audit.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';

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
              <Notice tone="success" title={t('security.verify.ok', { entries: result.entries })}>
                {result.unsignedEntries > 0 ? t('security.verify.unsigned', { count: result.unsignedEntries }) : null}
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
            <p className="field__hint">{t('security.verify.meta', { entries: result.entries, checkpoints: result.checkpoints, ms: result.durationMs, at: formatDateTime(result.checkedAt) })}</p>
            {result.checkpoint ? <CheckpointFacts checkpoint={result.checkpoint} /> : null}
          </div>
        ) : null}
      </div>
    </section>
  );
}
