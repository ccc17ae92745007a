/**
 * Administration → Devices and networks (policies.manage): per role, whether customer data (attachments, exports,
 * copies of revealed fields, printing) is allowed only from registered devices, and from which networks. A list
 * that would lock every administrator out is refused by the server with the reason, shown here (docs/devices.md).
 */
import { useEffect, useState } from 'react';
import { deviceEndpoints } from '../../../src/platform/http/schemas/devices.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { CheckboxField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';

interface Row {
  roleId: string;
  roleName: string;
  requireDevice: boolean;
  cidrs: string;
}

export function DevicePolicy() {
  const policy = useResource(() => call(deviceEndpoints.policy), []);
  const [rows, setRows] = useState<Row[]>([]);
  const [saved, setSaved] = useState(false);
  const [approval, setApproval] = useState(false);
  useEffect(() => {
    if (policy.data) setApproval(policy.data.approvalRequired);
    if (policy.data) setRows(policy.data.roles.map((r) => ({ roleId: r.roleId, roleName: r.roleName, requireDevice: r.requireDevice, cidrs: r.allowedCidrs.join('\n') })));
  }, [policy.data]);
  const save = useSubmit(async () => {
    setSaved(false);
    await call(deviceEndpoints.savePolicy, {
      body: { approvalRequired: approval, roles: rows.map((r) => ({ roleId: r.roleId, requireDevice: r.requireDevice, allowedCidrs: r.cidrs.split(/[\s,]+/).map((c) => c.trim()).filter(Boolean) })) },
    });
    setSaved(true);
    policy.reload();
    return true as const;
  });
  const change = (roleId: string, patch: Partial<Row>) => setRows((all) => all.map((r) => (r.roleId === roleId ? { ...r, ...patch } : r)));

  return (
    <Page title={t('devices.policy.title')} subtitle={t('devices.policy.subtitle')} wide>
      <AdminNav />
      {policy.error ? <ErrorNotice error={policy.error} onRetry={policy.reload} /> : null}
      {!policy.data ? (policy.error ? null : <Loading />) : (
        <Section title={t('devices.policy.heading')} id="device-policy">
          <p>{t('devices.policy.yourAddress', { address: policy.data.yourAddress })}</p>
          <form className="form" onSubmit={(e) => { e.preventDefault(); void save.run(); }}>
            <table className="table">
              <caption className="visually-hidden">{t('devices.policy.heading')}</caption>
              <thead>
                <tr><th scope="col">{t('devices.policy.role')}</th><th scope="col">{t('devices.policy.requireDevice')}</th><th scope="col">{t('devices.policy.networks')}</th></tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.roleId}>
                    <th scope="row">{r.roleName}</th>
                    <td>
                      <label><input type="checkbox" checked={r.requireDevice} onChange={(e) => change(r.roleId, { requireDevice: e.target.checked })} /> {t('devices.policy.requireDeviceFor', { role: r.roleName })}</label>
                    </td>
                    <td>
                      <textarea className="input" rows={2} aria-label={t('devices.policy.networksFor', { role: r.roleName })} placeholder={t('devices.policy.anyNetwork')} value={r.cidrs} onChange={(e) => change(r.roleId, { cidrs: e.target.value })} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <CheckboxField label={t('devices.policy.approval')} hint={t('devices.policy.approvalHint')} checked={approval} onChange={(e) => setApproval(e.target.checked)} />
            <ErrorNotice error={save.error} />
            {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={save.busy}>{t('action.save')}</Button>
            </div>
          </form>
        </Section>
      )}
    </Page>
  );
}
