/** Email and password; then the factor step. Readable refusals, lock-outs included. */
import { useState, type FormEvent } from 'react';
import { Link, Redirect, useLocation, useSearch } from 'wouter';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
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
  return null;
}

export function SignIn() {
  const { state, reload } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const next = nextFromSearch(search);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
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

  return (
    <AuthCard title={t('auth.signin.title')} subtitle={t('auth.signin.subtitle')}>
      {new URLSearchParams(search).get('reset') === 'done' ? <Notice tone="success" title={t('auth.reset.done')} /> : null}
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <TextField label={t('auth.field.email')} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} error={submit.fieldErrors.email} required />
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
