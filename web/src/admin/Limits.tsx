/**
 * The organisation's limits and what is used (decision 0235), read-only: the
 * installation's operator sets them, so there is nothing to change here, only
 * who to ask.
 */
import { organizationEndpoints } from '../../../src/platform/http/schemas/organization.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useResource } from '../ui/hooks.js';
import { Badge } from '../ui/notices.js';
import { Section } from '../ui/Page.js';

/** Decimal units, as `trustdesk orgs limits` prints them (5GB = 5,000,000,000 bytes). */
export function formatStorage(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${u === 0 ? v : Number(v.toFixed(v < 10 ? 2 : 1))} ${units[u]}`;
}

function Usage({ used, limit, show = String }: { used: number; limit: number | null; show?: (n: number) => string }) {
  if (limit === null) return <>{t('admin.limits.unlimited', { used: show(used) })}</>;
  return (
    <>
      {t('admin.limits.of', { used: show(used), limit: show(limit) })}{' '}
      {used >= limit ? <Badge tone="warning">{t('admin.limits.reached')}</Badge> : null}
    </>
  );
}

export function OrganizationLimits() {
  const limits = useResource(() => call(organizationEndpoints.limits), []);
  const l = limits.data;
  // Quiet when it cannot be read: the staff list below is what this page is for.
  if (!l) return null;
  return (
    <Section title={t('admin.limits.title')} id="limits">
      <dl className="pairs">
        <dt>{t('admin.limits.seats')}</dt><dd><Usage used={l.seats.used} limit={l.seats.limit} /></dd>
        <dt>{t('admin.limits.storage')}</dt><dd><Usage used={l.storageBytes.used} limit={l.storageBytes.limit} show={formatStorage} /></dd>
        <dt>{t('admin.limits.inbound')}</dt><dd><Usage used={l.inboundPerDay.used} limit={l.inboundPerDay.limit} /></dd>
      </dl>
      <p className="adm-muted">{t('admin.limits.who')}</p>
    </Section>
  );
}
