/**
 * "Away" in the top bar for people who take tickets: while away, round-robin and least-busy assignment skip
 * you (tickets already yours stay yours). A toggle button (aria-pressed), so its state is announced.
 */
import { useState } from 'react';
import { workEndpoints } from '../../../src/platform/http/schemas/work.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useResource } from '../ui/hooks.js';

export function AwayToggle() {
  const state = useResource((signal) => call(workEndpoints.away, {}, { signal }), []);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  if (!state.data) return null;
  const away = state.data.away;
  const toggle = async () => {
    setBusy(true);
    setFailed(false);
    try {
      await call(workEndpoints.setAway, { body: { away: !away } });
      state.reload();
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className={away ? 'btn btn--small away away--on' : 'btn btn--ghost btn--small away'} aria-pressed={away} disabled={busy}
      title={failed ? t('away.failed') : t(away ? 'away.onHint' : 'away.offHint')} onClick={() => void toggle()}>
      {t('away.label')}
    </button>
  );
}
