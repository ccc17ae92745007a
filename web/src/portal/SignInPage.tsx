/**
 * Customer sign-in: an email address, then the six-digit code from the email.
 * The same email carries a one-use link (`/portal/signin?link=…`); the page
 * reads the link token, removes it from the address bar at once (so it stays
 * out of history and screenshots), and posts it — a GET never signs in, so
 * mail scanners that follow links cannot use it up.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Redirect, useLocation } from 'wouter';
import { portalEndpoints } from '../../../src/platform/http/schemas/portal.js';
import { ApiError, validate } from '../api.js';
import { t } from '../i18n/index.js';
import { OrgMissing } from './OrgMissing.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { portalCall, setPortalCsrf, usePortal } from './session.js';

/** Links already posted by this page (React may run an effect twice in development). */
const postedLinks = new Set<string>();

/** Only portal pages are followed after sign-in, never another site. */
export function safeNext(raw: string | null): string {
  return raw && /^\/portal(\/[A-Za-z0-9/_-]*)?$/.test(raw) ? raw : '/portal';
}

/** The sign-in link token, held in memory only (here too because React may run a state initialiser twice). */
let heldLink: string | null = null;

function takeLink(): string | null {
  const url = new URL(window.location.href);
  const value = url.searchParams.get('link');
  if (value !== null) {
    heldLink = value;
    url.searchParams.delete('link');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  const held = heldLink;
  return held !== null && !postedLinks.has(held) ? held : null;
}

export function SignInPage() {
  const { state, org, orgError, reload } = usePortal();
  const [, navigate] = useLocation();
  const [next] = useState(() => safeNext(new URLSearchParams(window.location.search).get('next')));
  const [linkToken] = useState(takeLink);
  const [linkState, setLinkState] = useState<'idle' | 'checking' | 'dead'>(linkToken ? 'checking' : 'idle');
  const [email, setEmail] = useState('');
  const [challenge, setChallenge] = useState<{ id: string; email: string } | null>(null);
  const [code, setCode] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const finish = async (csrfToken: string) => {
    setPortalCsrf(csrfToken);
    await reload();
    navigate(next, { replace: true });
  };

  useEffect(() => {
    if (!linkToken || postedLinks.has(linkToken)) return;
    postedLinks.add(linkToken);
    portalCall(portalEndpoints.signInLink, { body: { token: linkToken } }).then(
      (started) => finish(started.csrfToken),
      () => setLinkState('dead'),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [linkToken]);

  useEffect(() => {
    // After the heading takes focus (Page), the code field is where the customer types next.
    if (challenge) document.getElementById('portal-signin-code')?.focus();
  }, [challenge]);

  const start = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    if (!org) return;
    const body = { organizationId: org.id, email: email.trim() };
    const errors = validate(portalEndpoints.signIn.body, body);
    setFieldErrors(errors);
    if (Object.keys(errors).length) return;
    const res = await portalCall(portalEndpoints.signIn, { body });
    setChallenge({ id: res.challengeId, email: body.email });
    setCode('');
  });

  const verify = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    if (!challenge) return;
    const body = { challengeId: challenge.id, code: code.trim() };
    const errors = validate(portalEndpoints.signInCode.body, body);
    setFieldErrors(errors);
    if (Object.keys(errors).length) return;
    const started = await portalCall(portalEndpoints.signInCode, { body });
    await finish(started.csrfToken);
  });

  if (state.status === 'signed-in' && linkState !== 'checking' && !verify.busy) return <Redirect to={next} replace />;

  if (linkState === 'checking') {
    return (
      <Page title={t('portal.signin.title')}>
        <Loading label={t('portal.signin.linkChecking')} />
      </Page>
    );
  }

  const codeError = verify.error instanceof ApiError && verify.error.status === 401 ? t('portal.signin.badCode') : fieldErrors.code;

  return (
    <Page title={challenge ? t('portal.signin.codeTitle') : t('portal.signin.title')}>
      <div className="portal-card">
        {linkState === 'dead' ? <Notice tone="warning">{t('portal.signin.linkDead')}</Notice> : null}
        {orgError && !org ? <OrgMissing error={orgError} /> : null}
        {!challenge ? (
          <form className="form" onSubmit={(e) => void start.run(e)} noValidate>
            <p>{t('portal.signin.intro')}</p>
            <TextField label={t('portal.signin.email')} type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldErrors.email ?? start.fieldErrors.email} />
            <ErrorNotice error={start.error instanceof ApiError && start.error.code === 'validation_failed' ? null : start.error} />
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={start.busy} disabled={!org}>{t('portal.signin.send')}</Button>
            </div>
          </form>
        ) : (
          <form className="form" onSubmit={(e) => void verify.run(e)} noValidate>
            <Notice tone="info">{t('portal.signin.codeSent', { email: challenge.email })}</Notice>
            <TextField
              id="portal-signin-code"
              label={t('portal.signin.code')}
              hint={t('portal.signin.codeHint')}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]*"
              maxLength={8}
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={codeError}
            />
            {verify.error && !(verify.error instanceof ApiError && (verify.error.status === 401 || verify.error.code === 'validation_failed')) ? <ErrorNotice error={verify.error} /> : null}
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={verify.busy}>{t('portal.signin.verify')}</Button>
              <Button type="button" variant="ghost" onClick={() => { setChallenge(null); verify.reset(); }}>{t('portal.signin.otherAddress')}</Button>
            </div>
          </form>
        )}
      </div>
    </Page>
  );
}
