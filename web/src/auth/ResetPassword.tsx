/** Ask for a reset link, or (with `#token=` from the email) choose a new password. */
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Notice } from '../ui/notices.js';
import { AuthCard } from './AuthCard.js';
import { useHashToken } from './links.js';
import { NewPasswordField } from './NewPasswordField.js';

export function ResetPassword() {
  const token = useHashToken();
  return token ? <ChooseNewPassword token={token} /> : <RequestReset />;
}

function RequestReset() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const submit = useSubmit(() => call(authEndpoints.passwordReset, { body: { email: email.trim() } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (await submit.run()) setSent(true);
  };
  return (
    <AuthCard title={t('auth.reset.title')} subtitle={t('auth.reset.subtitle')}>
      {sent ? (
        <Notice tone="success" title={t('auth.reset.sent')}>{t('auth.reset.sentBody')}</Notice>
      ) : (
        <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
          <TextField label={t('auth.field.email')} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} error={submit.fieldErrors.email} required />
          <ErrorNotice error={submit.error} />
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={submit.busy}>{t('auth.reset.send')}</Button>
          </div>
        </form>
      )}
      <p className="auth__footer"><Link href="/signin">{t('auth.backToSignIn')}</Link></p>
    </AuthCard>
  );
}

function ChooseNewPassword({ token }: { token: string }) {
  const [password, setPassword] = useState('');
  const [, navigate] = useLocation();
  const submit = useSubmit(() => call(authEndpoints.passwordResetComplete, { body: { token, password } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (await submit.run()) navigate('/signin?reset=done', { replace: true });
  };
  return (
    <AuthCard title={t('auth.reset.chooseTitle')} subtitle={t('auth.reset.chooseSubtitle')}>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <NewPasswordField value={password} onChange={setPassword} error={submit.fieldErrors.password} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('auth.reset.save')}</Button>
        </div>
      </form>
    </AuthCard>
  );
}
