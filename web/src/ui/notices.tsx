import type { ReactNode } from 'react';
import { describeError } from '../api.js';
import { t } from '../i18n/index.js';

type Tone = 'info' | 'success' | 'warning' | 'danger';

/** A message block; warnings and errors are announced (role=alert), the rest politely. */
export function Notice({ tone = 'info', title, children }: { tone?: Tone; title?: string; children?: ReactNode }) {
  const urgent = tone === 'danger' || tone === 'warning';
  return (
    <div className={`notice notice--${tone}`} role={urgent ? 'alert' : 'status'}>
      {title ? <p className="notice__title">{title}</p> : null}
      {children ? <div className="notice__body">{children}</div> : null}
    </div>
  );
}

/** Any error as readable text: never a stack, always the request id when there is one. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const { message, detail, requestId } = describeError(error);
  return (
    <div className="notice notice--danger" role="alert">
      <p className="notice__title">{message}</p>
      {detail ? <p className="notice__body">{detail}</p> : null}
      {requestId ? <p className="notice__meta">{t('errors.requestId', { id: requestId })}</p> : null}
      {onRetry ? (
        <button type="button" className="btn btn--secondary btn--small" onClick={onRetry}>{t('action.retry')}</button>
      ) : null}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="loading__spinner" aria-hidden="true" />
      {label ?? t('app.loading')}
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty__title">{title}</p>
      {children ? <div className="empty__body">{children}</div> : null}
    </div>
  );
}

type BadgeTone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

export function Badge({ tone = 'neutral', children }: { tone?: BadgeTone; children: ReactNode }) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}
