/**
 * First-run setup from the link the server prints (`/setup#token=tdl_…`): the
 * organisation and first administrator, then the second factor the
 * administrator role requires, then the recovery codes, once.
 */
import { useState, type FormEvent } from 'react';
import { Link, Redirect, useLocation } from 'wouter';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { call, setCsrfToken, validate } from '../api.js';
import { t } from '../i18n/index.js';
import { useSession } from '../session.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { AuthCard } from './AuthCard.js';
import { EnrolmentFlow } from './enrol.js';
import { HOME, useHashToken } from './links.js';
import { NewPasswordField } from './NewPasswordField.js';

export function Setup() {
  const token = useHashToken();
  const [stage, setStage] = useState<'account' | 'factor'>('account');
  const status = useResource(() => call(authEndpoints.setupStatus), []);
  const { state, reload } = useSession();
  const [, navigate] = useLocation();
  const [form, setForm] = useState({ organizationName: '', name: '', email: '', password: '' });
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const submit = useSubmit(async () => {
    const started = await call(authEndpoints.setup, { body: { token: token ?? '', ...form, email: form.email.trim() } });
    setCsrfToken(started.csrfToken);
    return started;
  });

  const set = (field: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [field]: value }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const errors = validate(authEndpoints.setup.body, { token: token ?? 'x'.repeat(10), ...form, email: form.email.trim() });
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) return;
    if (await submit.run()) {
      await reload();
      setStage('factor');
    }
  };
  const errorOf = (field: string) => submit.fieldErrors[field] ?? clientErrors[field];

  if (stage === 'factor') {
    return (
      <AuthCard title={t('auth.setup.factorTitle')} subtitle={t('auth.setup.factorSubtitle')} wide>
        <ol className="steps" aria-label={t('auth.setup.progress')}>
          <li className="steps__done">{t('auth.setup.stepAccount')}</li>
          <li aria-current="step">{t('auth.setup.stepFactor')}</li>
        </ol>
        <EnrolmentFlow
          phishingResistantRequired
          onComplete={() => {
            void reload().then(() => navigate(HOME, { replace: true }));
          }}
        />
      </AuthCard>
    );
  }

  if (status.loading) return <AuthCard title={t('auth.setup.title')}><Loading /></AuthCard>;
  if (status.error) return <AuthCard title={t('auth.setup.title')}><ErrorNotice error={status.error} onRetry={status.reload} /></AuthCard>;
  // Reloaded during the factor step: the account exists and waits for its first factor.
  if (status.data && !status.data.needed && state.status === 'needs-factor') return <Redirect to="/signin/factor" replace />;
  if (status.data && !status.data.needed) {
    return (
      <AuthCard title={t('auth.setup.title')}>
        <Notice tone="info" title={t('auth.setup.done')}>{t('auth.setup.doneBody')}</Notice>
        <p className="auth__footer"><Link href="/signin">{t('auth.setup.toSignIn')}</Link></p>
      </AuthCard>
    );
  }
  if (!token) {
    return (
      <AuthCard title={t('auth.setup.title')}>
        <Notice tone="warning" title={t('auth.setup.noToken')}>{t('auth.setup.noTokenBody')}</Notice>
      </AuthCard>
    );
  }

  return (
    <AuthCard title={t('auth.setup.title')} subtitle={t('auth.setup.subtitle')} wide>
      <ol className="steps" aria-label={t('auth.setup.progress')}>
        <li aria-current="step">{t('auth.setup.stepAccount')}</li>
        <li>{t('auth.setup.stepFactor')}</li>
      </ol>
      <form className="form form--wide" onSubmit={(e) => void onSubmit(e)} noValidate>
        <TextField label={t('auth.setup.organization')} hint={t('auth.setup.organizationHint')} autoComplete="organization" value={form.organizationName} onChange={(e) => set('organizationName')(e.target.value)} error={errorOf('organizationName')} required />
        <TextField label={t('auth.setup.name')} autoComplete="name" value={form.name} onChange={(e) => set('name')(e.target.value)} error={errorOf('name')} required />
        <TextField label={t('auth.field.email')} type="email" autoComplete="email" value={form.email} onChange={(e) => set('email')(e.target.value)} error={errorOf('email')} required />
        <NewPasswordField value={form.password} onChange={set('password')} context={[form.name, form.email.split('@')[0] ?? '', form.organizationName]} error={errorOf('password')} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('auth.setup.create')}</Button>
        </div>
      </form>
    </AuthCard>
  );
}
