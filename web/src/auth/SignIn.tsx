/**
 * Email and password; then the factor step. Readable refusals, lock-outs included. When the email's domain
 * belongs to an organisation with single sign-on, "Sign in with <provider>" is offered (decision 0204).
 */
import { useState, type FormEvent } from 'react';
import { Link, Redirect, useLocation, useSearch } from 'wouter';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { SSO_PUBLIC_ERRORS, ssoEndpoints } from '../../../src/platform/http/schemas/sso.js';
import { ApiError, call, setCsrfToken } from '../api.js';
import { t } from '../i18n/index.js';
import { useSession } from '../session.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { AuthCard } from './AuthCard.js';
import { nextFromSearch } from './links.js';

export function signInErrorText(error: unknown): { title: string; detail: string | null } | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === 'unauthenticated') return { title: t('auth.signin.badCredentials'), detail: null };
  if (error.code === 'rate_limited') return { title: t('auth.signin.locked'), detail: error.detail || null };
  if (error.code === 'forbidden' && error.extra.ssoRequired === true) return { title: t('sso.signin.required'), detail: null };
  return null;
}

/** The single-sign-on refusal the callback sent back (`?sso=`), as text. */
function ssoErrorText(search: string): string | null {
  const code = new URLSearchParams(search).get('sso');
  const known = SSO_PUBLIC_ERRORS.find((c) => c === code);
  return known ? t(`sso.signin.error.${known}`) : null;
}

export function SignIn() {
  const { state, reload } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const next = nextFromSearch(search);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sso, setSso] = useState<{ email: string; provider: string; url: string } | null>(null);
  // The provider for the typed address's domain, asked once the address is complete.
  const discover = async () => {
    const typed = email.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(typed) || sso?.email === typed) return;
    try {
      const found = await call(ssoEndpoints.discover, { body: { email: typed } });
      setSso(found.provider && found.authorizationUrl ? { email: typed, provider: found.provider, url: found.authorizationUrl } : null);
    } catch {
      setSso(null);
    }
  };
  const submit = useSubmit(async () => {
    const started = await call(authEndpoints.signIn, { body: { email: email.trim(), password } });
    setCsrfToken(started.csrfToken);
    return started;
  });

  if (state.status === 'loading') return <AuthCard title={t('auth.signin.title')}><Loading /></AuthCard>;
  if (state.status === 'signed-in') return <Redirect to={next} replace />;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const started = await submit.run();
    if (!started) return;
    await reload();
    navigate(`/signin/factor?next=${encodeURIComponent(next)}`, { replace: true });
  };
  const known = signInErrorText(submit.error);
  const ssoError = ssoErrorText(search);

  return (
    <AuthCard title={t('auth.signin.title')} subtitle={t('auth.signin.subtitle')}>
      {new URLSearchParams(search).get('reset') === 'done' ? <Notice tone="success" title={t('auth.reset.done')} /> : null}
      {ssoError ? <Notice tone="danger" title={ssoError} /> : null}
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <TextField label={t('auth.field.email')} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} onBlur={() => void discover()} error={submit.fieldErrors.email} required />
        {sso && sso.email === email.trim() ? (
          <div className="form__actions">
            <p>{t('sso.signin.hint', { provider: sso.provider })}</p>
            <Button variant="primary" onClick={() => window.location.assign(sso.url)}>{t('sso.signin.with', { provider: sso.provider })}</Button>
          </div>
        ) : null}
        <TextField label={t('auth.field.password')} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={submit.fieldErrors.password} required />
        {known ? (
          <div className="notice notice--danger" role="alert">
            <p className="notice__title">{known.title}</p>
            {known.detail ? <p className="notice__body">{known.detail}</p> : null}
          </div>
        ) : (
          <ErrorNotice error={submit.error} />
        )}
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('auth.signin.submit')}</Button>
        </div>
      </form>
      <p className="auth__footer">
        <Link href="/reset-password">{t('auth.signin.forgot')}</Link>
      </p>
    </AuthCard>
  );
}
