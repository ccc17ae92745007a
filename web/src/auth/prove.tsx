/**
 * Proving a second factor, for the sign-in factor step and for step-up: a
 * passkey first (the only choice when the role needs a phishing-resistant
 * factor and one is registered), then an authenticator code, email or SMS
 * code, or a recovery code.
 */
import { useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import type { ResponseOf } from '../../../src/platform/http/schemas/common.js';
import { mfaEndpoints, type ProofBody } from '../../../src/platform/http/schemas/mfa.js';
import { call } from '../api.js';
import { t, type MessageKey } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice } from '../ui/notices.js';
import { PasskeyErrorNotice } from './enrol.js';

export type Overview = ResponseOf<typeof mfaEndpoints.overview>;
export type Proof = Static<typeof ProofBody>;
type Mode = 'passkey' | 'totp' | 'email' | 'sms' | 'recovery';

const MODE_LABEL: Record<Mode, MessageKey> = {
  passkey: 'auth.prove.usePasskey',
  totp: 'auth.prove.useTotp',
  email: 'auth.prove.useEmail',
  sms: 'auth.prove.useSms',
  recovery: 'auth.prove.useRecovery',
};

export function availableModes(overview: Overview, purpose: 'signin' | 'step-up'): Mode[] {
  const f = overview.factors;
  const passkeyOnly = overview.phishingResistantRequired && (f.webauthn.length > 0 || purpose === 'step-up');
  const modes: Mode[] = [];
  if (f.webauthn.length > 0) modes.push('passkey');
  if (passkeyOnly) return modes;
  if (f.totp) modes.push('totp');
  if (f.email && purpose === 'signin') modes.push('email');
  if (f.sms.enrolled && purpose === 'signin') modes.push('sms');
  if (f.recoveryCodesLeft > 0 && purpose === 'signin') modes.push('recovery');
  return modes;
}

export function ProveFactor({ overview, purpose, prove, busyLabel }: { overview: Overview; purpose: 'signin' | 'step-up'; prove: (proof: Proof) => Promise<void>; busyLabel?: string }) {
  const modes = availableModes(overview, purpose);
  const [mode, setMode] = useState<Mode | undefined>(modes[0]);
  const [code, setCode] = useState('');
  const [challenge, setChallenge] = useState<{ id: string; destination: string } | null>(null);
  const send = useSubmit((channel: 'email' | 'sms') => call(mfaEndpoints.sendCode, { body: { channel } }));
  const submit = useSubmit(async (proof: Proof | 'passkey') => {
    if (proof === 'passkey') {
      const { passkeyProof, isCancelled } = await import('./webauthn.js');
      let p: Proof;
      try {
        p = await passkeyProof();
      } catch (error) {
        throw isCancelled(error) ? new Error(t('auth.passkey.cancelled')) : error;
      }
      await prove(p);
      return true;
    }
    await prove(proof);
    return true;
  });

  const choose = (m: Mode) => {
    setMode(m);
    setCode('');
    setChallenge(null);
    submit.reset();
    send.reset();
  };
  const sendCode = async (channel: 'email' | 'sms') => {
    const sent = await send.run(channel);
    if (sent) setChallenge({ id: sent.challengeId, destination: sent.destination });
  };
  const submitCode = (event: FormEvent) => {
    event.preventDefault();
    const value = code.replace(/\s+/g, '');
    if (mode === 'totp' || mode === 'recovery') void submit.run({ factor: mode, code: value });
    else if ((mode === 'email' || mode === 'sms') && challenge) void submit.run({ factor: mode, challengeId: challenge.id, code: value });
  };

  if (!mode) return <ErrorNotice error={new Error(t('auth.prove.none'))} />;

  const codeForm = (label: MessageKey, hint: MessageKey, numeric: boolean) => (
    <form className="form" onSubmit={submitCode} noValidate>
      <TextField
        label={t(label)}
        hint={t(hint)}
        inputMode={numeric ? 'numeric' : 'text'}
        autoComplete="one-time-code"
        autoCapitalize="none"
        spellCheck={false}
        value={code}
        onChange={(e) => setCode(e.target.value)}
        error={submit.fieldErrors.code}
        required
      />
      <ErrorNotice error={submit.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={submit.busy}>{busyLabel ?? t('auth.prove.verify')}</Button>
      </div>
    </form>
  );

  return (
    <div className="prove">
      {mode === 'passkey' ? (
        <div className="prove__passkey">
          <p>{overview.phishingResistantRequired ? t('auth.prove.passkeyRequired') : t('auth.prove.passkeyIntro')}</p>
          <PasskeyErrorNotice error={submit.error} />
          <Button variant="primary" busy={submit.busy} onClick={() => void submit.run('passkey')}>{t('auth.prove.passkeyButton')}</Button>
        </div>
      ) : null}
      {mode === 'totp' ? codeForm('auth.prove.totpLabel', 'auth.prove.totpHint', true) : null}
      {mode === 'recovery' ? codeForm('auth.prove.recoveryLabel', 'auth.prove.recoveryHint', false) : null}
      {mode === 'email' || mode === 'sms' ? (
        challenge ? (
          <>
            <p role="status">{t('auth.prove.codeSent', { destination: challenge.destination })}</p>
            {codeForm('auth.prove.codeLabel', 'auth.prove.codeHint', true)}
          </>
        ) : (
          <div className="form">
            <p>{mode === 'email' ? t('auth.prove.emailIntro') : t('auth.prove.smsIntro', { phone: overview.factors.sms.phone ?? '' })}</p>
            <ErrorNotice error={send.error} />
            <div className="form__actions">
              <Button variant="primary" busy={send.busy} onClick={() => void sendCode(mode)}>{t('auth.prove.send')}</Button>
            </div>
          </div>
        )
      ) : null}
      {modes.length > 1 ? (
        <nav className="prove__others" aria-label={t('auth.prove.others')}>
          <p className="prove__othersTitle">{t('auth.prove.others')}</p>
          <ul>
            {modes.filter((m) => m !== mode).map((m) => (
              <li key={m}>
                <button type="button" className="btn btn--ghost btn--small" onClick={() => choose(m)}>{t(MODE_LABEL[m])}</button>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
    </div>
  );
}
