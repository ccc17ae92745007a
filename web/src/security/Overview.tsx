/** The security centre's landing page: what needs attention in each part, one link each. */
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { accessReviewEndpoints } from '../../../src/platform/http/schemas/access-reviews.js';
import { auditEndpoints } from '../../../src/platform/http/schemas/audit.js';
import { phishingReportEndpoints } from '../../../src/platform/http/schemas/phishing-reports.js';
import { quarantineEndpoints } from '../../../src/platform/http/schemas/quarantine.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';
import { maySeeSecurityCentre } from './access.js';
import { SecurityNav } from './SecurityNav.js';

function Card({ title, href, linkText, children }: { title: string; href: string; linkText: string; children: ReactNode }) {
  return (
    <section className="sec-card" aria-labelledby={`${href.replace(/\W/g, '')}-title`}>
      <h2 id={`${href.replace(/\W/g, '')}-title`} className="sec-card__title">{title}</h2>
      <div className="sec-card__body">{children}</div>
      <Link href={href} className="sec-card__link">{linkText}</Link>
    </section>
  );
}

function Count<T>({ load, render }: { load: () => Promise<T>; render: (value: T) => ReactNode }) {
  const res = useResource(() => load(), []);
  if (res.loading && !res.data) return <Loading />;
  if (res.error) return <ErrorNotice error={res.error} onRetry={res.reload} />;
  return res.data === undefined ? null : <>{render(res.data)}</>;
}

/** For a member without any security-centre ability (an administrator, an agent): what the centre is and how to get in. */
function NotForYou() {
  const { can } = useMe();
  return (
    <Page title={t('security.overview.title')} subtitle={t('security.noAccess.subtitle')}>
      <div className="sec-panel">
        <p>{t('security.noAccess.body')}</p>
        <p>{t('security.noAccess.how')}</p>
        <ul>
          {can('users.manage') ? <li><Link href="/admin/staff">{t('security.noAccess.openStaff')}</Link></li> : <li>{t('security.noAccess.askAdmin')}</li>}
          {can('tickets.read') ? <li><Link href="/security/phishing-reports">{t('security.noAccess.myReports')}</Link></li> : null}
        </ul>
      </div>
    </Page>
  );
}

export function Overview() {
  const { can } = useMe();
  if (!maySeeSecurityCentre(can)) return <NotForYou />;
  return (
    <Page title={t('security.overview.title')} subtitle={t('security.overview.subtitle')} wide>
      <SecurityNav />
      <div className="sec-cards">
        {can('audit.read') ? (
          <Card title={t('security.nav.audit')} href="/security/audit" linkText={t('security.overview.openAudit')}>
            <Count
              load={() => call(auditEndpoints.checkpoint)}
              render={({ checkpoint }) =>
                checkpoint ? (
                  <p>
                    {t('security.overview.checkpoint', { entries: tp('security.entries', checkpoint.treeSize) })} <RelativeTime value={checkpoint.signedAt} />
                  </p>
                ) : (
                  <p>{t('security.checkpoint.none')}</p>
                )
              }
            />
          </Card>
        ) : null}
        {can('reviews.manage') || can('reviews.decide') ? (
          <Card title={t('security.nav.reviews')} href="/access-reviews" linkText={t('security.overview.openReviews')}>
            <Count load={() => call(accessReviewEndpoints.list, { query: { status: 'open' } })} render={({ campaigns }) => <p>{tp('security.overview.openCampaigns', campaigns.length)}</p>} />
          </Card>
        ) : null}
        {can('quarantine.read') ? (
          <Card title={t('security.nav.quarantine')} href="/quarantine" linkText={t('security.overview.openQuarantine')}>
            <Count load={() => call(quarantineEndpoints.list, { query: { status: 'held' } })} render={({ items }) => <p>{tp('security.overview.held', items.length)}</p>} />
          </Card>
        ) : null}
        {can('tickets.read') ? (
          <Card title={t('security.nav.reports')} href="/security/phishing-reports" linkText={t('security.overview.openReports')}>
            <Count load={() => call(phishingReportEndpoints.list, { query: {} })} render={({ items }) => <p>{tp('security.overview.pendingReports', items.filter((i) => i.outcome === 'pending').length)}</p>} />
          </Card>
        ) : null}
      </div>
    </Page>
  );
}
