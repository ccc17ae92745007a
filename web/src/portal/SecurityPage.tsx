/**
 * Customer second factors in the portal (decision 0220): the "Sign-in security" page (passkeys, an
 * authenticator app, removing either after confirming one), and the step-up card shown where the
 * organisation requires a second factor (a secure message, a conversation holding one, downloads).
 * The server enforces the requirement; these screens only ask for what it will check.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { portalMfaEndpoints as e, type CustomerMfaStatus } from '../../../src/platform/http/schemas/portal-mfa.js';
import { ApiError } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { portalCall } from './session.js';

type Status = Static<typeof CustomerMfaStatus>;

/** True when the server refused for want of a customer second factor. */
export function isCustomerMfaRequired(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === 'customer_mfa_required';
}

function useMfaStatus() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      setStatus(await portalCall(e.status));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { status, error, reload };
}

/** Add a passkey (named) or an authenticator app (secret shown once, then its first code). */
function AddFactor({ onAdded, hasTotp }: { onAdded: () => void | Promise<void>; hasTotp: boolean }) {
  const [name, setName] = useState('');
  const [totp, setTotp] = useState<{ secret: string; uri: string } | null>(null);
  const [code, setCode] = useState('');
  const passkey = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    const { addCustomerPasskey } = await import('./portal-webauthn.js');
    await addCustomerPasskey(name.trim() || undefined);
    setName('');
    await onAdded();
  });
  const startTotp = useSubmit(async () => setTotp(await portalCall(e.totpStart)));
  const confirmTotp = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    await portalCall(e.totpConfirm, { body: { code: code.replace(/\s+/g, '') } });
    setTotp(null);
    setCode('');
    await onAdded();
  });
  return (
    <div className="portal-mfa-add">
      <form className="form" onSubmit={(ev) => void passkey.run(ev)} noValidate>
        <TextField label={t('portal.mfa.passkeyName')} optional name="passkey-name" maxLength={100} value={name} onChange={(ev) => setName(ev.target.value)} />
        <ErrorNotice error={passkey.error} />
        <div className="form__actions"><Button type="submit" variant="primary" busy={passkey.busy}>{t('portal.mfa.addPasskey')}</Button></div>
      </form>
      {hasTotp ? null : totp ? (
        <form className="form" onSubmit={(ev) => void confirmTotp.run(ev)} noValidate>
          <p>{t('portal.mfa.totpSecret')}</p>
          <p><code className="portal-mfa-secret">{totp.secret}</code></p>
          <TextField label={t('portal.mfa.code')} name="totp-code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} value={code} onChange={(ev) => setCode(ev.target.value)} />
          <ErrorNotice error={confirmTotp.error} />
          <div className="form__actions"><Button type="submit" variant="primary" busy={confirmTotp.busy}>{t('portal.mfa.confirmTotp')}</Button></div>
        </form>
      ) : (
        <>
          <ErrorNotice error={startTotp.error} />
          <Button type="button" busy={startTotp.busy} onClick={() => void startTotp.run()}>{t('portal.mfa.addTotp')}</Button>
        </>
      )}
    </div>
  );
}

/** Confirm a factor the customer has (passkey or authenticator code). */
function ProveFactor({ status, onVerified }: { status: Status; onVerified: () => void | Promise<void> }) {
  const [code, setCode] = useState('');
  const passkey = useSubmit(async () => {
    const { verifyCustomerPasskey } = await import('./portal-webauthn.js');
    await verifyCustomerPasskey();
    await onVerified();
  });
  const totp = useSubmit(async (ev: FormEvent) => {
    ev.preventDefault();
    await portalCall(e.verify, { body: { factor: 'totp', code: code.replace(/\s+/g, '') } });
    setCode('');
    await onVerified();
  });
  return (
    <div className="portal-mfa-prove">
      {status.passkeys.length > 0 ? (
        <>
          <ErrorNotice error={passkey.error} />
          <Button type="button" variant="primary" busy={passkey.busy} onClick={() => void passkey.run()}>{t('portal.mfa.usePasskey')}</Button>
        </>
      ) : null}
      {status.totp ? (
        <form className="form" onSubmit={(ev) => void totp.run(ev)} noValidate>
          <TextField label={t('portal.mfa.code')} name="totp-step-up" inputMode="numeric" autoComplete="one-time-code" maxLength={8} value={code} onChange={(ev) => setCode(ev.target.value)} />
          <ErrorNotice error={totp.error} />
          <div className="form__actions"><Button type="submit" busy={totp.busy}>{t('portal.mfa.verify')}</Button></div>
        </form>
      ) : null}
    </div>
  );
}

/** Where the organisation requires a second factor: prove one, or add the first one. Then `onDone` retries. */
export function StepUpCard({ onDone }: { onDone: () => void | Promise<void> }) {
  const { status, error, reload } = useMfaStatus();
  if (error) return <ErrorNotice error={error} onRetry={() => void reload()} />;
  if (!status) return <Loading />;
  const enrolled = status.totp || status.passkeys.length > 0;
  return (
    <section className="card portal-mfa-stepup" aria-labelledby="portal-mfa-stepup-title">
      <h2 id="portal-mfa-stepup-title">{enrolled ? t('portal.mfa.stepUpTitle') : t('portal.mfa.enrolTitle')}</h2>
      <p>{enrolled ? t('portal.mfa.stepUpIntro') : t('portal.mfa.enrolIntro')}</p>
      {enrolled ? <ProveFactor status={status} onVerified={onDone} /> : <AddFactor hasTotp={false} onAdded={onDone} />}
    </section>
  );
}

const POLICY_TEXT = { never: 'portal.mfa.policy.never', sensitive: 'portal.mfa.policy.sensitive', always: 'portal.mfa.policy.always' } as const;

export function SecurityPage() {
  const { status, error, reload } = useMfaStatus();
  const [removeError, setRemoveError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const remove = async (call: () => Promise<unknown>) => {
    setRemoveError(null);
    try {
      await call();
      await reload();
    } catch (err) {
      if (isCustomerMfaRequired(err)) setConfirming(true);
      else setRemoveError(err);
    }
  };
  if (error) return <Page title={t('portal.mfa.title')}><ErrorNotice error={error} onRetry={() => void reload()} /></Page>;
  if (!status) return <Page title={t('portal.mfa.title')}><Loading /></Page>;
  const enrolled = status.totp || status.passkeys.length > 0;
  const fresh = status.freshUntil !== null;
  return (
    <Page title={t('portal.mfa.title')} subtitle={t(POLICY_TEXT[status.policy])}>
      <Section title={t('portal.mfa.passkeys')}>
        {status.passkeys.length === 0 ? <p className="portal-muted">{t('portal.mfa.noPasskeys')}</p> : (
          <ul className="portal-mfa-list">
            {status.passkeys.map((k) => (
              <li key={k.id}>
                <span>{k.name}</span> <span className="portal-muted">{t('portal.mfa.added', { time: formatDateTime(k.createdAt) })}</span>{' '}
                <Button type="button" variant="secondary" aria-label={t('portal.mfa.removeNamed', { name: k.name })} onClick={() => void remove(() => portalCall(e.passkeyRemove, { params: { id: k.id } }))}>{t('portal.mfa.remove')}</Button>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t('portal.mfa.totp')}>
        {status.totp ? (
          <p>
            {t('portal.mfa.totpOn')}{' '}
            <Button type="button" variant="secondary" aria-label={t('portal.mfa.removeTotp')} onClick={() => void remove(() => portalCall(e.totpRemove))}>{t('portal.mfa.remove')}</Button>
          </p>
        ) : <p className="portal-muted">{t('portal.mfa.totpOff')}</p>}
      </Section>
      <ErrorNotice error={removeError} />
      {confirming || (enrolled && !fresh) ? (
        <Section title={t('portal.mfa.stepUpTitle')}>
          <p>{t('portal.mfa.confirmToChange')}</p>
          <ProveFactor status={status} onVerified={async () => { setConfirming(false); await reload(); }} />
        </Section>
      ) : (
        <Section title={t('portal.mfa.add')}>
          {enrolled ? null : <Notice>{t('portal.mfa.enrolIntro')}</Notice>}
          <AddFactor hasTotp={status.totp} onAdded={reload} />
        </Section>
      )}
    </Page>
  );
}
