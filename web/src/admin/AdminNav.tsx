/** The administration sections this member's abilities allow (the server still decides every request). */
import { useEffect, useRef } from 'react';
import { t, type MessageKey } from '../i18n/index.js';
import { useMe } from '../session.js';
import { TabNav } from '../ui/Tabs.js';

export interface AdminSection {
  href: string;
  label: MessageKey;
  /** Shown when the member holds any of these. */
  anyOf: string[];
}

export const ADMIN_SECTIONS: AdminSection[] = [
  { href: '/admin/staff', label: 'admin.nav.staff', anyOf: ['users.read'] },
  { href: '/admin/invitations', label: 'admin.nav.invitations', anyOf: ['users.read'] },
  { href: '/admin/roles', label: 'admin.nav.roles', anyOf: ['users.read'] },
  { href: '/admin/teams', label: 'admin.nav.teams', anyOf: ['users.read'] },
  { href: '/admin/security-policy', label: 'admin.nav.securityPolicy', anyOf: ['users.read', 'policies.manage'] },
  { href: '/admin/single-sign-on', label: 'sso.nav.label', anyOf: ['policies.manage'] },
  { href: '/admin/devices', label: 'devices.nav', anyOf: ['policies.manage'] },
  { href: '/admin/tokens', label: 'admin.nav.tokens', anyOf: [] },
  { href: '/admin/email', label: 'admin.nav.email', anyOf: ['channels.manage'] },
  { href: '/admin/sla', label: 'admin.nav.sla', anyOf: ['channels.manage'] },
  { href: '/admin/macros', label: 'admin.nav.macros', anyOf: ['macros.manage'] },
  { href: '/admin/webhooks', label: 'admin.nav.webhooks', anyOf: ['channels.manage'] },
  { href: '/admin/routing', label: 'admin.nav.routing', anyOf: ['channels.manage'] },
  { href: '/admin/chat', label: 'admin.nav.chat', anyOf: ['channels.manage'] },
  { href: '/admin/sensitive-data', label: 'admin.nav.dlp', anyOf: ['policies.manage'] },
  { href: '/admin/masking', label: 'admin.nav.masking', anyOf: ['policies.manage'] },
  { href: '/admin/sender-lists', label: 'admin.nav.senderLists', anyOf: ['policies.manage'] },
  { href: '/admin/retention', label: 'admin.nav.retention', anyOf: ['policies.manage'] },
  { href: '/admin/policies', label: 'admin.nav.policies', anyOf: ['policies.manage'] },
  { href: '/admin/branding', label: 'admin.nav.branding', anyOf: ['channels.manage'] },
  { href: '/admin/getting-started', label: 'admin.nav.start', anyOf: ['users.manage'] },
];

export function useAdminSections(): AdminSection[] {
  const { can } = useMe();
  return ADMIN_SECTIONS.filter((s) => s.anyOf.length === 0 || s.anyOf.some(can));
}

/**
 * Thirteen sections do not fit one line at laptop widths: the row scrolls sideways instead of wrapping
 * (admin.css .adm-tabs). Every tab is a link, so Tab reaches each one and the browser scrolls it into view;
 * the current one is scrolled into view when the page opens.
 */
export function AdminNav() {
  const sections = useAdminSections();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.querySelector('[aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, []);
  return (
    <div className="adm-tabs" ref={box}>
      <TabNav label={t('admin.nav.label')} items={sections.map((s) => ({ href: s.href, label: t(s.label) }))} />
    </div>
  );
}
