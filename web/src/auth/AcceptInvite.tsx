/** An invitation link (`#token=`): choose a password, then enrol a second factor on the factor step. */
import { useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { call, setCsrfToken } from '../api.js';
import { t } from '../i18n/index.js';
import { useSession } from '../session.js';
import { Button } from '../ui/Button.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Notice } from '../ui/notices.js';
import { AuthCard } from './AuthCard.js';
import { HOME, useHashToken } from './links.js';
import { NewPasswordField } from './NewPasswordField.js';

export function AcceptInvite() {
  const token = useHashToken();
  const [password, setPassword] = useState('');
  const { reload } = useSession();
  const [, navigate] = useLocation();
  const submit = useSubmit(async () => {
    const started = await call(authEndpoints.acceptInvite, { body: { token: token ?? '', password } });
    setCsrfToken(started.csrfToken);
    return started;
  });
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!(await submit.run())) return;
    await reload();
    navigate(`/signin/factor?next=${encodeURIComponent(HOME)}`, { replace: true });
  };
  if (!token) {
    return (
      <AuthCard title={t('auth.invite.title')}>
        <Notice tone="warning" title={t('auth.invite.noToken')}>{t('auth.invite.noTokenBody')}</Notice>
      </AuthCard>
    );
  }
  return (
    <AuthCard title={t('auth.invite.title')} subtitle={t('auth.invite.subtitle')}>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <NewPasswordField value={password} onChange={setPassword} error={submit.fieldErrors.password} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('auth.invite.submit')}</Button>
        </div>
      </form>
    </AuthCard>
  );
}
