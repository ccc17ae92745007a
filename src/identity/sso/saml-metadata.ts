/**
 * Pure: an identity provider's SAML 2.0 metadata (pasted or uploaded by an administrator) read into what the
 * service provider needs — its entity ID, the single-sign-on URL (HTTP-Redirect binding), its signing certificates
 * and the metadata's `validUntil` (decision 0209). Strict: a document type declaration, a second identity
 * provider, a missing or unreadable certificate, a non-https URL or a `validUntil` in the past is refused with a
 * sentence an administrator can act on; nothing is returned half-read.
 */
import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';

export const METADATA_MAX_CHARS = 256 * 1024;

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export class MetadataError extends Error {}

export interface IdpCertificate {
  pem: string;
  fingerprint256: string;
  subject: string;
  notAfter: string;
}

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  certificates: IdpCertificate[];
  validUntil: Date | null;
}

function elements(parent: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    const e = n as Element;
    if (n.nodeType === 1 && e.namespaceURI === ns && e.localName === local) out.push(e);
  }
  return out;
}

/** `allowHttp`: an http:// single-sign-on URL on a loopback host (a local identity provider in development). */
export function parseIdpMetadata(xml: string, options: { now?: Date; allowHttp?: boolean } = {}): IdpMetadata {
  if (xml.length > METADATA_MAX_CHARS) throw new MetadataError('The metadata is larger than 256 KB.');
  // No document type: entity declarations are how XML parsers are turned against their host.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new MetadataError('The metadata contains a document type declaration, which is not accepted.');
  const problems: string[] = [];
  const doc = new DOMParser({
    locator: {},
    errorHandler: { warning: () => undefined, error: (m: string) => void problems.push(m), fatalError: (m: string) => void problems.push(m) },
  }).parseFromString(xml.trim(), 'text/xml');
  const root = doc?.documentElement;
  if (problems.length > 0 || !root) throw new MetadataError('The metadata is not well-formed XML.');

  let entity: Element | undefined;
  if (root.namespaceURI === MD && root.localName === 'EntityDescriptor') entity = root;
  else if (root.namespaceURI === MD && root.localName === 'EntitiesDescriptor') {
    const idps = elements(root, MD, 'EntityDescriptor').filter((e) => elements(e, MD, 'IDPSSODescriptor').length > 0);
    if (idps.length !== 1) throw new MetadataError('The metadata must describe exactly one identity provider.');
    entity = idps[0];
  } else throw new MetadataError('This is not SAML 2.0 metadata (an EntityDescriptor was expected).');
  if (!entity) throw new MetadataError('This is not SAML 2.0 metadata (an EntityDescriptor was expected).');

  const now = options.now ?? new Date();
  for (const holder of [root, entity]) {
    const raw = holder.getAttribute('validUntil');
    if (!raw) continue;
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) throw new MetadataError('The metadata’s validUntil is not a date.');
    if (at.getTime() <= now.getTime()) throw new MetadataError(`The metadata expired on ${at.toISOString()}. Download a current copy from your identity provider.`);
  }
  const validUntils = [root, entity].map((h) => h.getAttribute('validUntil')).filter((v): v is string => Boolean(v)).map((v) => new Date(v));
  const validUntil = validUntils.length > 0 ? new Date(Math.min(...validUntils.map((d) => d.getTime()))) : null;

  const entityId = (entity.getAttribute('entityID') ?? '').trim();
  if (entityId.length < 8 || entityId.length > 500) throw new MetadataError('The identity provider’s entityID is missing or not between 8 and 500 characters.');

  const idps = elements(entity, MD, 'IDPSSODescriptor');
  if (idps.length !== 1) throw new MetadataError('The metadata has no identity-provider role (IDPSSODescriptor).');
  const idp = idps[0] as Element;
  if (!(idp.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL)) throw new MetadataError('The identity provider does not announce SAML 2.0.');

  const sso = elements(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT_BINDING);
  const location = sso?.getAttribute('Location')?.trim();
  if (!location) throw new MetadataError('The identity provider has no single-sign-on service with the HTTP-Redirect binding.');
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new MetadataError('The single-sign-on service’s Location is not a URL.');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.username || url.password || url.hash || !(url.protocol === 'https:' || (url.protocol === 'http:' && options.allowHttp && loopback))) {
    throw new MetadataError('The single-sign-on service’s Location must be an https:// URL.');
  }

  const certificates: IdpCertificate[] = [];
  for (const kd of elements(idp, MD, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const info of elements(kd, DS, 'KeyInfo')) {
      for (const data of elements(info, DS, 'X509Data')) {
        for (const c of elements(data, DS, 'X509Certificate')) {
          const body = (c.textContent ?? '').replace(/\s+/g, '');
          const pem = `-----BEGIN CERTIFICATE-----\n${body.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
          let cert: X509Certificate;
          try {
            if (!/^[A-Za-z0-9+/=]{100,16000}$/.test(body)) throw new Error('shape');
            cert = new X509Certificate(pem);
          } catch {
            throw new MetadataError('One of the identity provider’s signing certificates cannot be read.');
          }
          if (!certificates.some((k) => k.fingerprint256 === cert.fingerprint256)) {
            certificates.push({ pem, fingerprint256: cert.fingerprint256, subject: cert.subject.slice(0, 200), notAfter: new Date(cert.validTo).toISOString() });
          }
        }
      }
    }
  }
  if (certificates.length === 0) throw new MetadataError('The metadata has no signing certificate: Trustdesk accepts only signed assertions.');
  if (certificates.length > 5) throw new MetadataError('The metadata lists more than 5 signing certificates.');
  return { entityId, ssoUrl: url.toString(), certificates, validUntil };
}
