/**
 * A person's registered devices as a table, with revoke (used by Account → Devices and by Staff administration);
 * a device waiting for approval says so, and Staff administration can approve it (decision 0222).
 */
import type { Static } from 'typebox';
import type { DeviceView } from '../../../src/platform/http/schemas/devices.js';
import { describeAgent } from '../account/Sessions.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Badge } from '../ui/notices.js';
import { RelativeTime } from '../ui/time.js';

type Device = Static<typeof DeviceView>;

export function DeviceList({ devices, onRevoke, onApprove, busy }: { devices: Device[]; onRevoke: (d: Device) => void; onApprove?: (d: Device) => void; busy: boolean }) {
  if (devices.length === 0) return <p className="muted">{t('devices.none')}</p>;
  return (
    <DataTable
      caption={t('devices.heading')}
      rows={devices}
      rowKey={(d) => d.id}
      columns={[
        { key: 'name', header: t('devices.col.name'), render: (d) => <>{d.name} {d.current ? <Badge tone="info">{t('devices.current')}</Badge> : null} {d.revokedAt ? <Badge tone="neutral">{t('devices.revoked')}</Badge> : !d.approvedAt ? <Badge tone="warning">{t('devices.pending')}</Badge> : null}</> },
        { key: 'browser', header: t('devices.col.browser'), render: (d) => describeAgent(d.userAgent) },
        { key: 'address', header: t('devices.col.address'), render: (d) => d.lastIp ?? '—' },
        { key: 'registered', header: t('devices.col.registered'), render: (d) => <RelativeTime value={d.createdAt} /> },
        { key: 'used', header: t('devices.col.lastUsed'), render: (d) => <RelativeTime value={d.lastUsedAt} /> },
        {
          key: 'actions',
          header: t('devices.col.actions'),
          render: (d) => d.revokedAt ? null : (
            <>
              {onApprove && !d.approvedAt ? <Button variant="primary" className="btn--small" busy={busy} onClick={() => onApprove(d)} aria-label={t('devices.approveLabel', { name: d.name })}>{t('devices.approve')}</Button> : null}{' '}
              <Button variant="danger" className="btn--small" busy={busy} onClick={() => onRevoke(d)} aria-label={t('devices.revokeLabel', { name: d.name })}>{t('devices.revoke')}</Button>
            </>
          ),
        },
      ]}
    />
  );
}
