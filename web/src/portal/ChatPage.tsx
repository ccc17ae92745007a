/**
 * The live chat inside the portal, for the signed-in customer: the same frame as
 * on the organisation's website (/chat/frame, decision 0183), identified by the
 * portal session instead of a site token. The frame may be framed only by the
 * portal itself (`frame-ancestors 'self'` in portal mode).
 */
import { useEffect, useState } from 'react';
import { chatEndpoints } from '../../../src/platform/http/schemas/chat.js';
import { t } from '../i18n/index.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { usePortal, portalCall } from './session.js';

export function ChatPage() {
  const { org } = usePortal();
  const [state, setState] = useState<{ status: 'loading' } | { status: 'ready'; available: boolean } | { status: 'off' } | { status: 'error'; error: unknown }>({ status: 'loading' });
  useEffect(() => {
    if (!org) return;
    let live = true;
    portalCall(chatEndpoints.availability, { query: { orgId: org.id, host: window.location.origin, portal: true } }).then(
      (a) => live && setState({ status: 'ready', available: a.available }),
      (error: unknown) => live && setState((error as { status?: number }).status === 404 ? { status: 'off' } : { status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [org]);
  return (
    <div className="page portal-chat">
      <h1>{t('portal.chat.title')}</h1>
      {state.status === 'loading' || !org ? <Loading /> : null}
      {state.status === 'off' ? <p>{t('portal.chat.off')}</p> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} /> : null}
      {state.status === 'ready' && org ? (
        <>
          {!state.available ? <p>{t('portal.chat.nobody')}</p> : null}
          <iframe className="portal-chat__frame" title={t('portal.chat.frameTitle')} src={`/chat/frame?org=${encodeURIComponent(org.id)}&portal=1`} />
        </>
      ) : null}
    </div>
  );
}
