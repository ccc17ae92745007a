/** The security centre's own tabs: only those this member's abilities allow. */
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { TabNav } from '../ui/Tabs.js';

export function SecurityNav() {
  const { can } = useMe();
  const items = [
    { href: '/security/audit', label: t('security.nav.audit'), show: can('audit.read') },
    { href: '/access-reviews', label: t('security.nav.reviews'), show: can('reviews.manage') || can('reviews.decide') },
    { href: '/quarantine', label: t('security.nav.quarantine'), show: can('quarantine.read') },
    { href: '/security/phishing-reports', label: t('security.nav.reports'), show: can('tickets.read') },
    { href: '/security/simulations', label: t('sims.nav'), show: can('simulations.read') },
    { href: '/security/awareness', label: t('awareness.nav'), show: can('awareness.read') || can('simulations.read') },
    { href: '/incidents', label: t('inc.nav'), show: can('incidents.read') },
    { href: '/security/siem', label: t('siem.nav'), show: can('siem.read') },
    { href: '/security/insider', label: t('insider.nav'), show: can('insider.read') },
    { href: '/security/privacy', label: t('privacy.nav'), show: can('privacy.read') },
    { href: '/security/retention', label: t('retention.nav'), show: can('privacy.read') },
  ].filter((i) => i.show);
  return <TabNav label={t('security.nav.label')} items={items} />;
}
