import { Link, useLocation } from 'wouter';

/** Section navigation as links (each tab is a real URL), current one marked: the longest matching href wins, so a section's root tab (`/account`) is not current on its siblings (`/account/security`). */
export function TabNav({ label, items }: { label: string; items: Array<{ href: string; label: string }> }) {
  const [location] = useLocation();
  const matches = (href: string) => location === href || location.startsWith(`${href}/`);
  const currentHref = items.filter((item) => matches(item.href)).reduce<string | null>((best, item) => (best === null || item.href.length > best.length ? item.href : best), null);
  return (
    <nav className="tabs" aria-label={label}>
      <ul className="tabs__list">
        {items.map((item) => {
          const current = item.href === currentHref;
          return (
            <li key={item.href}>
              <Link href={item.href} className={current ? 'tabs__link tabs__link--current' : 'tabs__link'} aria-current={current ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
