/** Where the data egress policy refuses files and exports on this browser, says so and why (docs/devices.md). */
import { t } from '../i18n/index.js';
import { Notice } from '../ui/notices.js';
import { useDeviceState } from './device.js';

export function EgressNotice() {
  const device = useDeviceState();
  if (!device || device.egress.allowed) return null;
  return <Notice tone="warning" title={t('devices.refused.title')}>{device.egress.message}</Notice>;
}

/** True when files and exports are refused here (false while unknown: the server decides anyway). */
export function useEgressRefused(): boolean {
  const device = useDeviceState();
  return device !== null && !device.egress.allowed;
}
