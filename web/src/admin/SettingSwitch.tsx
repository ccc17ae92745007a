/** One organisation-wide on/off setting: read, saved on change, "Saved" once it is. */
import { useState } from 'react';
import { t } from '../i18n/index.js';
import { CheckboxField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Notice } from '../ui/notices.js';

export function SettingSwitch({ load, save, label, hint }: { load: (signal: AbortSignal) => Promise<boolean>; save: (on: boolean) => Promise<unknown>; label: string; hint: string }) {
  const setting = useResource(load, []);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit(async (on: boolean) => {
    setSaved(false);
    await save(on);
    setting.reload();
    setSaved(true);
  });
  return (
    <>
      <ErrorNotice error={setting.error ?? submit.error} />
      {setting.data !== undefined && setting.data !== null ? (
        <CheckboxField label={label} hint={hint} checked={setting.data} disabled={submit.busy} onChange={(e) => void submit.run(e.target.checked)} />
      ) : null}
      {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
    </>
  );
}
