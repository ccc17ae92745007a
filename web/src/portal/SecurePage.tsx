/**
 * Reading a secure message from the emailed link (`/portal/secure?token=…`).
 * The link's first steps are emailed-link.tsx's (token kept in memory only, a
 * code on request); the right code starts a portal session and uses up the
 * link; then the message is read (an audited read).
 */
import { useEffect, type FormEvent } from 'react';
import { Link } from 'wouter';
import type { Static } from 'typebox';
import { secureMessageEndpoints, type SecureMessage } from '../../../src/platform/http/schemas/secure-messages.js';
import { ApiError, validate } from '../api.js';
import { EmailedLinkCard, forgetLinkToken, useEmailedLink, type LinkCalls } from './emailed-link.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useSubmit } from '../ui/hooks.js';
import { Page } from '../ui/Page.js';
import { RedactedText } from '../ui/redacted.js';
import { portalCall, setPortalCsrf, usePortal } from './session.js';
import { isCustomerMfaRequired, StepUpCard } from './SecurityPage.js';

type Read = { kind: 'read'; message: Static<typeof SecureMessage> } | { kind: 'mfa'; secureMessageId: string };

const calls: LinkCalls = {
  check: (token) => portalCall(secureMessageEndpoints.check, { body: { token } }),
  open: (token) => portalCall(secureMessageEndpoints.open, { body: { token } }),
};

export function SecurePage() {
  const { reload } = usePortal();
  const link = useEmailedLink<Read>(calls, 'portal-secure-code');
  const { step, setStep, code, setCodeError } = link;

  useEffect(() => {
    if (step.kind === 'read' || step.kind === 'mfa' || step.kind === 'dead') forgetLinkToken();
  }, [step.kind]);

  const verify = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    if (step.kind !== 'code') return;
    const body = { challengeId: step.challengeId, code: code.trim() };
    const errors = validate(secureMessageEndpoints.verify.body, body);
    setCodeError(errors.code);
    if (errors.code) return;
    let verified;
    try {
      verified = await portalCall(secureMessageEndpoints.verify, { body });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setCodeError(t('portal.secure.badCode'));
        return;
      }
      if (err instanceof ApiError && err.status === 410) {
        setStep({ kind: 'dead' });
        return;
      }
      throw err;
    }
    setPortalCsrf(verified.csrfToken);
    // The session is known before the message shows, so its link to the conversation works at once.
    await reload();
    await readMessage(verified.secureMessageId);
  });

  /** The read; where the organisation requires a second factor, the server says so and the step-up card shows first. */
  async function readMessage(secureMessageId: string): Promise<void> {
    try {
      setStep({ kind: 'read', message: await portalCall(secureMessageEndpoints.read, { params: { id: secureMessageId } }) });
    } catch (err) {
      if (!isCustomerMfaRequired(err)) throw err;
      setStep({ kind: 'mfa', secureMessageId });
    }
  }

  if (step.kind === 'mfa') {
    const id = step.secureMessageId;
    return (
      <Page title={t('portal.secure.title')}>
        <StepUpCard onDone={() => readMessage(id)} />
      </Page>
    );
  }

  if (step.kind === 'read') {
    const m = step.message;
    return (
      <Page title={t('portal.secure.title')} subtitle={t('portal.secure.from', { ref: `#${m.ticketNumber}`, time: formatDateTime(m.createdAt) })}>
        <article className="portal-secure-message" aria-label={t('portal.secure.title')}>
          {m.body === null ? <p className="portal-muted">{t('portal.secure.erased')}</p> : <div className="portal-msg__body"><RedactedText text={m.body} /></div>}
        </article>
        <p>
          <Link href={`/portal/tickets/${m.ticketId}`}>{t('portal.secure.openRequest')}</Link>
        </p>
      </Page>
    );
  }

  return (
    <Page title={t('portal.secure.title')}>
      <EmailedLinkCard link={link} deadText={t('portal.secure.linkDead')} introText={t('portal.secure.intro')} codeFieldId="portal-secure-code" submit={{ label: t('portal.secure.verify'), busy: verify.busy, error: verify.error, onSubmit: (e) => void verify.run(e) }} />
    </Page>
  );
}
