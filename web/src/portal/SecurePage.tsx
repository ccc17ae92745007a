/**
 * Reading a secure message from the emailed link (`/portal/secure?token=…`).
 * The token leaves the address bar the moment the page starts and is kept in
 * memory only. Nothing happens on load: the customer asks for a code (a POST,
 * so link scanners cannot spend the link's codes), types it, and the server
 * starts a portal session and uses up the link; then the message is read (an
 * audited read).
 */
import { RedactedText } from '../ui/redacted.js';
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import type { Static } from 'typebox';
import { secureMessageEndpoints, type SecureMessage } from '../../../src/platform/http/schemas/secure-messages.js';
import { ApiError, validate } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { portalCall, setPortalCsrf, usePortal } from './session.js';

/** The link token, held in memory only (kept here too because React may run a state initialiser twice). */
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

type Step = { kind: 'checking' } | { kind: 'start' } | { kind: 'code'; challengeId: string } | { kind: 'read'; message: Static<typeof SecureMessage> } | { kind: 'dead' };

export function SecurePage() {
  const { reload } = usePortal();
  const [token] = useState(takeToken);
  // The page asks first whether the link is still usable: a spent link offers no "Send me a code".
  const [step, setStep] = useState<Step>(token ? { kind: 'checking' } : { kind: 'start' });
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>();

  useEffect(() => {
    // A used or dead link is of no further use; forget it.
    if (step.kind === 'read' || step.kind === 'dead') heldToken = null;
  }, [step.kind]);

  useEffect(() => {
    if (step.kind === 'code') document.getElementById('portal-secure-code')?.focus();
  }, [step.kind]);

  useEffect(() => {
    if (!token) return;
    let live = true;
    portalCall(secureMessageEndpoints.check, { body: { token } })
      .then((res) => live && setStep((s) => (s.kind === 'checking' ? (res.state === 'usable' ? { kind: 'start' } : { kind: 'dead' }) : s)))
      // Unknown (offline, rate-limited): offer the button; opening the link checks again.
      .catch(() => live && setStep((s) => (s.kind === 'checking' ? { kind: 'start' } : s)));
    return () => {
      live = false;
    };
  }, [token]);

  const open = useSubmit(async () => {
    if (!token) return;
    try {
      const res = await portalCall(secureMessageEndpoints.open, { body: { token } });
      setStep({ kind: 'code', challengeId: res.challengeId });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 410 || err.code === 'validation_failed')) setStep({ kind: 'dead' });
      else throw err;
    }
  });

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
    const message = await portalCall(secureMessageEndpoints.read, { params: { id: verified.secureMessageId } });
    setStep({ kind: 'read', message });
  });

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
      <div className="portal-card">
        {!token || step.kind === 'dead' ? (
          <>
            <Notice tone="warning">{token ? t('portal.secure.linkDead') : t('portal.secure.noToken')}</Notice>
            <p>
              <Link href="/portal/signin">{t('portal.nav.signIn')}</Link>
            </p>
          </>
        ) : step.kind === 'checking' ? (
          <Loading label={t('portal.secure.checking')} />
        ) : step.kind === 'start' ? (
          <div className="form">
            <p>{t('portal.secure.intro')}</p>
            <ErrorNotice error={open.error} />
            <div className="form__actions">
              <Button variant="primary" busy={open.busy} onClick={() => void open.run()}>{t('portal.secure.send')}</Button>
            </div>
          </div>
        ) : (
          <form className="form" onSubmit={(e) => void verify.run(e)} noValidate>
            <Notice tone="info">{t('portal.secure.codeSent')}</Notice>
            <TextField id="portal-secure-code" label={t('portal.secure.code')} hint={t('portal.signin.codeHint')} name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} required value={code} onChange={(e) => setCode(e.target.value)} error={codeError} />
            <ErrorNotice error={verify.error} />
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={verify.busy}>{t('portal.secure.verify')}</Button>
            </div>
          </form>
        )}
      </div>
    </Page>
  );
}
