/**
 * The sensitive-data (DLP) policy: what happens to each detected type in
 * stored text (redact, flag, ignore; card numbers and security codes are
 * always redacted), how card numbers are shortened, and whether a plain-email
 * reply carrying sensitive data is warned about or blocked.
 */
import { useEffect, useState } from 'react';
import { ALWAYS_REDACTED, CARD_REDACTIONS, DLP_ACTIONS, REPLY_MODES, dlpPolicyEndpoints } from '../../../src/platform/http/schemas/dlp-policy.js';
import { call } from '../api.js';
import { hasMessage, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { SelectField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';

type Action = (typeof DLP_ACTIONS)[number];
const fixed = (type: string) => (ALWAYS_REDACTED as readonly string[]).includes(type);
const typeName = (type: string) => {
  const key = `admin.dlp.type.${type}`;
  return hasMessage(key) ? t(key) : type;
};

export function SensitiveData() {
  const { can } = useMe();
  const policy = useResource(() => call(dlpPolicyEndpoints.read), []);
  const [actions, setActions] = useState<Record<string, Action>>({});
  const [card, setCard] = useState<(typeof CARD_REDACTIONS)[number]>('first6last4');
  const [mode, setMode] = useState<(typeof REPLY_MODES)[number]>('warn');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!policy.data) return;
    setActions(policy.data.effective as Record<string, Action>);
    setCard(policy.data.settings.cardRedaction as (typeof CARD_REDACTIONS)[number]);
    setMode(policy.data.settings.replyMode as (typeof REPLY_MODES)[number]);
  }, [policy.data]);
  const submit = useSubmit(async () => {
    const chosen = Object.fromEntries(Object.entries(actions).filter(([type]) => !fixed(type)));
    await call(dlpPolicyEndpoints.update, { body: { actions: chosen, cardRedaction: card, replyMode: mode } });
    return true as const;
  });
  const manage = can('policies.manage');
  return (
    <Page title={t('admin.dlp.title')} subtitle={t('admin.dlp.subtitle')} wide>
      <AdminNav />
      {policy.loading && !policy.data ? <Loading /> : null}
      <ErrorNotice error={policy.error} onRetry={policy.reload} />
      {policy.data ? (
        <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(false); if (await submit.run()) { setSaved(true); policy.reload(); } }}>
          <Section title={t('admin.dlp.replies')} id="dlp-replies">
            <div className="field-row">
              <SelectField label={t('admin.dlp.replyMode')} hint={t('admin.dlp.replyModeHint')} disabled={!manage} value={mode} onChange={(e) => setMode(e.target.value as (typeof REPLY_MODES)[number])} options={REPLY_MODES.map((m) => ({ value: m, label: t(`admin.dlp.mode.${m}`) }))} />
              <SelectField label={t('admin.dlp.card')} disabled={!manage} value={card} onChange={(e) => setCard(e.target.value as (typeof CARD_REDACTIONS)[number])} options={CARD_REDACTIONS.map((c) => ({ value: c, label: t(`admin.dlp.cardMode.${c}`) }))} />
            </div>
          </Section>
          <Section title={t('admin.dlp.types')} id="dlp-types">
            <p className="adm-muted">{t('admin.dlp.typesHint')}</p>
            <div className="adm-dlp">
              {policy.data.types.map((type) => (
                <SelectField key={type} label={typeName(type)} hint={fixed(type) ? t('admin.dlp.always') : undefined} disabled={!manage || fixed(type)} value={actions[type] ?? 'flag'}
                  onChange={(e) => setActions({ ...actions, [type]: e.target.value as Action })} options={DLP_ACTIONS.map((a) => ({ value: a, label: t(`admin.dlp.action.${a}`) }))} />
              ))}
            </div>
          </Section>
          <ErrorNotice error={submit.error} />
          {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
          {manage ? <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.dlp.save')}</Button></div> : null}
        </form>
      ) : null}
    </Page>
  );
}
