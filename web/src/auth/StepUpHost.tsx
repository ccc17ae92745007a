/**
 * Mounted once in the staff shell. When the server answers step_up_required,
 * api.ts asks this host; it opens a dialog for a fresh second factor (a
 * passkey, or an authenticator code where the role allows it), sends it to
 * POST /api/auth/step-up, and tells api.ts whether to retry the request.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { mfaEndpoints } from '../../../src/platform/http/schemas/mfa.js';
import { call, onStepUp } from '../api.js';
import { t } from '../i18n/index.js';
import { Dialog } from '../ui/Dialog.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { ProveFactor, type Proof } from './prove.js';
import './auth.css';

function StepUpForm({ onDone }: { onDone: () => void }) {
  const overview = useResource(() => call(mfaEndpoints.overview), []);
  const prove = async (proof: Proof) => {
    await call(mfaEndpoints.stepUp, { body: proof });
    onDone();
  };
  if (overview.error) return <ErrorNotice error={overview.error} onRetry={overview.reload} />;
  if (!overview.data) return <Loading />;
  return (
    <>
      <p>{t('auth.stepUp.body')}</p>
      <ProveFactor overview={overview.data} purpose="step-up" prove={prove} busyLabel={t('auth.stepUp.confirm')} />
    </>
  );
}

export default function StepUpHost() {
  const [open, setOpen] = useState(false);
  const resolver = useRef<((ok: boolean) => void) | null>(null);

  const settle = useCallback((ok: boolean) => {
    const resolve = resolver.current;
    resolver.current = null;
    setOpen(false);
    resolve?.(ok);
  }, []);

  useEffect(
    () =>
      onStepUp(
        () =>
          new Promise<boolean>((resolve) => {
            resolver.current?.(false);
            resolver.current = resolve;
            setOpen(true);
          }),
      ),
    [],
  );
  const onClose = useCallback(() => settle(false), [settle]);

  return (
    <Dialog open={open} title={t('auth.stepUp.title')} onClose={onClose}>
      {open ? <StepUpForm onDone={() => settle(true)} /> : null}
    </Dialog>
  );
}
