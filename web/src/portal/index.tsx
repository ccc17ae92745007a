/**
 * The customer portal: its own plain layout (no staff navigation) and its own
 * session (td_portal cookie, X-Portal-CSRF). Pages that show a customer's data
 * need a portal session; sign-in, the secure-message link and the public
 * request form do not.
 */
import type { ReactNode } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { t } from '../i18n/index.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { ChatPage } from './ChatPage.js';
import { HelpArticlePage, HelpHomePage } from './HelpPages.js';
import { RatePage } from './RatePage.js';
import { RequestPage } from './RequestPage.js';
import { SecurePage } from './SecurePage.js';
import { SecurityPage } from './SecurityPage.js';
import { ExportPage } from './PrivacyPages.js';
import { PortalBrand } from './PortalBrand.js';
import { PolicyPage } from './PolicyPage.js';
import { PortalProvider, usePortal } from './session.js';
import { SignInPage } from './SignInPage.js';
import { TicketPage } from './TicketPage.js';
import { TicketsPage } from './TicketsPage.js';
import './portal.css';

function PortalLayout({ children }: { children: ReactNode }) {
  const { state, org, signOut } = usePortal();
  const [location, navigate] = useLocation();
  const signedIn = state.status === 'signed-in';
  const link = (href: string, label: string, current: boolean) => (
    <li>
      <Link href={href} className={current ? 'portal-nav__link portal-nav__link--current' : 'portal-nav__link'} aria-current={current ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
  return (
    <div className="portal">
      <a className="skip-link" href="#portal-main">{t('app.skipToContent')}</a>
      <header className="portal-header">
        <div className="portal-header__brand">
          <PortalBrand orgId={org?.id} fallback={org?.name ?? t('portal.support')} />
          <span className="portal-header__sub">{t('portal.name')}</span>
        </div>
        <nav className="portal-nav" aria-label={t('portal.nav.label')}>
          <ul>
            {signedIn ? link('/portal', t('portal.nav.requests'), location === '/portal' || location.startsWith('/portal/tickets')) : null}
            {link(`/portal/help${org ? `?org=${org.id}` : ''}`, t('kb.portal.nav'), location.startsWith('/portal/help'))}
            {link('/portal/request', t('portal.nav.newRequest'), location === '/portal/request')}
            {signedIn ? link('/portal/chat', t('portal.nav.chat'), location === '/portal/chat') : null}
            {signedIn ? link('/portal/security', t('portal.nav.security'), location === '/portal/security') : null}
            {signedIn ? (
              <li>
                <button
                  type="button"
                  className="btn btn--ghost btn--small"
                  onClick={() => {
                    void signOut().then(() => navigate('/portal/signin'));
                  }}
                >
                  {t('portal.nav.signOut')}
                </button>
              </li>
            ) : (
              link('/portal/signin', t('portal.nav.signIn'), location === '/portal/signin')
            )}
          </ul>
        </nav>
      </header>
      <main id="portal-main" className="portal-main" tabIndex={-1}>
        {children}
      </main>
      <footer className="portal-footer">
        <p>{t('portal.footer')}</p>
        <p><Link href={`/portal/policy${org ? `?org=${org.id}` : ''}`}>{t('policies.portal.link')}</Link></p>
      </footer>
    </div>
  );
}

/** Pages with the customer's data: wait for the session, send anonymous visitors to sign in. */
function RequireCustomer({ children }: { children: ReactNode }) {
  const { state, reload } = usePortal();
  const [location] = useLocation();
  if (state.status === 'loading') return <div className="page"><Loading /></div>;
  if (state.status === 'error') return <div className="page"><ErrorNotice error={state.error} onRetry={() => void reload()} /></div>;
  if (state.status === 'anonymous') return <Redirect to={`/portal/signin?next=${encodeURIComponent(location)}`} replace />;
  return <>{children}</>;
}

export default function PortalArea() {
  return (
    <PortalProvider>
      <PortalLayout>
        <Switch>
          <Route path="/portal">
            <RequireCustomer><TicketsPage /></RequireCustomer>
          </Route>
          <Route path="/portal/tickets/:id">
            {(params: { id: string }) => (
              <RequireCustomer><TicketPage id={params.id} /></RequireCustomer>
            )}
          </Route>
          <Route path="/portal/security">
            <RequireCustomer><SecurityPage /></RequireCustomer>
          </Route>
          <Route path="/portal/chat">
            <RequireCustomer><ChatPage /></RequireCustomer>
          </Route>
          <Route path="/portal/signin" component={SignInPage} />
          <Route path="/portal/secure" component={SecurePage} />
          <Route path="/portal/export" component={ExportPage} />
          <Route path="/portal/request" component={RequestPage} />
          <Route path="/portal/help" component={HelpHomePage} />
          <Route path="/portal/help/:slug">{(params: { slug: string }) => <HelpArticlePage slug={params.slug} />}</Route>
          <Route path="/portal/rate" component={RatePage} />
          <Route path="/portal/policy" component={PolicyPage} />
          <Route>
            <Redirect to="/portal" replace />
          </Route>
        </Switch>
      </PortalLayout>
    </PortalProvider>
  );
}
