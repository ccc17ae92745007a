/**
 * The customer's data rights in the portal (decision 0205): "Download my data" and "Delete my data" on the
 * requests page (each records a request that staff check and approve; pressing again answers the open one), and the
 * page of the emailed download link (`/portal/export?token=…`): as for a secure message, the token leaves the
 * address bar at once, a code is sent on request (a POST, so link scanners spend nothing), and the code with the
 * link gives the zip.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { portalPrivacyEndpoints } from '../../../src/platform/http/schemas/privacy.js';
import { ApiError, requestBlob, validate } from '../api.js';
import { EmailedLinkCard, forgetLinkToken, useEmailedLink, type LinkCalls } from './emailed-link.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { portalCall, usePortal } from './session.js';
import { isCustomerMfaRequired, StepUpCard } from './SecurityPage.js';

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

type Saved = { kind: 'saved'; url: string; name: string };

const calls: LinkCalls = {
  check: (token) => portalCall(portalPrivacyEndpoints.check, { body: { token } }),
  open: (token) => portalCall(portalPrivacyEndpoints.open, { body: { token } }),
};

/** The emailed link's page: send a code, enter it, save the zip. */
export function ExportPage() {
  const link = useEmailedLink<Saved>(calls, 'portal-export-code');
  const { token, step, setStep, code, setCodeError } = link;
  const portal = usePortal();

  useEffect(() => {
    if (step.kind === 'dead') forgetLinkToken();
    if (step.kind !== 'saved') return;
    forgetLinkToken();
    const url = step.url;
    document.getElementById('portal-export-save')?.click();
    return () => URL.revokeObjectURL(url);
  }, [step]);

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
      <EmailedLinkCard link={link} deadText={t('portal.privacy.linkDead')} introText={t('portal.privacy.exportIntro')} codeFieldId="portal-export-code" submit={{ label: t('portal.privacy.downloadNow'), busy: download.busy, error: download.error, onSubmit: (e) => void download.run(e) }}>
        {step.kind === 'saved' ? (
          <>
            <Notice tone="success">{t('portal.privacy.saved')}</Notice>
            <p>
              <a id="portal-export-save" href={step.url} download={step.name}>{t('portal.privacy.saveAgain')}</a>
            </p>
          </>
        ) : null}
      </EmailedLinkCard>
      {isCustomerMfaRequired(download.error) ? (
        // The organisation requires a second factor for downloads: prove it on this browser's portal session, then the same code downloads.
        portal.state.status === 'signed-in' ? <StepUpCard onDone={() => download.run({ preventDefault() {} } as FormEvent)} /> : <Notice tone="info">{t('portal.mfa.exportSignIn')}</Notice>
      ) : null}
    </Page>
  );
}
