/**
 * The customer's data rights in the portal (decision 0205): "Download my data" and "Delete my data" on the
 * requests page (each records a request that staff check and approve; pressing again answers the open one), and the
 * page of the emailed download link (`/portal/export?token=…`): as for a secure message, the token leaves the
 * address bar at once, a code is sent on request (a POST, so link scanners spend nothing), and the code with the
 * link gives the zip.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { portalPrivacyEndpoints } from '../../../src/platform/http/schemas/privacy.js';
import { ApiError, requestBlob, validate } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { portalCall } from './session.js';

/** "Your data": the two buttons and the customer's requests with their state. */
export function MyDataSection() {
  const list = useResource(() => portalCall(portalPrivacyEndpoints.list), []);
  const [asked, setAsked] = useState<{ kind: 'access' | 'erasure'; created: boolean } | null>(null);
  const ask = useSubmit(async (kind: 'access' | 'erasure') => {
    if (kind === 'erasure' && !window.confirm(t('portal.privacy.confirmErase'))) return;
    const res = await portalCall(portalPrivacyEndpoints.create, { body: { kind } });
    setAsked({ kind, created: res.created });
    list.reload();
  });
  return (
    <Section title={t('portal.privacy.title')} id="portal-privacy">
      <p>{t('portal.privacy.intro')}</p>
      <div className="form__actions">
        <Button busy={ask.busy} onClick={() => void ask.run('access')}>{t('portal.privacy.download')}</Button>
        <Button variant="danger" busy={ask.busy} onClick={() => void ask.run('erasure')}>{t('portal.privacy.delete')}</Button>
      </div>
      <ErrorNotice error={ask.error} />
      {asked ? <Notice tone="success">{t(asked.created ? `portal.privacy.asked.${asked.kind}` : 'portal.privacy.alreadyOpen')}</Notice> : null}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length > 0 ? (
        <DataTable
          caption={t('portal.privacy.caption')}
          rows={list.data.items}
          rowKey={(r) => r.id}
          columns={[
            { key: 'kind', header: t('portal.privacy.col.kind'), render: (r) => t(`portal.privacy.kind.${r.kind}`) },
            { key: 'received', header: t('portal.privacy.col.received'), render: (r) => <time dateTime={r.receivedAt}>{formatDateTime(r.receivedAt)}</time> },
            { key: 'status', header: t('portal.privacy.col.status'), render: (r) => <Badge tone={r.status === 'done' ? 'success' : r.status === 'rejected' ? 'neutral' : 'info'}>{t(`portal.privacy.status.${r.status}`)}</Badge> },
          ]}
        />
      ) : null}
    </Section>
  );
}

let heldToken: string | null = null;

function takeToken(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    heldToken = token;
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  return heldToken;
}

type Step = { kind: 'checking' } | { kind: 'start' } | { kind: 'code'; challengeId: string } | { kind: 'saved'; url: string; name: string } | { kind: 'dead' };

/** The emailed link's page: send a code, enter it, save the zip. */
export function ExportPage() {
  const [token] = useState(takeToken);
  const [step, setStep] = useState<Step>(token ? { kind: 'checking' } : { kind: 'start' });
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>();

  useEffect(() => {
    if (!token) return;
    let live = true;
    portalCall(portalPrivacyEndpoints.check, { body: { token } })
      .then((res) => live && setStep((s) => (s.kind === 'checking' ? (res.state === 'usable' ? { kind: 'start' } : { kind: 'dead' }) : s)))
      .catch(() => live && setStep((s) => (s.kind === 'checking' ? { kind: 'start' } : s)));
    return () => {
      live = false;
    };
  }, [token]);

  useEffect(() => {
    if (step.kind === 'code') document.getElementById('portal-export-code')?.focus();
    if (step.kind !== 'saved') return;
    const url = step.url;
    document.getElementById('portal-export-save')?.click();
    return () => URL.revokeObjectURL(url);
  }, [step]);

  const open = useSubmit(async () => {
    if (!token) return;
    try {
      const res = await portalCall(portalPrivacyEndpoints.open, { body: { token } });
      setStep({ kind: 'code', challengeId: res.challengeId });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 410 || err.code === 'validation_failed')) setStep({ kind: 'dead' });
      else throw err;
    }
  });

  const download = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    if (step.kind !== 'code' || !token) return;
    const body = { token, challengeId: step.challengeId, code: code.trim() };
    const errors = validate(portalPrivacyEndpoints.download.body, body);
    setCodeError(errors.code);
    if (errors.code) return;
    try {
      const blob = await requestBlob('POST', portalPrivacyEndpoints.download.url, body);
      setStep({ kind: 'saved', url: URL.createObjectURL(blob), name: `my-data-${new Date().toISOString().slice(0, 10)}.zip` });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setCodeError(t('portal.privacy.badCode'));
      else if (err instanceof ApiError && err.status === 410) setStep({ kind: 'dead' });
      else throw err;
    }
  });

  return (
    <Page title={t('portal.privacy.exportTitle')}>
      <div className="portal-card">
        {!token || step.kind === 'dead' ? (
          <>
            <Notice tone="warning">{token ? t('portal.privacy.linkDead') : t('portal.secure.noToken')}</Notice>
            <p>
              <Link href="/portal/signin">{t('portal.nav.signIn')}</Link>
            </p>
          </>
        ) : step.kind === 'checking' ? (
          <Loading label={t('portal.secure.checking')} />
        ) : step.kind === 'start' ? (
          <div className="form">
            <p>{t('portal.privacy.exportIntro')}</p>
            <ErrorNotice error={open.error} />
            <div className="form__actions">
              <Button variant="primary" busy={open.busy} onClick={() => void open.run()}>{t('portal.secure.send')}</Button>
            </div>
          </div>
        ) : step.kind === 'code' ? (
          <form className="form" onSubmit={(e) => void download.run(e)} noValidate>
            <Notice tone="info">{t('portal.secure.codeSent')}</Notice>
            <TextField id="portal-export-code" label={t('portal.secure.code')} hint={t('portal.signin.codeHint')} name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} required value={code} onChange={(e) => setCode(e.target.value)} error={codeError} />
            <ErrorNotice error={download.error} />
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={download.busy}>{t('portal.privacy.downloadNow')}</Button>
            </div>
          </form>
        ) : (
          <>
            <Notice tone="success">{t('portal.privacy.saved')}</Notice>
            <p>
              <a id="portal-export-save" href={step.url} download={step.name}>{t('portal.privacy.saveAgain')}</a>
            </p>
          </>
        )}
      </div>
    </Page>
  );
}
