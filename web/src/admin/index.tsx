/**
 * Administration: staff and invitations, roles, teams, security policy, API
 * tokens, email channels, SLA policies, macros, webhooks, routing, chat, the
 * sensitive-data policy and sender allow/block lists. The
 * sub-navigation shows only what the abilities allow; `/admin` opens the first.
 */
import { Redirect, Route, Switch } from 'wouter';
import { t } from '../i18n/index.js';
import { NotFound } from '../shell/NotFound.js';
import { EmptyState } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { AdminNav, useAdminSections } from './AdminNav.js';
import { Retention } from '../security/Retention.js';
import { Branding } from './Branding.js';
import { ChatSettings } from './ChatSettings.js';
import { EmailChannels } from './EmailChannels.js';
import { GettingStarted } from './GettingStarted.js';
import { Invitations } from './Invitations.js';
import { Macros } from './Macros.js';
import { Masking } from './Masking.js';
import { Policies } from './Policies.js';
import { Roles } from './Roles.js';
import { Routing } from './Routing.js';
import { SenderLists } from './SenderLists.js';
import { SensitiveData } from './SensitiveData.js';
import { SecurityPolicy } from './SecurityPolicy.js';
import { SingleSignOn } from './SingleSignOn.js';
import { DevicePolicy } from './DevicePolicy.js';
import { Sla } from './Sla.js';
import { Staff } from './Staff.js';
import { Teams } from './Teams.js';
import { Tokens } from './Tokens.js';
import { Webhooks } from './Webhooks.js';
import './admin.css';

function Home() {
  const sections = useAdminSections();
  const first = sections[0];
  if (first) return <Redirect to={first.href} replace />;
  return (
    <Page title={t('admin.title')}>
      <EmptyState title={t('admin.nothing')} />
    </Page>
  );
}

export default function AdminArea() {
  return (
    <Switch>
      <Route path="/admin" component={Home} />
      <Route path="/admin/staff" component={Staff} />
      <Route path="/admin/invitations" component={Invitations} />
      <Route path="/admin/roles" component={Roles} />
      <Route path="/admin/teams" component={Teams} />
      <Route path="/admin/security-policy" component={SecurityPolicy} />
      <Route path="/admin/single-sign-on" component={SingleSignOn} />
      <Route path="/admin/devices" component={DevicePolicy} />
      <Route path="/admin/tokens" component={Tokens} />
      <Route path="/admin/email" component={EmailChannels} />
      <Route path="/admin/sla" component={Sla} />
      <Route path="/admin/macros" component={Macros} />
      <Route path="/admin/webhooks" component={Webhooks} />
      <Route path="/admin/routing" component={Routing} />
      <Route path="/admin/chat" component={ChatSettings} />
      <Route path="/admin/sensitive-data" component={SensitiveData} />
      <Route path="/admin/retention">{() => <Retention nav={<AdminNav />} />}</Route>
      <Route path="/admin/sender-lists" component={SenderLists} />
      <Route path="/admin/masking" component={Masking} />
      <Route path="/admin/policies" component={Policies} />
      <Route path="/admin/branding" component={Branding} />
      <Route path="/admin/getting-started" component={GettingStarted} />
      <Route component={NotFound} />
    </Switch>
  );
}
