import { useEffect, useRef, type ReactNode } from 'react';
import { t } from '../i18n/index.js';

/** The centred card of the pages outside the staff shell; its heading takes focus on open. */
export function AuthCard({ title, subtitle, wide, children }: { title: string; subtitle?: ReactNode; wide?: boolean; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Trustdesk`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <div className="card-page">
      <main className={wide ? 'card card--wide auth' : 'card auth'}>
        <p className="auth__brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>{t('app.name')}</span>
        </p>
        <h1 ref={heading} tabIndex={-1} className="auth__title">{title}</h1>
        {subtitle ? <p className="auth__subtitle">{subtitle}</p> : null}
        {children}
      </main>
    </div>
  );
}
