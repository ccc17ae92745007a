/**
 * The organisation in the portal header: its logo and display name (decision 0158), from the public branding
 * read-out. The accent colour is applied as a CSS custom property through the CSSOM (no inline style attribute,
 * so the CSP stays strict).
 */
import { useEffect, useState } from 'react';
import { brandingEndpoints } from '../../../src/platform/http/schemas/branding.js';
import { t } from '../i18n/index.js';
import { portalCall } from './session.js';

interface Brand {
  name: string;
  accentColor: string | null;
  logoUrl: string | null;
}

export function PortalBrand({ orgId, fallback }: { orgId: string | undefined; fallback: string }) {
  const [brand, setBrand] = useState<Brand | null>(null);
  useEffect(() => {
    if (!orgId) return;
    let cancelled = false;
    portalCall(brandingEndpoints.portal, { params: { organizationId: orgId } }).then(
      (b) => !cancelled && setBrand(b),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [orgId]);
  useEffect(() => {
    const root = document.documentElement;
    if (brand?.accentColor && /^#[0-9a-f]{6}$/.test(brand.accentColor)) root.style.setProperty('--portal-accent', brand.accentColor);
    return () => {
      root.style.removeProperty('--portal-accent');
    };
  }, [brand?.accentColor]);
  const name = brand?.name ?? fallback;
  return (
    <span className="portal-header__org">
      {brand?.logoUrl ? <img className="portal-header__logo" src={brand.logoUrl} alt={t('portal.logoAlt', { name })} /> : null}
      <span>{name}</span>
    </span>
  );
}
