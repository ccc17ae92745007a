/**
 * The security policy in force (sessions, step-up, second factors per role,
 * passwords, lockout) as a read-out, and the organisation's address allowlist
 * editor. The passkey requirement is changed per custom role on Roles.
 */
import { useEffect, useState } from 'react';
import { organizationEndpoints } from '../../../src/platform/http/schemas/organization.js';
import { portalMfaEndpoints } from '../../../src/platform/http/schemas/portal-mfa.js';
import { allowlistEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { SelectField, TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { linesToList, PermissionName } from './shared.js';

function Allowlist({ current, onSaved }: { current: string[]; onSaved: () => void }) {
  const [text, setText] = useState(current.join('\n'));
  const [saved, setSaved] = useState(false);
  useEffect(() => setText(current.join('\n')), [current]);
  const submit = useSubmit(async () => {
    await call(allowlistEndpoints.update, { body: { allowedCidrs: linesToList(text) } });
    return true as const;
  });
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(false); if (await submit.run()) { setSaved(true); onSaved(); } }}>
      <TextAreaField label={t('admin.policy.allowlist.label')} hint={t('admin.policy.allowlist.hint')} rows={4} value={text} onChange={(e) => setText(e.target.value)} error={submit.fieldErrors.allowedCidrs ?? Object.entries(submit.fieldErrors).find(([k]) => k.startsWith('allowedCidrs'))?.[1]} />
      <ErrorNotice error={submit.error} />
      {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.policy.allowlist.save')}</Button></div>
    </form>
  );
}

type CustomerMfa = 'never' | 'sensitive' | 'always';

/** When customers must prove a second factor in the portal (decision 0220); saving is audited. */
function CustomerSecondFactor() {
  const current = useResource(() => call(portalMfaEndpoints.policy), []);
  const [value, setValue] = useState<CustomerMfa>('never');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data) setValue(current.data.policy);
  }, [current.data]);
  const submit = useSubmit(async () => call(portalMfaEndpoints.setPolicy, { body: { policy: value } }));
  if (!current.data) return current.error ? <ErrorNotice error={current.error} onRetry={current.reload} /> : <Loading />;
  const options = (['never', 'sensitive', 'always'] as const).map((v) => ({ value: v, label: t(`admin.policy.customerMfa.${v}`) }));
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(false); if (await submit.run()) setSaved(true); }}>
      <SelectField label={t('admin.policy.customerMfa.label')} hint={t('admin.policy.customerMfa.hint')} options={options} value={value} onChange={(e) => setValue(e.target.value as CustomerMfa)} />
      <ErrorNotice error={submit.error} />
      {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.policy.customerMfa.save')}</Button></div>
    </form>
  );
}

export function SecurityPolicy() {
  const { can } = useMe();
  const policy = useResource(() => call(organizationEndpoints.securityPolicy), []);
  const p = policy.data;
  return (
    <Page title={t('admin.policy.title')} subtitle={t('admin.policy.subtitle')} wide>
      <AdminNav />
      {policy.loading && !p ? <Loading /> : null}
      <ErrorNotice error={policy.error} onRetry={policy.reload} />
      {p ? (
        <>
          <div className="adm-cards">
            <Section title={t('admin.policy.sessions')} id="policy-sessions">
              <dl className="pairs">
                <dt>{t('admin.policy.idle')}</dt><dd>{tp('admin.common.minutes', p.sessions.idleMinutes)}</dd>
                <dt>{t('admin.policy.max')}</dt><dd>{tp('admin.common.hours', p.sessions.maxHours)}</dd>
                <dt>{t('admin.policy.stepUp')}</dt><dd>{tp('admin.common.minutes', p.sessions.stepUpMinutes)}</dd>
                <dt>{t('admin.policy.stepUpFor')}</dt><dd>{p.sessions.stepUpPermissions.map((x) => <PermissionName key={x} name={x} />)}</dd>
              </dl>
            </Section>
            <Section title={t('admin.policy.passwords')} id="policy-passwords">
              <dl className="pairs">
                <dt>{t('admin.policy.length')}</dt><dd>{t('admin.policy.lengthValue', { min: p.passwords.minLength, max: p.passwords.maxLength })}</dd>
                <dt>{t('admin.policy.breached')}</dt><dd>{p.passwords.breachedListChecked ? t('admin.common.yes') : t('admin.common.no')}</dd>
                <dt>{t('admin.policy.context')}</dt><dd>{p.passwords.contextWordsChecked ? t('admin.common.yes') : t('admin.common.no')}</dd>
              </dl>
            </Section>
            <Section title={t('admin.policy.lockout')} id="policy-lockout">
              <dl className="pairs">
                <dt>{t('admin.policy.account')}</dt><dd>{t('admin.policy.accountValue', { failures: tp('admin.common.failures', p.lockout.accountFreeFailures), max: tp('admin.common.minutes', p.lockout.accountMaxLockMinutes) })}</dd>
                <dt>{t('admin.policy.address')}</dt><dd>{t('admin.policy.addressValue', { failures: tp('admin.common.failures', p.lockout.addressMaxFailures), window: tp('admin.common.minutes', p.lockout.addressWindowMinutes) })}</dd>
              </dl>
            </Section>
          </div>
          <Section title={t('admin.policy.mfa')} id="policy-mfa">
            <p>{p.mfa.requiredForAllStaff ? t('admin.policy.mfaAll') : null}</p>
            <DataTable
              caption={t('admin.policy.mfa')}
              rows={p.mfa.roles}
              rowKey={(r) => r.id}
              columns={[
                { key: 'role', header: t('admin.policy.role'), render: (r) => <>{r.name}{r.builtIn ? <> <Badge>{t('admin.roles.builtIn')}</Badge></> : null}</> },
                { key: 'factor', header: t('admin.policy.factor'), render: (r) => (r.requirePhishingResistant ? <Badge tone="success">{t('admin.policy.passkey')}</Badge> : <Badge tone="info">{t('admin.policy.anyFactor')}</Badge>) },
                { key: 'members', header: t('admin.teams.members'), numeric: true, render: (r) => r.members },
              ]}
            />
            <p className="adm-muted">{t('admin.policy.mfaHint')}</p>
          </Section>
          {can('policies.manage') ? (
            <Section title={t('admin.policy.customerMfa.title')} id="policy-customer-mfa">
              <CustomerSecondFactor />
            </Section>
          ) : null}
          <Section title={t('admin.policy.allowlist.title')} id="policy-allowlist">
            {can('policies.manage') ? <Allowlist current={p.allowedCidrs} onSaved={policy.reload} /> : <p>{p.allowedCidrs.length ? p.allowedCidrs.join(', ') : t('admin.policy.allowlist.anywhere')}</p>}
          </Section>
        </>
      ) : null}
    </Page>
  );
}
