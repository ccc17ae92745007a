/**
 * Account → Devices: this browser's status (registered or not, and whether files and exports are allowed here,
 * with the reason), registering it under a name, and the person's devices with revoke (docs/devices.md).
 */
import { useState } from 'react';
import { deviceEndpoints } from '../../../src/platform/http/schemas/devices.js';
import { call } from '../api.js';
import { refreshDeviceState, registerThisBrowser, useDeviceState } from '../devices/device.js';
import { DeviceList } from '../devices/DeviceList.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { describeAgent } from './Sessions.js';

export function Devices() {
  const { me } = useMe();
  const state = useDeviceState();
  const devices = useResource(() => call(deviceEndpoints.mine), []);
  const [name, setName] = useState(() => describeAgent(navigator.userAgent).slice(0, 80));
  const register = useSubmit(async () => {
    await registerThisBrowser(me.user.id, name.trim());
    devices.reload();
    return true as const;
  });
  const revoke = useSubmit(async (id: string) => {
    await call(deviceEndpoints.revokeMine, { params: { id } });
    devices.reload();
    await refreshDeviceState().catch(() => undefined);
    return true as const;
  });

  return (
    <>
      <Section title={t('devices.thisBrowser')} id="this-device">
        {!state ? <Loading /> : state.device ? (
          <Notice tone="success" title={t('devices.registeredAs', { name: state.device.name })} />
        ) : (
          <>
            <p>{t('devices.intro')}</p>
            <form className="form" onSubmit={(e) => { e.preventDefault(); void register.run(); }}>
                <TextField label={t('devices.name')} hint={t('devices.nameHint')} value={name} maxLength={80} required onChange={(e) => setName(e.target.value)} error={register.fieldErrors.name} />
                <ErrorNotice error={register.error} />
                <div className="form__actions">
                  <Button type="submit" variant="primary" busy={register.busy}>{t('devices.register')}</Button>
                </div>
              </form>
          </>
        )}
        {state && !state.egress.allowed ? <Notice tone="warning" title={t('devices.refused.title')}>{state.egress.message}</Notice> : null}
      </Section>
      <Section title={t('devices.heading')} id="account-devices">
        <ErrorNotice error={revoke.error} />
        {devices.error ? <ErrorNotice error={devices.error} onRetry={devices.reload} /> : null}
        {devices.data ? <DeviceList devices={devices.data.devices} busy={revoke.busy} onRevoke={(d) => void revoke.run(d.id)} /> : devices.error ? null : <Loading />}
      </Section>
    </>
  );
}
