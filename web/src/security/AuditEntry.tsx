/**
 * One audit entry and its proof: what was recorded, the exact bytes that were
 * hashed, the audit path to the latest signed checkpoint, and the check of all
 * of it done here in the browser (WebCrypto) beside the server's own.
 */
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { auditEndpoints } from '../../../src/platform/http/schemas/audit.js';
import { call } from '../api.js';
import { formatDateTime, t, tp } from '../i18n/index.js';
import { useResource } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { ActorName, resultTone } from './AuditTrail.js';
import { useStaff } from './staff.js';
import { CheckpointDetails, CheckpointFacts } from './Integrity.js';
import { verifyInBrowser, type BrowserProofResult } from './proof.js';
import { SecurityNav } from './SecurityNav.js';

type Canonical = Record<string, unknown>;

const str = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function Check({ ok, label }: { ok: boolean | null; label: string }) {
  return (
    <li className="sec-check">
      <Badge tone={ok === null ? 'warning' : ok ? 'success' : 'danger'}>{ok === null ? t('security.proof.unknown') : ok ? t('security.proof.pass') : t('security.proof.fail')}</Badge> {label}
    </li>
  );
}

export function AuditEntry({ index }: { index: string }) {
  const n = Number(index);
  const valid = Number.isSafeInteger(n) && n >= 0;
  const res = useResource(async () => (valid ? call(auditEndpoints.proof, { params: { index: n } }) : undefined), [index]);
  const [browser, setBrowser] = useState<BrowserProofResult | null>(null);
  const staff = useStaff();
  const [browserError, setBrowserError] = useState<string | null>(null);

  useEffect(() => {
    setBrowser(null);
    setBrowserError(null);
    const p = res.data;
    if (!p) return;
    verifyInBrowser({ index: p.index, canonical: p.canonical, leafHash: p.leafHash, proof: p.proof, note: p.checkpoint.note, vkey: p.checkpoint.vkey }).then(setBrowser, (err: unknown) => setBrowserError(err instanceof Error ? err.message : String(err)));
  }, [res.data]);

  const title = t('security.entry.title', { index });
  if (!valid) {
    return (
      <Page title={title}>
        <Notice tone="danger" title={t('errors.not_found')} />
      </Page>
    );
  }
  const p = res.data;
  const entry: Canonical | null = p ? (JSON.parse(p.canonical) as Canonical) : null;
  const pathOk = browser ? browser.leafMatches && browser.rootMatches : null;

  return (
    <Page title={title} subtitle={<Link href="/security/audit">{t('security.entry.back')}</Link>} wide>
      <SecurityNav />
      {res.loading && !p ? <Loading /> : null}
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {p && entry ? (
        <>
          <div aria-live="polite">
            {browser ? (
              pathOk && browser.signatureValid === true ? (
                <Notice tone="success" title={t('security.proof.verified', { entries: tp('security.entries', p.checkpoint.treeSize) })} />
              ) : pathOk && browser.signatureValid === null ? (
                <Notice tone="warning" title={t('security.proof.verifiedUnsigned', { entries: tp('security.entries', p.checkpoint.treeSize) })} />
              ) : (
                <Notice tone="danger" title={t('security.proof.notVerified')} />
              )
            ) : browserError ? (
              <Notice tone="warning" title={t('security.proof.browserError')}>{browserError}</Notice>
            ) : (
              <Loading label={t('security.proof.checking')} />
            )}
          </div>
          <Section title={t('security.entry.recorded')} id="entry">
            <dl className="pairs">
              <dt>{t('security.audit.col.time')}</dt>
              <dd>{typeof entry.ts === 'string' ? <time dateTime={entry.ts}>{formatDateTime(entry.ts)}</time> : '—'}</dd>
              <dt>{t('security.audit.col.actor')}</dt>
              <dd><ActorName type={str(entry.actor_type)} id={typeof entry.actor_id === 'string' ? entry.actor_id : null} staff={staff} /></dd>
              <dt>{t('security.audit.col.action')}</dt>
              <dd><code>{str(entry.action)}</code></dd>
              <dt>{t('security.audit.col.result')}</dt>
              <dd><Badge tone={resultTone(str(entry.result))}>{str(entry.result)}</Badge></dd>
              <dt>{t('security.entry.object')}</dt>
              <dd className="mono sec-id">{entry.object_type ? `${str(entry.object_type)} ${str(entry.object_id)}` : '—'}</dd>
              <dt>{t('security.entry.subject')}</dt>
              <dd className="mono sec-id">{str(entry.subject)}</dd>
              <dt>{t('security.audit.col.reason')}</dt>
              <dd>{str(entry.purpose)}</dd>
              <dt>{t('security.audit.col.request')}</dt>
              <dd className="mono sec-id">{str(entry.request_id)}</dd>
              <dt>{t('security.entry.sourceIp')}</dt>
              <dd className="mono">{str(entry.source_ip)}</dd>
              <dt>{t('security.entry.details')}</dt>
              <dd className="mono sec-id">{str(entry.details)}</dd>
            </dl>
          </Section>
          <Section title={t('security.proof.title')} id="proof">
            <ul className="sec-checks">
              <Check ok={browser ? browser.leafMatches : null} label={t('security.proof.leafCheck')} />
              <Check ok={browser ? browser.rootMatches : null} label={t('security.proof.rootCheck', { entries: tp('security.entries', p.checkpoint.treeSize) })} />
              <Check ok={browser ? browser.signatureValid : null} label={t('security.proof.signatureCheck', { keyId: p.checkpoint.keyId })} />
              <Check ok={p.verified} label={t('security.proof.serverCheck')} />
            </ul>
            <p className="sec-label">{t('security.proof.canonical')}</p>
            <pre className="sec-pre">{p.canonical}</pre>
            <dl className="pairs">
              <dt>{t('security.proof.leaf')}</dt>
              <dd className="mono sec-hash">{p.leafHash}</dd>
              {browser?.computedRoot ? (
                <>
                  <dt>{t('security.proof.computedRoot')}</dt>
                  <dd className="mono sec-hash">{browser.computedRoot}</dd>
                </>
              ) : null}
            </dl>
            <p className="sec-label">{tp('security.proof.path', p.proof.length)}</p>
            <ol className="sec-path" start={1}>
              {p.proof.map((h, i) => (
                <li key={i} className="mono sec-hash">{h}</li>
              ))}
            </ol>
          </Section>
          <Section title={t('security.checkpoint.title')} id="entry-checkpoint">
            <CheckpointFacts checkpoint={p.checkpoint} />
            <CheckpointDetails checkpoint={p.checkpoint} />
          </Section>
        </>
      ) : null}
    </Page>
  );
}
