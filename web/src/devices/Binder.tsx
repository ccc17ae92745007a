/**
 * Mounted once under the staff shell: proves this browser's device key for the session (bindThisBrowser), and
 * where the data egress policy refuses customer data here, keeps revealed fields from being copied and the
 * page from being printed (body.egress-refused; the print rule is in styles/components.css). The server
 * refuses files and exports on its own; this only stops what never reaches the server.
 */
import { useEffect } from 'react';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { bindThisBrowser, useDeviceState } from './device.js';

let boundFor: string | null = null;

export function DeviceBinder() {
  const { me } = useMe();
  const device = useDeviceState();
  const refused = device !== null && !device.egress.allowed;

  // Once per session (its CSRF token is per session): a new sign-in in the same tab binds again.
  const session = `${me.user.id}:${me.csrfToken}`;
  useEffect(() => {
    if (boundFor === session) return;
    boundFor = session;
    void bindThisBrowser(me.user.id).catch(() => undefined);
  }, [session, me.user.id]);

  useEffect(() => {
    document.body.classList.toggle('egress-refused', refused);
    document.body.dataset.egressMessage = refused ? (device?.egress.message ?? t('devices.refused.print')) : '';
    if (!refused) return;
    const onCopy = (e: ClipboardEvent) => {
      const selection = document.getSelection();
      const node = selection?.anchorNode ?? null;
      const el = node instanceof Element ? node : node?.parentElement ?? null;
      if (el?.closest('.revealed')) {
        e.preventDefault();
        e.clipboardData?.setData('text/plain', t('devices.refused.copy'));
      }
    };
    document.addEventListener('copy', onCopy);
    return () => document.removeEventListener('copy', onCopy);
  }, [refused, device?.egress.message]);

  return null;
}
