/** The signed-in member's own account: profile and password, sign-in methods, sessions. */
import { Route, Switch } from 'wouter';
import { t } from '../i18n/index.js';
import { NotFound } from '../shell/NotFound.js';
import { Page } from '../ui/Page.js';
import { TabNav } from '../ui/Tabs.js';
import { Profile } from './Profile.js';
import { Security } from './Security.js';
import { Sessions } from './Sessions.js';
import { Devices } from './Devices.js';
import { NotificationPreferences } from '../notifications/Preferences.js';
import './account.css';

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Page title={title} subtitle={t('account.subtitle')}>
      <TabNav
        label={t('account.nav')}
        items={[
          { href: '/account', label: t('account.tab.profile') },
          { href: '/account/security', label: t('account.tab.security') },
          { href: '/account/sessions', label: t('account.tab.sessions') },
          { href: '/account/devices', label: t('account.tab.devices') },
          { href: '/account/notifications', label: t('account.tab.notifications') },
        ]}
      />
      {children}
    </Page>
  );
}

export default function AccountArea() {
  return (
    <Switch>
      <Route path="/account"><Frame title={t('account.profile.title')}><Profile /></Frame></Route>
      <Route path="/account/security"><Frame title={t('account.security.title')}><Security /></Frame></Route>
      <Route path="/account/sessions"><Frame title={t('account.sessions.title')}><Sessions /></Frame></Route>
      <Route path="/account/devices"><Frame title={t('devices.title')}><Devices /></Frame></Route>
      <Route path="/account/notifications"><Frame title={t('notifications.prefs.title')}><NotificationPreferences /></Frame></Route>
      <Route component={NotFound} />
    </Switch>
  );
}
