/**
 * SAML 2.0 service provider with @node-saml/node-saml (decision 0209): the AuthnRequest (HTTP-Redirect binding) and
 * the validation of the provider's Response at the assertion consumer service. node-saml checks the signature (of
 * the assertion, or of the whole response; only what the signature covers is read, so a wrapped copy is never
 * used), decrypts an encrypted assertion with the connection's key, and checks the audience, the time conditions
 * within the clock skew, and InResponseTo against the request Trustdesk issued. On top of it, here: the assertion's
 * issuer is the connection's provider, the Response's Destination and the bearer confirmation's Recipient are our
 * assertion consumer URL, and the signed confirmation answers this very request. Nothing here reads the database;
 * failures come back as a closed set of reasons for the audit trail, never the provider's text.
 */
import type { CacheProvider, Profile, SAML } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';

export interface SamlConnection {
  id: string;
  idpEntityId: string;
  ssoUrl: string;
  /** The provider's signing certificates (PEM). */
  idpCerts: string[];
  /** Trustdesk's entity ID for this connection (the audience it expects). */
  spEntityId: string;
  acsUrl: string;
  /** Trustdesk's decryption key (PKCS#8 PEM) and its certificate, published in the service-provider metadata. */
  spKeyPem: string | null;
  spCertPem: string;
}

/** Assertions whose clocks disagree with ours by more than this are refused. */
export const CLOCK_SKEW_MS = 2 * 60_000;
/** The ACS accepts no body larger than this (a form post of a base64 SAMLResponse): refused before any parsing. */
export const SAML_BODY_LIMIT = 256 * 1024;
const SAML_RESPONSE_MAX_CHARS = 200 * 1024;

export type SamlFailure =
  | 'response_missing'
  | 'response_too_large'
  | 'malformed_response'
  | 'signature_missing'
  | 'signature_invalid'
  | 'decryption_failed'
  | 'audience_mismatch'
  | 'issuer_mismatch'
  | 'destination_mismatch'
  | 'recipient_mismatch'
  | 'in_response_to_mismatch'
  | 'assertion_expired'
  | 'provider_error'
  | 'invalid_response';

export class SamlError extends Error {
  constructor(readonly reason: SamlFailure, internal: string) {
    super(internal);
  }
}

export interface SamlIdentity {
  assertionId: string;
  /** When the assertion stops being usable (its own conditions), for keeping its ID against replay. */
  notOnOrAfter: Date | null;
  nameId: string | null;
  nameIdFormat: string | null;
  email: string | null;
  authnContextClassRef: string | null;
  groups: string[];
  /** The display name the provider gave, if any (for an account provisioned on first sign-in). */
  name: string | null;
  /** Whether the assertion came encrypted to Trustdesk's key. */
  encrypted: boolean;
}

const EMAIL_ATTRIBUTES = ['email', 'mail', 'emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

async function samlFor(c: SamlConnection, request: { id: string; issuedAt: Date } | null): Promise<SAML> {
  // Loaded on the first SAML sign-in, not at every start (decision 0233).
  const { SAML, ValidateInResponseTo } = await import('@node-saml/node-saml');
  // The one request this answer may belong to: node-saml asks this cache, never a process-wide one.
  const cache: CacheProvider = {
    saveAsync: async (key, value) => ({ value, createdAt: Date.now() }),
    getAsync: async (key) => (request && key === request.id ? request.issuedAt.toISOString() : null),
    removeAsync: async (key) => key,
  };
  return new SAML({
    entryPoint: c.ssoUrl,
    callbackUrl: c.acsUrl,
    issuer: c.spEntityId,
    audience: c.spEntityId,
    idpCert: c.idpCerts,
    // A signed assertion, or a signed response around it: node-saml requires one of the two.
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    ...(c.spKeyPem ? { decryptionPvk: c.spKeyPem } : {}),
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: 10 * 60_000,
    cacheProvider: cache,
    generateUniqueId: () => request?.id ?? `_${crypto.randomUUID().replace(/-/g, '')}`,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
  });
}

/** A fresh AuthnRequest ID (an NCName: it must not start with a digit). */
export function newRequestId(): string {
  return `_${crypto.randomUUID().replace(/-/g, '')}${crypto.randomUUID().replace(/-/g, '')}`;
}

/** The provider's URL with the deflated, encoded AuthnRequest (HTTP-Redirect binding). */
export async function authorizationUrl(c: SamlConnection, input: { requestId: string; relayState: string }): Promise<string> {
  return (await samlFor(c, { id: input.requestId, issuedAt: new Date() })).getAuthorizeUrlAsync(input.relayState, undefined, {});
}

const escapeXml = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Trustdesk's service-provider metadata for the connection: entity ID, the assertion consumer service (HTTP-POST),
 * signed assertions wanted, and the certificate a provider encrypts assertions to. Public material only.
 */
export function serviceProviderMetadata(c: Pick<SamlConnection, 'spEntityId' | 'acsUrl' | 'spCertPem'>): string {
  const cert = c.spCertPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escapeXml(c.spEntityId)}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="false" WantAssertionsSigned="true">
    <md:KeyDescriptor use="encryption">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escapeXml(c.acsUrl)}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}

/**
 * The InResponseTo of a base64 SAMLResponse, read without trusting it: only to find the request it claims to answer.
 * The same value is checked again after the signature (by node-saml and below).
 */
export function claimedInResponseTo(samlResponse: string): string | null {
  const doc = parse(samlResponse);
  const value = doc?.documentElement?.getAttribute('InResponseTo') ?? '';
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/.test(value) ? value : null;
}

function parse(samlResponse: string) {
  if (samlResponse.length > SAML_RESPONSE_MAX_CHARS) throw new SamlError('response_too_large', `${samlResponse.length} characters`);
  if (!/^[A-Za-z0-9+/=\r\n]+$/.test(samlResponse)) throw new SamlError('malformed_response', 'not base64');
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlError('malformed_response', 'document type declaration');
  let broken = false;
  const doc = new DOMParser({ locator: {}, errorHandler: { warning: () => undefined, error: () => void (broken = true), fatalError: () => void (broken = true) } }).parseFromString(xml, 'text/xml');
  if (broken || !doc?.documentElement || doc.documentElement.localName !== 'Response') throw new SamlError('malformed_response', 'not a SAML Response');
  return doc;
}

type Parsed = Record<string, unknown>;
const first = (v: unknown): Parsed | undefined => (Array.isArray(v) ? (v[0] as Parsed | undefined) : undefined);
const attr = (node: Parsed | undefined, name: string): string | undefined => {
  const a = node?.$ as Record<string, string> | undefined;
  return typeof a?.[name] === 'string' ? a[name] : undefined;
};
const text = (node: unknown): string | undefined => {
  if (typeof node === 'string') return node;
  const t = (node as Parsed | undefined)?._;
  return typeof t === 'string' ? t : undefined;
};

/** Validates the provider's answer to the request `requestId` (issued at `issuedAt`); returns who it says signed in. */
export async function validateResponse(c: SamlConnection, input: { samlResponse: string; requestId: string; issuedAt: Date }): Promise<SamlIdentity> {
  const doc = parse(input.samlResponse);
  const root = doc.documentElement as Element;
  const destination = root.getAttribute('Destination');
  if (destination && destination !== c.acsUrl) throw new SamlError('destination_mismatch', 'Destination');
  let profile: Profile | null;
  try {
    ({ profile } = await (await samlFor(c, { id: input.requestId, issuedAt: input.issuedAt })).validatePostResponseAsync({ SAMLResponse: input.samlResponse }));
  } catch (e) {
    throw new SamlError(classify(e, root), e instanceof Error ? e.message.slice(0, 300) : 'unknown');
  }
  if (!profile) throw new SamlError('invalid_response', 'no profile');
  // Only the signed assertion (as node-saml verified it) is read from here on.
  const assertion = (profile.getAssertion?.() as Parsed | undefined)?.Assertion as Parsed | undefined;
  if (!assertion) throw new SamlError('invalid_response', 'no assertion');
  if (text(first(assertion.Issuer)) !== c.idpEntityId) throw new SamlError('issuer_mismatch', 'Issuer');
  const assertionId = attr(assertion, 'ID');
  if (!assertionId || assertionId.length > 256) throw new SamlError('invalid_response', 'assertion ID');

  // The bearer confirmation (Web Browser SSO profile, §4.1.4.2): for our ACS, in answer to our request.
  const subject = first(assertion.Subject);
  const confirmations = ((subject?.SubjectConfirmation as Parsed[] | undefined) ?? []).filter((s) => attr(s, 'Method') === BEARER);
  const data = confirmations.map((s) => first(s.SubjectConfirmationData)).filter((d): d is Parsed => d !== undefined);
  if (data.length === 0) throw new SamlError('invalid_response', 'no bearer confirmation');
  if (!data.some((d) => attr(d, 'Recipient') === c.acsUrl)) throw new SamlError('recipient_mismatch', 'Recipient');
  if (!data.some((d) => attr(d, 'Recipient') === c.acsUrl && attr(d, 'InResponseTo') === input.requestId)) throw new SamlError('in_response_to_mismatch', 'SubjectConfirmationData InResponseTo');

  const times = [attr(first(assertion.Conditions), 'NotOnOrAfter'), ...data.map((d) => attr(d, 'NotOnOrAfter'))].filter((v): v is string => Boolean(v)).map((v) => new Date(v).getTime()).filter((t) => !Number.isNaN(t));
  const nameIdNode = first(subject?.NameID);
  const nameId = text(nameIdNode) ?? null;
  const nameIdFormat = attr(nameIdNode, 'Format') ?? null;
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(profile)) if (typeof k === 'string') attributes[k.toLowerCase()] = v;
  const values = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  let email: string | null = null;
  for (const name of EMAIL_ATTRIBUTES) {
    const found = values(attributes[name])[0];
    if (found) {
      email = found;
      break;
    }
  }
  if (!email && nameIdFormat === EMAIL_FORMAT && nameId) email = nameId;
  const authn = first(first(first(assertion.AuthnStatement)?.AuthnContext)?.AuthnContextClassRef);
  const authnContextClassRef = text(authn) ?? (typeof first(first(assertion.AuthnStatement)?.AuthnContext)?.AuthnContextClassRef === 'string' ? null : null);
  const groups = [...values(attributes.groups), ...values(attributes['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']), ...values(attributes.memberof)].slice(0, 100);
  return {
    assertionId,
    notOnOrAfter: times.length > 0 ? new Date(Math.max(...times)) : null,
    nameId,
    nameIdFormat,
    email,
    authnContextClassRef,
    groups,
    name: values(attributes.displayname)[0] ?? values(attributes.name)[0] ?? values(attributes.cn)[0] ?? null,
    encrypted: Array.from({ length: root.childNodes.length }, (_, i) => root.childNodes.item(i)).some((n) => (n as Element).localName === 'EncryptedAssertion'),
  };
}

function hasSignature(root: Element): boolean {
  return root.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').length > 0;
}

/** node-saml's messages → a closed set of reasons. */
function classify(e: unknown, root: Element): SamlFailure {
  const name = e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'SamlStatusError' || /Invalid status code|Responder|Requester|NoPassive/.test(message)) return 'provider_error';
  if (/decrypt|EncryptedAssertion|No decryption key/i.test(message)) return 'decryption_failed';
  if (/InResponseTo/i.test(message)) return 'in_response_to_mismatch';
  if (/audience/i.test(message)) return 'audience_mismatch';
  if (/expired|not yet valid|No valid subject confirmation/i.test(message)) return 'assertion_expired';
  if (/signature|signed|Cannot obtain assertion|multiple assertions/i.test(message)) return hasSignature(root) ? 'signature_invalid' : 'signature_missing';
  if (/Missing SAML assertion|Unknown SAML response message/i.test(message)) return hasSignature(root) ? 'invalid_response' : 'signature_missing';
  return 'invalid_response';
}
