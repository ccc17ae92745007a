/**
 * The organisation's single sign-on connection, OpenID Connect or SAML 2.0: provider, client (OpenID Connect) or the
 * provider's metadata pasted or uploaded (SAML), email domains, whose second factor counts, single-sign-on-only with
 * break-glass accounts. The client secret is write-only. For SAML, Trustdesk's metadata URL and assertion consumer
 * URL are shown to give the provider. Saving needs a fresh second factor (policies.manage), which the step-up host
 * asks for.
 */
import { useEffect, useState } from 'react';
import { ssoEndpoints, type SsoSettings } from '../../../src/platform/http/schemas/sso.js';
import type { Static } from 'typebox';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ScimProvisioning } from './ScimProvisioning.js';
import { ConfirmButton, linesToList } from './shared.js';

type Settings = Static<typeof SsoSettings>;
type Mapping = { group: string; roles: string[]; teams: string[] };

/** One mapping a line: `group = role-key, role-key | team-id, team-id` (the teams part is optional). */
const mappingsToText = (mappings: readonly Mapping[]) => mappings.map((m) => `${m.group} = ${m.roles.join(', ')}${m.teams.length ? ` | ${m.teams.join(', ')}` : ''}`).join('\n');
function textToMappings(text: string): Mapping[] {
  const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.lastIndexOf('=');
    const [roles, teams] = (at < 0 ? '' : line.slice(at + 1)).split('|');
    return { group: at < 0 ? line : line.slice(0, at).trim(), roles: list(roles), teams: list(teams) };
  });
}

function Form({ settings, onSaved }: { settings: Settings; onSaved: () => void }) {
  const c = settings.connection;
  const [protocol, setProtocol] = useState<'oidc' | 'saml'>(c?.protocol ?? 'oidc');
  const [metadataXml, setMetadataXml] = useState('');
  const [enabled, setEnabled] = useState(c?.enabled ?? false);
  const [displayName, setDisplayName] = useState(c?.displayName ?? '');
  const [issuer, setIssuer] = useState(c?.issuer ?? '');
  const [clientId, setClientId] = useState(c?.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [domains, setDomains] = useState((c?.emailDomains ?? []).join('\n'));
  const [scopes, setScopes] = useState((c?.scopes ?? ['openid', 'email', 'profile']).join(' '));
  const [trustMfa, setTrustMfa] = useState(c?.trustProviderMfa ?? false);
  const [mfaAcr, setMfaAcr] = useState((c?.mfaAcrValues ?? []).join('\n'));
  const [phrAcr, setPhrAcr] = useState((c?.phishingResistantAcrValues ?? []).join('\n'));
  const [ssoOnly, setSsoOnly] = useState(c?.ssoOnly ?? false);
  const [breakGlass, setBreakGlass] = useState((c?.breakGlassUserIds ?? []).join('\n'));
  const [jit, setJit] = useState(c?.jitProvisioning ?? false);
  const [mappings, setMappings] = useState(mappingsToText(c?.groupMappings ?? []));
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setClientSecret('');
    setMetadataXml('');
  }, [settings]);
  const submit = useSubmit(async () => {
    // What both protocols share: domains, the second-factor policy, single-sign-on-only, provisioning.
    const common = {
      enabled,
      displayName: displayName.trim(),
      emailDomains: linesToList(domains),
      trustProviderMfa: trustMfa,
      mfaAcrValues: linesToList(mfaAcr),
      phishingResistantAcrValues: linesToList(phrAcr),
      ssoOnly,
      breakGlassUserIds: linesToList(breakGlass),
      jitProvisioning: jit,
      groupMappings: textToMappings(mappings),
    };
    if (protocol === 'saml') {
      await call(ssoEndpoints.saveSaml, { body: { ...common, ...(metadataXml.trim() ? { idpMetadataXml: metadataXml.trim() } : {}) } });
      return true as const;
    }
    await call(ssoEndpoints.save, {
      body: { ...common, issuer: issuer.trim(), clientId: clientId.trim(), ...(clientSecret ? { clientSecret } : {}), scopes: scopes.split(/\s+/).filter(Boolean) },
    });
    return true as const;
  });
  const err = (field: string) => submit.fieldErrors[field] ?? Object.entries(submit.fieldErrors).find(([k]) => k.startsWith(field))?.[1];
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(false); if (await submit.run()) { setSaved(true); onSaved(); } }}>
      <SelectField label={t('sso.admin.protocol')} value={protocol} onChange={(e) => setProtocol(e.target.value === 'saml' ? 'saml' : 'oidc')} options={[{ value: 'oidc', label: t('sso.admin.protocol.oidc') }, { value: 'saml', label: t('sso.admin.protocol.saml') }]} />
      <CheckboxField label={t('sso.admin.enabled')} hint={t('sso.admin.enabledHint')} checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
      <TextField label={t('sso.admin.displayName')} hint={t('sso.admin.displayNameHint')} value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={err('displayName')} required />
      {protocol === 'oidc' ? (
        <>
          <TextField label={t('sso.admin.issuer')} hint={t('sso.admin.issuerHint')} type="url" value={issuer} onChange={(e) => setIssuer(e.target.value)} error={err('issuer')} required />
          <TextField label={t('sso.admin.clientId')} value={clientId} onChange={(e) => setClientId(e.target.value)} error={err('clientId')} required />
          <TextField label={t('sso.admin.clientSecret')} hint={c?.hasClientSecret ? t('sso.admin.clientSecretKept') : t('sso.admin.clientSecretHint')} type="password" autoComplete="off" value={clientSecret} onChange={(e) => setClientSecret(e.target.value)} error={err('clientSecret')} optional />
        </>
      ) : (
        <>
          <TextAreaField label={t('sso.admin.samlMetadata')} hint={c?.saml ? t('sso.admin.samlMetadataKept') : t('sso.admin.samlMetadataHint')} rows={6} spellCheck={false} value={metadataXml} onChange={(e) => setMetadataXml(e.target.value)} error={err('idpMetadataXml')} optional={Boolean(c?.saml)} />
          <TextField label={t('sso.admin.samlMetadataFile')} type="file" accept=".xml,text/xml,application/xml,application/samlmetadata+xml" onChange={(e) => { const file = e.target.files?.[0]; if (file) void file.text().then(setMetadataXml); }} optional />
        </>
      )}
      <TextAreaField label={t('sso.admin.domains')} hint={t('sso.admin.domainsHint')} rows={3} value={domains} onChange={(e) => setDomains(e.target.value)} error={err('emailDomains')} />
      {protocol === 'oidc' ? <TextField label={t('sso.admin.scopes')} hint={t('sso.admin.scopesHint')} value={scopes} onChange={(e) => setScopes(e.target.value)} error={err('scopes')} /> : null}
      <CheckboxField label={t('sso.admin.trustMfa')} hint={protocol === 'saml' ? t('sso.admin.trustMfaHintSaml') : t('sso.admin.trustMfaHint')} checked={trustMfa} onChange={(e) => setTrustMfa(e.target.checked)} />
      {trustMfa ? (
        <>
          <TextAreaField label={t('sso.admin.mfaAcr')} hint={t('sso.admin.acrHint')} rows={2} value={mfaAcr} onChange={(e) => setMfaAcr(e.target.value)} error={err('mfaAcrValues')} optional />
          <TextAreaField label={t('sso.admin.phrAcr')} hint={t('sso.admin.acrHint')} rows={2} value={phrAcr} onChange={(e) => setPhrAcr(e.target.value)} error={err('phishingResistantAcrValues')} optional />
        </>
      ) : null}
      <CheckboxField label={t('sso.admin.ssoOnly')} hint={t('sso.admin.ssoOnlyHint')} checked={ssoOnly} onChange={(e) => setSsoOnly(e.target.checked)} />
      <TextAreaField label={t('sso.admin.breakGlass')} hint={t('sso.admin.breakGlassHint')} rows={2} value={breakGlass} onChange={(e) => setBreakGlass(e.target.value)} error={err('breakGlassUserIds')} optional />
      <CheckboxField label={t('sso.admin.jit')} hint={t('sso.admin.jitHint')} checked={jit} onChange={(e) => setJit(e.target.checked)} />
      <TextAreaField label={t('sso.admin.groupMappings')} hint={t('sso.admin.groupMappingsHint')} rows={3} spellCheck={false} value={mappings} onChange={(e) => setMappings(e.target.value)} error={err('groupMappings')} optional />
      <ErrorNotice error={submit.error} />
      {saved ? <Notice tone="success">{t('form.saved')}</Notice> : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('sso.admin.save')}</Button></div>
    </form>
  );
}

export function SingleSignOn() {
  const settings = useResource(() => call(ssoEndpoints.settings), []);
  const s = settings.data;
  return (
    <Page title={t('sso.admin.title')} subtitle={t('sso.admin.subtitle')} wide>
      <AdminNav />
      {settings.loading && !s ? <Loading /> : null}
      <ErrorNotice error={settings.error} onRetry={settings.reload} />
      {s ? (
        <>
          <Section title={t('sso.admin.redirectUri')} id="sso-redirect">
            <p><code>{s.redirectUri}</code></p>
          </Section>
          <Section title={t('sso.admin.saml.title')} id="sso-saml">
            <dl className="pairs">
              <dt>{t('sso.admin.saml.metadataUrl')}</dt>
              <dd>{s.samlMetadataUrl ? <a href={s.samlMetadataUrl}><code>{s.samlMetadataUrl}</code></a> : t('sso.admin.saml.metadataUrlLater')}</dd>
              <dt>{t('sso.admin.saml.acsUrl')}</dt>
              <dd><code>{s.samlAcsUrl}</code></dd>
              {s.connection?.saml ? (
                <>
                  <dt>{t('sso.admin.saml.idpEntityId')}</dt>
                  <dd><code>{s.connection.saml.idpEntityId}</code></dd>
                  <dt>{t('sso.admin.saml.certificates')}</dt>
                  <dd>{s.connection.saml.certificates.map((cert) => <p key={cert.fingerprint256}><code>{cert.fingerprint256}</code> {t('sso.admin.saml.notAfter', { date: cert.notAfter.slice(0, 10) })}</p>)}</dd>
                  {s.connection.saml.metadataValidUntil ? (
                    <>
                      <dt>{t('sso.admin.saml.validUntil')}</dt>
                      <dd>{s.connection.saml.metadataValidUntil.slice(0, 10)}</dd>
                    </>
                  ) : null}
                </>
              ) : null}
            </dl>
          </Section>
          <Section title={t('sso.admin.title')} id="sso-connection">
            <Form settings={s} onSaved={settings.reload} />
            {s.connection ? (
              <ConfirmButton label={t('sso.admin.remove')} title={t('sso.admin.removeTitle')} body={<p>{t('sso.admin.removeBody')}</p>} variant="danger" onConfirm={async () => { await call(ssoEndpoints.remove); settings.reload(); }} />
            ) : null}
          </Section>
        </>
      ) : null}
      <ScimProvisioning />
    </Page>
  );
}
