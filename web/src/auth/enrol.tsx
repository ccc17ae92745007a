/**
 * Second-factor enrolment, shared by first-run setup, the factor step of
 * sign-in and the account page: an authenticator app (QR code and the secret
 * as text), a passkey, and the recovery codes shown once. The QR drawing and
 * the WebAuthn library load only when used.
 */
import { lazy, Suspense, useState, type FormEvent } from 'react';
import type { ResponseOf } from '../../../src/platform/http/schemas/common.js';
import { mfaEndpoints } from '../../../src/platform/http/schemas/mfa.js';
import { call, setCsrfToken } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { CheckboxField, TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import './enrol.css';

const Qr = lazy(() => import('./Qr.js'));

export type Enrolled = ResponseOf<typeof mfaEndpoints.totpConfirm>;

/** The secret in groups of four, easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})/g, '$1 ').trim();
}

/** Passkey errors: a cancelled prompt is not a failure worth a red box. */
async function passkeyError(error: unknown): Promise<unknown> {
  const { isCancelled } = await import('./webauthn.js');
  return isCancelled(error) ? new Error(t('auth.passkey.cancelled')) : error;
}

export function PasskeyErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof Error && error.message === t('auth.passkey.cancelled')) {
    return <Notice tone="warning" title={t('auth.passkey.cancelled')}>{t('auth.passkey.cancelledHint')}</Notice>;
  }
  return <ErrorNotice error={error} />;
}

export function TotpEnrol({ onEnrolled, onCancel }: { onEnrolled: (result: Enrolled) => void; onCancel?: () => void }) {
  const [started, setStarted] = useState<{ secret: string; uri: string } | null>(null);
  const [code, setCode] = useState('');
  const start = useSubmit(() => call(mfaEndpoints.totpEnrol));
  const confirm = useSubmit((value: string) => call(mfaEndpoints.totpConfirm, { body: { code: value } }));

  const begin = async () => {
    const s = await start.run();
    if (s) setStarted(s);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await confirm.run(code.replace(/\s+/g, ''));
    if (result) {
      setCsrfToken(result.csrfToken);
      onEnrolled(result);
    }
  };

  if (!started) {
    return (
      <div className="enrol">
        <p>{t('auth.totp.intro')}</p>
        <ErrorNotice error={start.error} />
        <div className="form__actions">
          <Button variant="primary" busy={start.busy} onClick={() => void begin()}>{t('auth.totp.start')}</Button>
          {onCancel ? <Button onClick={onCancel}>{t('action.cancel')}</Button> : null}
        </div>
      </div>
    );
  }
  return (
    <form className="enrol form" onSubmit={(e) => void submit(e)} noValidate>
      <ol className="enrol__steps">
        <li>{t('auth.totp.scan')}</li>
        <li>{t('auth.totp.enterCode')}</li>
      </ol>
      <div className="enrol__qr">
        <Suspense fallback={<Loading />}>
          <Qr value={started.uri} label={t('auth.totp.qrLabel')} />
        </Suspense>
        <div className="enrol__manual">
          <p className="enrol__manualTitle">{t('auth.totp.manual')}</p>
          <code className="secret" data-secret={started.secret} aria-label={t('auth.totp.secretLabel')}>{groupSecret(started.secret)}</code>
        </div>
      </div>
      <TextField
        label={t('auth.totp.codeLabel')}
        hint={t('auth.totp.codeHint')}
        inputMode="numeric"
        autoComplete="one-time-code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        error={confirm.fieldErrors.code}
        required
      />
      <ErrorNotice error={confirm.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={confirm.busy}>{t('auth.totp.confirm')}</Button>
        {onCancel ? <Button onClick={onCancel}>{t('action.cancel')}</Button> : null}
      </div>
    </form>
  );
}

export function PasskeyEnrol({ onEnrolled, onCancel, required }: { onEnrolled: (result: Enrolled) => void; onCancel?: () => void; required?: boolean }) {
  const [name, setName] = useState('');
  const register = useSubmit(async (value: string) => {
    const { registerPasskey } = await import('./webauthn.js');
    try {
      return await registerPasskey(value.trim() || undefined);
    } catch (error) {
      throw await passkeyError(error);
    }
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await register.run(name);
    if (result) {
      setCsrfToken(result.csrfToken);
      onEnrolled(result);
    }
  };
  return (
    <form className="enrol form" onSubmit={(e) => void submit(e)} noValidate>
      {required ? <Notice tone="info" title={t('auth.passkey.requiredTitle')}>{t('auth.passkey.requiredBody')}</Notice> : <p>{t('auth.passkey.intro')}</p>}
      <TextField label={t('auth.passkey.nameLabel')} hint={t('auth.passkey.nameHint')} value={name} maxLength={60} onChange={(e) => setName(e.target.value)} optional error={register.fieldErrors.name} />
      <PasskeyErrorNotice error={register.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={register.busy}>{t('auth.passkey.create')}</Button>
        {onCancel ? <Button onClick={onCancel}>{t('action.cancel')}</Button> : null}
      </div>
    </form>
  );
}

/** Recovery codes, shown once: the person confirms they saved them before going on. */
export function RecoveryCodes({ codes, onDone, doneLabel }: { codes: string[]; onDone: () => void; doneLabel?: string }) {
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="enrol">
      <Notice tone="warning" title={t('auth.recovery.title')}>{t('auth.recovery.body')}</Notice>
      <ol className="codes" aria-label={t('auth.recovery.listLabel')}>
        {codes.map((c) => (
          <li key={c}><code>{c}</code></li>
        ))}
      </ol>
      <div className="form__actions">
        <Button onClick={() => void copy()}>{copied ? t('action.copied') : t('auth.recovery.copy')}</Button>
      </div>
      <CheckboxField label={t('auth.recovery.saved')} checked={saved} onChange={(e) => setSaved(e.target.checked)} />
      <div className="form__actions">
        <Button variant="primary" disabled={!saved} onClick={onDone}>{doneLabel ?? t('action.next')}</Button>
      </div>
    </div>
  );
}

type Step = 'choose' | 'totp' | 'passkey' | 'codes' | 'passkeyRequired';

/**
 * The first enrolment of an account (setup, invitation, first sign-in). The
 * server decides what is enough: when the role needs a phishing-resistant
 * factor, an authenticator app opens only the way to registering a passkey.
 */
export function EnrolmentFlow({ phishingResistantRequired, onComplete, initial }: { phishingResistantRequired: boolean; onComplete: () => void; initial?: Step }) {
  const [step, setStep] = useState<Step>(initial ?? 'choose');
  const [result, setResult] = useState<Enrolled | null>(null);

  const proceed = (r: Enrolled) => {
    if (r.mfaComplete) onComplete();
    else if (r.next === 'enrol_webauthn') setStep('passkeyRequired');
    else onComplete();
  };
  const enrolled = (r: Enrolled) => {
    setResult(r);
    if (r.recoveryCodes && r.recoveryCodes.length > 0) setStep('codes');
    else proceed(r);
  };

  switch (step) {
    case 'totp':
      return (
        <section aria-labelledby="enrol-totp">
          <h2 id="enrol-totp" className="section__title">{t('auth.totp.title')}</h2>
          <TotpEnrol onEnrolled={enrolled} onCancel={() => setStep('choose')} />
        </section>
      );
    case 'passkey':
    case 'passkeyRequired':
      return (
        <section aria-labelledby="enrol-passkey">
          <h2 id="enrol-passkey" className="section__title">{t('auth.passkey.title')}</h2>
          <PasskeyEnrol onEnrolled={enrolled} required={step === 'passkeyRequired' || phishingResistantRequired} {...(step === 'passkey' ? { onCancel: () => setStep('choose') } : {})} />
        </section>
      );
    case 'codes':
      return (
        <section aria-labelledby="enrol-codes">
          <h2 id="enrol-codes" className="section__title">{t('auth.recovery.heading')}</h2>
          <RecoveryCodes codes={result?.recoveryCodes ?? []} onDone={() => result && proceed(result)} />
        </section>
      );
    default:
      return (
        <section aria-labelledby="enrol-choose" className="enrol">
          <h2 id="enrol-choose" className="section__title">{t('auth.enrol.title')}</h2>
          <p>{phishingResistantRequired ? t('auth.enrol.introPhishingResistant') : t('auth.enrol.intro')}</p>
          <ul className="choices">
            <li>
              <button type="button" className="choice" onClick={() => setStep(phishingResistantRequired ? 'passkey' : 'totp')}>
                <span className="choice__title">{phishingResistantRequired ? t('auth.enrol.passkey') : t('auth.enrol.totp')}</span>
                <span className="choice__body">{phishingResistantRequired ? t('auth.enrol.passkeyBody') : t('auth.enrol.totpBody')}</span>
              </button>
            </li>
            <li>
              <button type="button" className="choice" onClick={() => setStep(phishingResistantRequired ? 'totp' : 'passkey')}>
                <span className="choice__title">{phishingResistantRequired ? t('auth.enrol.totpFirst') : t('auth.enrol.passkey')}</span>
                <span className="choice__body">{phishingResistantRequired ? t('auth.enrol.totpFirstBody') : t('auth.enrol.passkeyBody')}</span>
              </button>
            </li>
          </ul>
        </section>
      );
  }
}
