/**
 * Presence in the top bar for people who take tickets: Online, or Away (the toggle pressed). While away,
 * round-robin and least-busy assignment and chat offers skip you (tickets and chats already yours stay yours).
 * A toggle button (aria-pressed), so its state is announced; the dot shows it at a glance. It also reports
 * activity (at most once a minute) so the server can mark an idle console away (docs/chat.md).
 */
import { useState } from 'react';
import { workEndpoints } from '../../../src/platform/http/schemas/work.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useResource } from '../ui/hooks.js';
import { chatEndpoints } from '../../../src/platform/http/schemas/chat.js';
import { useActivityReport } from './chat/live.js';

export function AwayToggle() {
  const state = useResource((signal) => call(workEndpoints.away, {}, { signal }), []);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  useActivityReport(true);
  if (!state.data) return null;
  const away = state.data.away;
  const toggle = async () => {
    setBusy(true);
    setFailed(false);
    try {
      await call(chatEndpoints.presence, { body: { status: away ? 'online' : 'away' } });
      state.reload();
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  // "Online" is said beside the toggle (not inside it: the button's name stays "Away", pressed or not).
  return (
    <>
    {away ? null : <span className="presence"><span className="presence-dot presence-dot--online" aria-hidden="true" />{t('away.online')}</span>}
    <button type="button" className={away ? 'btn btn--small away away--on' : 'btn btn--ghost btn--small away'} aria-pressed={away} disabled={busy}
      title={failed ? t('away.failed') : t(away ? 'away.onHint' : 'away.offHint')} onClick={() => void toggle()}>
      {t('away.label')}
    </button>
    </>
  );
}
