/** Account → Notifications: per kind, in the app and/or by email. */
import { useEffect, useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { notificationEndpoints as e, type NotificationPreference } from '../../../src/platform/http/schemas/notifications.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import './notifications.css';

type Pref = Static<typeof NotificationPreference>;

export function NotificationPreferences() {
  const loaded = useResource(() => call(e.preferences), []);
  const [items, setItems] = useState<Pref[]>([]);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (loaded.data) setItems(loaded.data.items);
  }, [loaded.data]);
  const submit = useSubmit(() => call(e.savePreferences, { body: { items } }));
  const set = (kind: Pref['kind'], field: 'inApp' | 'email', value: boolean) => {
    setSaved(false);
    setItems((prev) => prev.map((p) => (p.kind === kind ? { ...p, [field]: value } : p)));
  };
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const r = await submit.run();
    if (r) {
      setItems(r.items);
      setSaved(true);
    }
  };
  if (loaded.error) return <ErrorNotice error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <Loading />;
  return (
    <Section title={t('notifications.prefs.title')} id="notifications">
      <p>{t('notifications.prefs.intro', { minutes: loaded.data.emailIntervalMinutes })}</p>
      <form className="form" onSubmit={(ev) => void onSubmit(ev)} noValidate>
        <table className="table prefs-table">
          <thead>
            <tr>
              <th scope="col">{t('notifications.prefs.kind')}</th>
              <th scope="col">{t('notifications.prefs.inApp')}</th>
              <th scope="col">{t('notifications.prefs.email')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => {
              const kind = t(`notifications.prefs.label.${p.kind}`);
              return (
                <tr key={p.kind}>
                  <th scope="row">{kind}</th>
                  <td className="prefs-table__check">
                    <input type="checkbox" checked={p.inApp} aria-label={t('notifications.prefs.inAppFor', { kind })} onChange={(ev) => set(p.kind, 'inApp', ev.target.checked)} />
                  </td>
                  <td className="prefs-table__check">
                    <input type="checkbox" checked={p.email} aria-label={t('notifications.prefs.emailFor', { kind })} onChange={(ev) => set(p.kind, 'email', ev.target.checked)} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <ErrorNotice error={submit.error} />
        {saved ? <Notice tone="success" title={t('notifications.prefs.saved')} /> : null}
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button>
        </div>
      </form>
    </Section>
  );
}
