import { Link } from 'wouter';
import { t } from '../i18n/index.js';
import { Page } from '../ui/Page.js';

export function NotFound() {
  return (
    <Page title={t('app.notFound.title')}>
      <p>{t('app.notFound.body')}</p>
      <p>
        <Link href="/tickets">{t('app.notFound.home')}</Link>
      </p>
    </Page>
  );
}
