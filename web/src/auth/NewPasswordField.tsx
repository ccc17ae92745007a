/**
 * A field for choosing a password, with the server's own verdict while typing
 * (POST /api/auth/password/check: length, common passwords, made of the
 * person's details), so nobody learns the rules only from a refused form.
 */
import { useEffect, useState } from 'react';
import { authEndpoints, PASSWORD_MIN_LENGTH } from '../../../src/platform/http/schemas/auth.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { TextField } from '../ui/fields.js';

type Verdict = { state: 'idle' } | { state: 'checking' } | { state: 'ok' } | { state: 'weak'; problem: string };

export function NewPasswordField({ label, value, onChange, context = [], error, autoComplete = 'new-password' }: { label?: string; value: string; onChange: (value: string) => void; context?: string[]; error?: string | undefined; autoComplete?: string }) {
  const [verdict, setVerdict] = useState<Verdict>({ state: 'idle' });
  const contextKey = context.filter((c) => c.trim().length > 0).slice(0, 5).join('\u0000');

  useEffect(() => {
    if (value.length === 0) {
      setVerdict({ state: 'idle' });
      return;
    }
    if ([...value].length < PASSWORD_MIN_LENGTH) {
      setVerdict({ state: 'weak', problem: t('auth.password.tooShort', { min: PASSWORD_MIN_LENGTH }) });
      return;
    }
    setVerdict({ state: 'checking' });
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      const words = contextKey ? contextKey.split('\u0000') : [];
      call(authEndpoints.checkPassword, { body: { password: value, context: words } }, { signal: controller.signal }).then(
        (r) => setVerdict(r.acceptable ? { state: 'ok' } : { state: 'weak', problem: r.problem ?? t('auth.password.weak') }),
        () => {
          if (!controller.signal.aborted) setVerdict({ state: 'idle' });
        },
      );
    }, 350);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [value, contextKey]);

  const feedback =
    verdict.state === 'ok' ? <span className="strength strength--ok">{t('auth.password.ok')}</span>
    : verdict.state === 'weak' ? <span className="strength strength--weak">{verdict.problem}</span>
    : verdict.state === 'checking' ? <span className="strength">{t('auth.password.checking')}</span>
    : <span className="strength">{t('auth.password.rules', { min: PASSWORD_MIN_LENGTH })}</span>;

  return (
    <TextField
      label={label ?? t('auth.password.new')}
      type="password"
      autoComplete={autoComplete}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      hint={<span aria-live="polite">{feedback}</span>}
      error={error}
      required
    />
  );
}
