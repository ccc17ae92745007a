import { useEffect, useRef, type ReactNode } from 'react';
import { useLocation, useSearch } from 'wouter';

/**
 * A screen: its heading takes focus when the screen opens or its address changes, so keyboard and
 * screen-reader users land at the top of the new content after navigation. A title that changes
 * while the screen loads (a saved view's name arriving) only renames the tab: moving focus then
 * would take it from whatever the person has already reached (the bell, a row) mid-keystroke.
 */
export function Page({ title, subtitle, actions, children, wide }: { title: string; subtitle?: ReactNode; actions?: ReactNode; children: ReactNode; wide?: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [location] = useLocation();
  const search = useSearch();
  useEffect(() => {
    document.title = `${title} · Trustdesk`;
  }, [title]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, [location, search]);
  return (
    <div className={wide ? 'page page--wide' : 'page'}>
      <header className="page__header">
        <div>
          <h1 ref={heading} tabIndex={-1} className="page__title">{title}</h1>
          {subtitle ? <p className="page__subtitle">{subtitle}</p> : null}
        </div>
        {actions ? <div className="page__actions">{actions}</div> : null}
      </header>
      {children}
    </div>
  );
}

/** A titled block inside a page. */
export function Section({ title, children, actions, id }: { title: string; children: ReactNode; actions?: ReactNode; id?: string }) {
  return (
    <section className="section" aria-labelledby={id ? `${id}-title` : undefined}>
      <header className="section__header">
        <h2 id={id ? `${id}-title` : undefined} className="section__title">{title}</h2>
        {actions ? <div className="section__actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
