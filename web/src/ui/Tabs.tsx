import { Link, useLocation } from 'wouter';

/** Section navigation as links (each tab is a real URL), current one marked. */
export function TabNav({ label, items }: { label: string; items: Array<{ href: string; label: string }> }) {
  const [location] = useLocation();
  return (
    <nav className="tabs" aria-label={label}>
      <ul className="tabs__list">
        {items.map((item) => {
          const current = location === item.href || location.startsWith(`${item.href}/`);
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
