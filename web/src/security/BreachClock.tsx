/** The 72-hour breach clock: time left, or how long overdue; re-rendered every 30 seconds. */
import { useEffect, useState } from 'react';
import { formatDateTime, t } from '../i18n/index.js';
import { Badge } from '../ui/notices.js';

export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function BreachClock({ deadlineAt, notifiedAt }: { deadlineAt: string | null; notifiedAt: string | null }) {
  const now = useNow();
  if (!deadlineAt) return <>{t('inc.clock.none')}</>;
  if (notifiedAt) return <Badge tone="success">{t('inc.clock.notified')}</Badge>;
  const ms = new Date(deadlineAt).getTime() - now;
  const total = Math.floor(Math.abs(ms) / 60_000);
  const params = { hours: Math.floor(total / 60), minutes: total % 60 };
  return (
    <time dateTime={deadlineAt} title={formatDateTime(deadlineAt)} className="inc-clock">
      <Badge tone={ms < 0 ? 'danger' : ms < 24 * 3600_000 ? 'warning' : 'info'}>{t(ms < 0 ? 'inc.clock.overdue' : 'inc.clock.left', params)}</Badge>
    </time>
  );
}
