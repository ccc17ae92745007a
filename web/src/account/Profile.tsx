import { useState, type FormEvent } from 'react';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { NewPasswordField } from '../auth/NewPasswordField.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Notice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { methodName } from './Sessions.js';
import { signatureEndpoints } from '../../../src/platform/http/schemas/signatures.js';
import { SignatureForm } from '../ui/SignatureForm.js';
import { ExerciseLanguage } from './ExerciseLanguage.js';

export function Profile() {
  const { me, can } = useMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const submit = useSubmit(() => call(authEndpoints.changePassword, { body: { current, next } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (await submit.run()) {
      setCurrent('');
      setNext('');
      setDone(true);
    }
  };
  return (
    <>
      <Section title={t('account.profile.you')} id="account-you">
        <dl className="facts">
          <div><dt>{t('account.profile.name')}</dt><dd>{me.user.name}</dd></div>
          <div><dt>{t('account.profile.email')}</dt><dd>{me.user.email}</dd></div>
          <div>
            <dt>{t('account.profile.roles')}</dt>
            <dd className="facts__badges">{me.user.roles.map((r) => <Badge key={r}>{r.replace(/_/g, ' ')}</Badge>)}</dd>
          </div>
          <div><dt>{t('account.profile.factor')}</dt><dd>{me.mfa.method ? t('account.profile.verifiedWith', { method: methodName(me.mfa.method) }) : '—'}</dd></div>
        </dl>
      </Section>
      <Section title={t('account.password.title')} id="account-password">
        <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
          <TextField label={t('account.password.current')} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={submit.fieldErrors.current} required />
          <NewPasswordField value={next} onChange={setNext} context={[me.user.name, me.user.email.split('@')[0] ?? '']} error={submit.fieldErrors.next} />
          <ErrorNotice error={submit.error} />
          {done ? <Notice tone="success" title={t('account.password.changed')}>{t('account.password.changedBody')}</Notice> : null}
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={submit.busy}>{t('account.password.submit')}</Button>
          </div>
        </form>
      </Section>
      <Section title={t('account.language.title')} id="account-language">
        <ExerciseLanguage />
      </Section>
      {can('tickets.write') ? (
        <Section title={t('account.signature.title')} id="account-signature">
          <SignatureForm
            id="account-signature-editor"
            label={t('account.signature.label')}
            hint={t('account.signature.hint')}
            savedText={t('account.signature.saved')}
            load={(signal) => call(signatureEndpoints.mine, {}, { signal })}
            save={(html) => call(signatureEndpoints.saveMine, { body: { html } })}
          />
        </Section>
      ) : null}
    </>
  );
}
