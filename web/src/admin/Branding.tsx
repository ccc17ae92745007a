/**
 * Branding (decision 0158): the display name customers see as sender and in every mail, an accent colour the
 * server accepts only when white text on it is readable, and the portal logo (PNG, JPEG or WebP; the server reads
 * the type from the bytes and refuses SVG and anything that is more than one image).
 */
import { useEffect, useState } from 'react';
import { brandingEndpoints } from '../../../src/platform/http/schemas/branding.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ConfirmButton } from './shared.js';

export function Branding() {
  const branding = useResource(() => call(brandingEndpoints.read), []);
  const [displayName, setDisplayName] = useState('');
  const [accent, setAccent] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [uploaded, setUploaded] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  useEffect(() => {
    if (!branding.data) return;
    setDisplayName(branding.data.displayName ?? '');
    setAccent(branding.data.accentColor ?? '');
  }, [branding.data]);
  const save = useSubmit(async () => {
    const r = await call(brandingEndpoints.update, { body: { displayName: displayName.trim() || null, accentColor: accent.trim() || null } });
    setSaved(r.name);
    branding.reload();
    return r;
  });
  const upload = useSubmit(async () => {
    if (!file) return undefined;
    await call(brandingEndpoints.uploadLogo, {}, { raw: new Blob([file], { type: 'application/octet-stream' }) });
    setUploaded(true);
    branding.reload();
    return true as const;
  });
  const data = branding.data;
  return (
    <Page title={t('admin.branding.title')} subtitle={t('admin.branding.subtitle')}>
      <AdminNav />
      {branding.loading && !data ? <Loading /> : null}
      <ErrorNotice error={branding.error} onRetry={branding.reload} />
      {data ? (
        <>
          <Section title={t('admin.branding.nameSection')} id="branding-name">
            <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); setSaved(null); await save.run(); }}>
              <TextField label={t('admin.branding.displayName')} hint={t('admin.branding.displayNameHint', { name: data.organizationName })} optional maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={save.fieldErrors.displayName} />
              <TextField label={t('admin.branding.accent')} hint={t('admin.branding.accentHint')} optional maxLength={7} value={accent} onChange={(e) => setAccent(e.target.value)} error={save.fieldErrors.accentColor} />
              <ErrorNotice error={save.error} />
              {saved ? <Notice tone="success" title={t('admin.branding.saved', { name: saved })} /> : null}
              <div className="form__actions"><Button type="submit" variant="primary" busy={save.busy}>{t('admin.branding.save')}</Button></div>
            </form>
          </Section>
          <Section title={t('admin.branding.logoSection')} id="branding-logo">
            {data.logoUrl ? (
              <figure className="branding-logo">
                <img src={data.logoUrl} alt={t('admin.branding.logoCurrent')} className="branding-logo__img" />
                <figcaption>{t('admin.branding.logoCurrent')}</figcaption>
              </figure>
            ) : (
              <p>{t('admin.branding.noLogo')}</p>
            )}
            <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); setUploaded(false); await upload.run(); }}>
              <TextField label={t('admin.branding.logoFile')} hint={t('admin.branding.logoHint')} type="file" accept="image/png,image/jpeg,image/webp" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
              <ErrorNotice error={upload.error} />
              {uploaded ? <Notice tone="success" title={t('admin.branding.logoUploaded')} /> : null}
              <div className="form__actions">
                <Button type="submit" variant="primary" busy={upload.busy} disabled={!file}>{t('admin.branding.logoSection')}</Button>
                {data.logoUrl ? (
                  <ConfirmButton label={t('admin.branding.removeLogo')} title={t('admin.branding.removeLogo')} body={t('admin.branding.removeLogoConfirm')} confirmLabel={t('admin.branding.removeLogo')} onConfirm={async () => { await call(brandingEndpoints.removeLogo); branding.reload(); }} />
                ) : null}
              </div>
            </form>
          </Section>
        </>
      ) : null}
    </Page>
  );
}
