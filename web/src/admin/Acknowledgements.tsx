/**
 * Per mailbox: the automatic acknowledgement of new requests (decision 0159), on or off, and its text.
 * Shown on Email channels, one folded editor per mailbox.
 */
import { useEffect, useState } from 'react';
import { csatEndpoints } from '../../../src/platform/http/schemas/csat.js';
import { ACK_PLACEHOLDER_NAMES, BRANDING_LIMITS, brandingEndpoints } from '../../../src/platform/http/schemas/branding.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { CheckboxField, TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { SettingSwitch } from './SettingSwitch.js';

/** The organisation's satisfaction survey switch (settings.csat.enabled), beside the acknowledgements. */
export function SurveySetting() {
  return (
    <SettingSwitch label={t('admin.csat.enabled')} hint={t('admin.csat.hint')}
      load={async (signal) => (await call(csatEndpoints.settings, {}, { signal })).enabled}
      save={(enabled) => call(csatEndpoints.setSettings, { body: { enabled } })} />
  );
}

function MailboxAcknowledgement({ mailbox }: { mailbox: { id: string; address: string } }) {
  const ack = useResource(() => call(brandingEndpoints.acknowledgement, { params: { id: mailbox.id } }), [mailbox.id]);
  const [enabled, setEnabled] = useState(false);
  const [template, setTemplate] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!ack.data) return;
    setEnabled(ack.data.enabled);
    setTemplate(ack.data.template);
  }, [ack.data]);
  const save = useSubmit(async () => {
    await call(brandingEndpoints.updateAcknowledgement, { params: { id: mailbox.id }, body: { enabled, template } });
    setSaved(true);
    ack.reload();
    return true as const;
  });
  return (
    <details className="ack" data-testid={`ack-${mailbox.address}`}>
      <summary className="ack__summary">
        {mailbox.address} <Badge tone={ack.data?.enabled ? 'success' : 'neutral'}>{ack.data?.enabled ? t('admin.ack.on') : t('admin.ack.off')}</Badge>
      </summary>
      {ack.loading && !ack.data ? <Loading /> : null}
      <ErrorNotice error={ack.error} onRetry={ack.reload} />
      {ack.data ? (
        <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(false); await save.run(); }}>
          <CheckboxField label={t('admin.ack.enabled', { address: mailbox.address })} checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <TextAreaField label={t('admin.ack.template')} hint={t('admin.ack.templateHint', { list: ACK_PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ') })} rows={7} maxLength={BRANDING_LIMITS.ackTemplateMax} value={template} onChange={(e) => setTemplate(e.target.value)} error={save.fieldErrors.template} />
          <ErrorNotice error={save.error} />
          {saved ? <Notice tone="success" title={t('admin.ack.saved')} /> : null}
          <div className="form__actions"><Button type="submit" variant="primary" busy={save.busy}>{t('admin.ack.save')}</Button></div>
        </form>
      ) : null}
    </details>
  );
}

export function Acknowledgements({ mailboxes }: { mailboxes: Array<{ id: string; address: string }> }) {
  if (mailboxes.length === 0) return null;
  return (
    <>
      <p>{t('admin.ack.intro')}</p>
      {mailboxes.map((m) => <MailboxAcknowledgement key={m.id} mailbox={m} />)}
    </>
  );
}
