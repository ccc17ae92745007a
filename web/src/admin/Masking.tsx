/**
 * The field masking policy (decision 0143): a table of roles × customer fields
 * saying which fields each role sees in clear on the tickets it may read, which
 * reveals need a fresh second factor, and the reveal reason's minimum length
 * and categories. Saving needs policies.manage and a fresh second factor (the
 * step-up dialog asks); the change is audited with before and after.
 */
import { useEffect, useState } from 'react';
import { MASKING_FIELDS, MAX_REASON_CATEGORIES, maskingEndpoints, type MaskingField, type MaskingPolicy } from '../../../src/platform/http/schemas/masking.js';
import { REVEAL_REASON_MIN } from '../../../src/platform/http/schemas/customers.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';

const fieldName = (f: MaskingField) => t(`admin.masking.field.${f}`);

export function Masking() {
  const { can } = useMe();
  const manage = can('policies.manage');
  const view = useResource((signal) => call(maskingEndpoints.read, {}, { signal }), []);
  const [policy, setPolicy] = useState<MaskingPolicy | null>(null);
  const [categories, setCategories] = useState('');
  const [minLength, setMinLength] = useState(String(REVEAL_REASON_MIN));
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!view.data) return;
    setPolicy(view.data.policy);
    setCategories(view.data.policy.reasons.categories.join('\n'));
    setMinLength(String(view.data.policy.reasons.minLength));
  }, [view.data]);

  const toggleClear = (role: string, field: MaskingField, on: boolean) => {
    if (!policy) return;
    const current = policy.clear[role] ?? [];
    const next = on ? MASKING_FIELDS.filter((f) => f === field || current.includes(f)) : current.filter((f) => f !== field);
    setPolicy({ ...policy, clear: { ...policy.clear, [role]: next } });
    setSaved(false);
  };
  const toggleStepUp = (field: MaskingField, on: boolean) => {
    if (!policy) return;
    setPolicy({ ...policy, stepUp: on ? MASKING_FIELDS.filter((f) => f === field || policy.stepUp.includes(f)) : policy.stepUp.filter((f) => f !== field) });
    setSaved(false);
  };
  const submit = useSubmit(async () => {
    if (!policy) return false as const;
    const list = categories.split('\n').map((c) => c.trim()).filter(Boolean);
    await call(maskingEndpoints.update, { body: { clear: policy.clear, stepUp: policy.stepUp, reasons: { minLength: Number(minLength), categories: list } } });
    return true as const;
  });

  return (
    <Page title={t('admin.masking.title')} subtitle={t('admin.masking.subtitle')} wide>
      <AdminNav />
      {view.loading && !view.data ? <Loading /> : null}
      <ErrorNotice error={view.error} onRetry={view.reload} />
      {policy && view.data ? (
        <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(false); if (await submit.run()) { setSaved(true); view.reload(); } }}>
          <Section title={t('admin.masking.clearTitle')} id="masking-clear">
            <p className="adm-muted">{t('admin.masking.clearHint')}</p>
            <div className="table-wrap">
              <table className="table adm-masking">
                <caption className="visually-hidden">{t('admin.masking.caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.masking.role')}</th>
                    {MASKING_FIELDS.map((f) => <th key={f} scope="col">{fieldName(f)}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {view.data.roles.map((role) => (
                    <tr key={role.key}>
                      <th scope="row">{role.name}</th>
                      {MASKING_FIELDS.map((f) => {
                        const on = (policy.clear[role.key] ?? []).includes(f);
                        return (
                          <td key={f}>
                            <input type="checkbox" checked={on} disabled={!manage} onChange={(e) => toggleClear(role.key, f, e.target.checked)}
                              aria-label={t('admin.masking.clearCell', { role: role.name, field: fieldName(f) })} />
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                  <tr className="adm-masking__stepup">
                    <th scope="row">{t('admin.masking.stepUpRow')}</th>
                    {MASKING_FIELDS.map((f) => (
                      <td key={f}>
                        <input type="checkbox" checked={policy.stepUp.includes(f)} disabled={!manage} onChange={(e) => toggleStepUp(f, e.target.checked)}
                          aria-label={t('admin.masking.stepUpCell', { field: fieldName(f) })} />
                      </td>
                    ))}
                  </tr>
                </tbody>
              </table>
            </div>
            <p className="adm-muted">{t('admin.masking.reasonAlways')}</p>
          </Section>
          <Section title={t('admin.masking.reasonsTitle')} id="masking-reasons">
            <div className="field-row">
              <TextField label={t('admin.masking.minLength')} hint={t('admin.masking.minLengthHint', { min: REVEAL_REASON_MIN })} type="number" inputMode="numeric"
                min={REVEAL_REASON_MIN} max={200} disabled={!manage} value={minLength} onChange={(e) => { setMinLength(e.target.value); setSaved(false); }} error={submit.fieldErrors['reasons.minLength'] ?? submit.fieldErrors.reasons} />
            </div>
            <TextAreaField label={t('admin.masking.categories')} hint={t('admin.masking.categoriesHint', { max: MAX_REASON_CATEGORIES })} optional rows={4} disabled={!manage}
              value={categories} onChange={(e) => { setCategories(e.target.value); setSaved(false); }} error={submit.fieldErrors['reasons.categories']} />
          </Section>
          <ErrorNotice error={submit.error} />
          {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
          {manage ? <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.masking.save')}</Button></div> : null}
        </form>
      ) : null}
    </Page>
  );
}
