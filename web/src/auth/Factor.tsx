/**
 * The second step of sign-in: prove a factor, or enrol the first one when the
 * account has none (invitation, first sign-in), or register the passkey a
 * phishing-resistant role needs. The server decides; this screen follows.
 */
import { useState } from 'react';
import { Redirect, useLocation, useSearch } from 'wouter';
import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { mfaEndpoints } from '../../../src/platform/http/schemas/mfa.js';
import { call, setCsrfToken } from '../api.js';
import { t } from '../i18n/index.js';
import { useSession } from '../session.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { AuthCard } from './AuthCard.js';
import { EnrolmentFlow } from './enrol.js';
import { nextFromSearch } from './links.js';
import { ProveFactor, type Overview, type Proof } from './prove.js';

export function hasNoFactor(o: Overview): boolean {
  const f = o.factors;
  return !f.totp && f.webauthn.length === 0 && !f.email && !f.sms.enrolled && f.recoveryCodesLeft === 0;
}

export function Factor() {
  const { state, reload } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const next = nextFromSearch(search);
  const [needsPasskey, setNeedsPasskey] = useState(false);
  const overview = useResource(() => call(mfaEndpoints.overview), [state.status]);

  if (state.status === 'loading') return <AuthCard title={t('auth.factor.title')}><Loading /></AuthCard>;
  if (state.status === 'anonymous') return <Redirect to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  if (state.status === 'signed-in') return <Redirect to={next} replace />;

  const signOut = async () => {
    await call(authEndpoints.signOut).catch(() => undefined);
    await reload();
  };
  const finish = async () => {
    await reload();
    navigate(next, { replace: true });
  };
  const prove = async (proof: Proof) => {
    const done = await call(mfaEndpoints.verify, { body: proof });
    setCsrfToken(done.csrfToken);
    if (done.mfaComplete) await finish();
    else if (done.next === 'enrol_webauthn') setNeedsPasskey(true);
  };

  const o = overview.data;
  let body;
  let title = t('auth.factor.title');
  if (overview.error) body = <ErrorNotice error={overview.error} onRetry={overview.reload} />;
  else if (!o) body = <Loading />;
  else if (needsPasskey || (o.method !== null && o.phishingResistantRequired && o.factors.webauthn.length === 0)) {
    title = t('auth.factor.passkeyTitle');
    body = <EnrolmentFlow phishingResistantRequired initial="passkeyRequired" onComplete={() => void finish()} />;
  } else if (hasNoFactor(o)) {
    title = t('auth.factor.enrolTitle');
    body = <EnrolmentFlow phishingResistantRequired={o.phishingResistantRequired} onComplete={() => void finish()} />;
  } else {
    body = <ProveFactor overview={o} purpose="signin" prove={prove} />;
  }
  return (
    <AuthCard title={title} subtitle={state.status === 'needs-factor' ? t('auth.factor.subtitle', { email: state.me.user.email }) : undefined} wide={Boolean(o && hasNoFactor(o))}>
      {body}
      <p className="auth__footer">
        <button type="button" className="btn btn--ghost btn--small" onClick={() => void signOut()}>{t('auth.factor.signOut')}</button>
      </p>
    </AuthCard>
  );
}
