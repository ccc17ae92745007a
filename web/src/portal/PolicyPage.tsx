/**
 * /portal/policy: the organisation's public data-handling policy and the plain guidance on reaching the team
 * safely (decision 0214). Anonymous: every customer email links here. The policy's HTML was sanitised by the
 * server and the page runs under the CSP.
 */
import { policyEndpoints as e } from '../../../src/platform/http/schemas/policies.js';
import { formatDateTime, t } from '../i18n/index.js';
import { OrgMissing } from './OrgMissing.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { portalCall, usePortal } from './session.js';
import '../styles/articles.css';

export function PolicyPage() {
  const { org, orgError } = usePortal();
  const policy = useResource(async () => (org ? portalCall(e.publicPolicy, { query: { organizationId: org.id } }) : null), [org?.id]);
  const d = policy.data;
  return (
    <Page title={d?.policy?.title ?? t('policies.portal.title')} subtitle={d?.policy ? t('policies.portal.effective', { date: formatDateTime(d.policy.effectiveAt) }) : undefined}>
      <div className="portal-card portal-card--wide">
        {orgError && !org ? <OrgMissing error={orgError} /> : null}
        <ErrorNotice error={policy.error} onRetry={policy.reload} />
        {policy.loading && !d ? <Loading /> : null}
        {d ? (
          <>
            <Notice tone="info" title={t('policies.portal.secure')}>{d.guidance}</Notice>
            {d.policy ? <div className="kb-article" dangerouslySetInnerHTML={{ __html: d.policy.html }} /> : <p>{t('policies.portal.none')}</p>}
          </>
        ) : null}
      </div>
    </Page>
  );
}
