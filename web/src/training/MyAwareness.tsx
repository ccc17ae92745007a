/** One's own awareness page (/training/awareness): the score, its history, what moved it, simulations and training. */
import { Link } from 'wouter';
import { awarenessEndpoints as e } from '../../../src/platform/http/schemas/awareness.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { AwarenessPersonView } from '../security/AwarenessPerson.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { Page } from '../ui/Page.js';

export function MyAwarenessPage() {
  const res = useResource(() => call(e.me), []);
  return (
    <Page title={t('awareness.me')} subtitle={t('awareness.me.subtitle')} actions={<Link href="/training" className="btn btn--secondary">{t('training.title')}</Link>}>
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {res.data ? <AwarenessPersonView data={res.data} /> : res.loading ? <Loading /> : null}
    </Page>
  );
}
