import { authEndpoints } from '../../../src/platform/http/schemas/auth.js';
import { call } from '../api.js';
import { hasMessage, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';

/** A factor method as words ('passkey', 'authenticator app'); unknown methods as given. */
export function methodName(method: string): string {
  const key = `account.method.${method}`;
  return hasMessage(key) ? t(key) : method;
}

/** A short device description from the user agent (browser and system), never the raw string alone. */
export function describeAgent(ua: string | null): string {
  if (!ua) return t('account.sessions.unknownDevice');
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const system = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && system) return t('account.sessions.device', { browser, system });
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}

export function Sessions() {
  const sessions = useResource(() => call(authEndpoints.sessions), []);
  const revoke = useSubmit((id: string) => call(authEndpoints.revokeSession, { params: { id } }));
  const end = async (id: string) => {
    if (await revoke.run(id)) sessions.reload();
  };
  return (
    <Section title={t('account.sessions.heading')} id="account-sessions">
      <p>{t('account.sessions.intro')}</p>
      <ErrorNotice error={revoke.error} />
      {sessions.error ? <ErrorNotice error={sessions.error} onRetry={sessions.reload} /> : null}
      {!sessions.data ? (sessions.error ? null : <Loading />) : (
        <DataTable
          caption={t('account.sessions.heading')}
          rows={sessions.data.sessions}
          rowKey={(s) => s.id}
          columns={[
            { key: 'device', header: t('account.sessions.colDevice'), render: (s) => <>{describeAgent(s.userAgent)} {s.current ? <Badge tone="info">{t('account.sessions.current')}</Badge> : null}</> },
            { key: 'ip', header: t('account.sessions.colAddress'), render: (s) => s.ip ?? '—' },
            { key: 'factor', header: t('account.sessions.colFactor'), render: (s) => (s.mfaMethod ? methodName(s.mfaMethod) : t('account.sessions.noFactor')) },
            { key: 'started', header: t('account.sessions.colStarted'), render: (s) => <RelativeTime value={s.createdAt} /> },
            { key: 'seen', header: t('account.sessions.colSeen'), render: (s) => <RelativeTime value={s.lastSeenAt} /> },
            {
              key: 'actions',
              header: t('account.sessions.colActions'),
              render: (s) => s.current ? <span className="muted">{t('account.sessions.thisDevice')}</span> : (
                <Button variant="danger" className="btn--small" busy={revoke.busy} onClick={() => void end(s.id)} aria-label={t('account.sessions.endLabel', { device: describeAgent(s.userAgent) })}>{t('account.sessions.end')}</Button>
              ),
            },
          ]}
        />
      )}
    </Section>
  );
}
