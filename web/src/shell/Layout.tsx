/**
 * The staff shell: skip link, top bar with the areas this member may use
 * (from their abilities), and the main landmark that screens render into.
 */
import { AwayToggle } from '../agent/AwayToggle.js';
import { ChatOffers, WaitingCount } from '../agent/chat/ShellChat.js';
import { WaitingChatsProvider } from '../agent/chat/WaitingChats.js';
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { request } from '../api.js';
import { t, type MessageKey } from '../i18n/index.js';
import { SECURITY_CENTRE_ABILITIES } from '../security/access.js';
import { NotificationBell } from '../notifications/Bell.js';
import { useMe, useSession } from '../session.js';

interface NavItem {
  href: string;
  label: MessageKey;
  /** Shown when the member has any of these abilities. */
  anyOf: string[];
  /** Other prefixes that belong to the same area. */
  also?: string[];
}

export const NAV: NavItem[] = [
  { href: '/tickets', label: 'nav.tickets', anyOf: ['tickets.read'], also: ['/customers', '/link'] },
  { href: '/chats', label: 'nav.chats', anyOf: ['tickets.take'] },
  { href: '/knowledge', label: 'nav.knowledge', anyOf: ['tickets.read', 'kb.manage'] },
  { href: '/reports', label: 'nav.reports', anyOf: ['reports.read'] },
  { href: '/security', label: 'nav.security', anyOf: [...SECURITY_CENTRE_ABILITIES], also: ['/access-reviews', '/quarantine'] },
  { href: '/admin', label: 'nav.admin', anyOf: ['users.read', 'users.manage', 'roles.manage', 'teams.manage', 'policies.manage', 'channels.manage', 'tokens.manage', 'macros.manage'] },
  { href: '/training', label: 'nav.training', anyOf: [] },
  { href: '/account', label: 'nav.account', anyOf: [] },
];

export function Layout({ children }: { children: ReactNode }) {
  const { me, can } = useMe();
  const { reload } = useSession();
  const [location, navigate] = useLocation();
  const items = NAV.filter((item) => item.anyOf.length === 0 || item.anyOf.some(can));
  const current = (item: NavItem) => [item.href, ...(item.also ?? [])].some((p) => location === p || location.startsWith(`${p}/`));

  const signOut = async () => {
    await request('POST', '/api/auth/signout').catch(() => undefined);
    await reload();
    navigate('/signin');
  };

  const chats = can('tickets.take');
  return (
    <WaitingChatsProvider enabled={chats}>
    <div className="shell">
      <a className="skip-link" href="#main">{t('app.skipToContent')}</a>
      <header className="topbar">
        <Link href="/tickets" className="topbar__brand">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>{t('app.name')}</span>
        </Link>
        <nav className="topbar__nav" aria-label={t('app.mainNavigation')}>
          <ul>
            {items.map((item) => (
              <li key={item.href}>
                <Link href={item.href} className={current(item) ? 'topbar__link topbar__link--current' : 'topbar__link'} aria-current={current(item) ? 'page' : undefined}>
                  {t(item.label)}
                  {item.href === '/chats' ? <WaitingCount /> : null}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar__user">
          {can('tickets.take') ? <AwayToggle /> : null}
          <NotificationBell />
          <span className="topbar__name" title={me.user.email}>{t('app.signedInAs', { name: me.user.name })}</span>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => void signOut()}>{t('app.signOut')}</button>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
      {chats ? <ChatOffers /> : null}
    </div>
    </WaitingChatsProvider>
  );
}
