/**
 * What the portal says when it cannot tell which organisation it is for. An
 * organisation with its own host name (decision 0238) answers elsewhere with
 * its address, which the page offers as a link rather than a dead end.
 */
import { ApiError } from '../api.js';
import { t } from '../i18n/index.js';
import { Notice } from '../ui/notices.js';

/** The address the server named, when it is a web address (never a script: the href is checked). */
function movedTo(error: unknown): string | null {
  const url = error instanceof ApiError ? error.extra.portalUrl : undefined;
  return typeof url === 'string' && /^https?:\/\/[^\s"'<>]+$/.test(url) ? url : null;
}

export function OrgMissing({ error }: { error: unknown }) {
  const moved = movedTo(error);
  if (!moved) return <Notice tone="danger">{t('portal.orgMissing')}</Notice>;
  return (
    <Notice tone="warning">
      {t('portal.orgElsewhere')} <a href={moved}>{moved}</a>
    </Notice>
  );
}
