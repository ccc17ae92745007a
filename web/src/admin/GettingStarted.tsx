/**
 * The getting-started checklist (decision 0160): four steps read from real state by the server, each a link to the
 * screen where it is done. Administrators land here after sign-in while it is incomplete and not dismissed.
 */
import { Link } from 'wouter';
import { onboardingEndpoints } from '../../../src/platform/http/schemas/onboarding.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';

export function GettingStarted() {
  const state = useResource(() => call(onboardingEndpoints.read), []);
  const dismiss = useSubmit(async () => {
    await call(onboardingEndpoints.dismiss);
    state.reload();
    return true as const;
  });
  const data = state.data;
  const done = data ? data.items.filter((i) => i.done).length : 0;
  return (
    <Page title={t('admin.start.title')} subtitle={t('admin.start.subtitle')}>
      <AdminNav />
      {state.loading && !data ? <Loading /> : null}
      <ErrorNotice error={state.error} onRetry={state.reload} />
      {data ? (
        <>
          <p className="start-progress" role="status">{t('admin.start.progress', { done, total: data.items.length })}</p>
          <ol className="start-list" aria-label={t('admin.start.listLabel')}>
            {data.items.map((item) => (
              <li key={item.key} className={item.done ? 'start-item start-item--done' : 'start-item'} data-testid={`start-${item.key}`} data-done={item.done ? 'true' : 'false'}>
                <div className="start-item__head">
                  <Link href={item.href} className="start-item__link">{t(`admin.start.item.${item.key}`)}</Link>
                  <Badge tone={item.done ? 'success' : 'neutral'}>{item.done ? t('admin.start.done') : t('admin.start.todo')}</Badge>
                </div>
                <p className="start-item__hint">{t(`admin.start.hint.${item.key}`)}</p>
              </li>
            ))}
          </ol>
          {data.complete ? <Notice tone="success" title={t('admin.start.complete')} /> : null}
          {data.dismissed && !data.complete ? <Notice title={t('admin.start.dismissed')} /> : null}
          <ErrorNotice error={dismiss.error} />
          <div className="form__actions">
            {!data.dismissed && !data.complete ? <Button onClick={() => void dismiss.run()} busy={dismiss.busy}>{t('admin.start.dismiss')}</Button> : null}
            <Link href="/tickets" className="btn btn--ghost">{t('admin.start.toTickets')}</Link>
          </div>
        </>
      ) : null}
    </Page>
  );
}
