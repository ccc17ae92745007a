import { formatDateTime, formatRelative } from '../i18n/index.js';

/** "3 hours ago" with the exact time in the title and a machine-readable datetime. */
export function RelativeTime({ value }: { value: string | null | undefined }) {
  if (!value) return null;
  return (
    <time dateTime={value} title={formatDateTime(value)}>
      {formatRelative(value)}
    </time>
  );
}
