/**
 * Test factory: a SAML identity provider in this process — its key and certificate made at test time (x509.ts), its
 * metadata, and Responses built as a provider would (signed assertion, signed response, both or neither; encrypted
 * for the service provider or not), each part overridable so a test can forge one thing at a time. Signing and
 * encryption use xml-crypto and xml-encryption, the libraries node-saml verifies and decrypts with.
 */
import { randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import * as xmlenc from 'xml-encryption';
import { certificateBody, generateKeyAndCertificate } from './x509.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

export interface TestIdpKeys {
  privateKeyPem: string;
  certificatePem: string;
}

export const newIdpKeys = (name = 'Test IdP'): TestIdpKeys => generateKeyAndCertificate(name);

export function idpMetadata(input: { entityId: string; ssoUrl: string; certificatePem: string; validUntil?: Date }): string {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${input.entityId}"${input.validUntil ? ` validUntil="${input.validUntil.toISOString()}"` : ''}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(input.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${input.ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

export interface ResponseInput {
  idpEntityId: string;
  keys: TestIdpKeys;
  /** Trustdesk's entity ID (the audience) and assertion consumer URL (Destination and Recipient). */
  audience: string;
  acsUrl: string;
  inResponseTo: string;
  email: string;
  authnContextClassRef?: string;
  assertionId?: string;
  recipient?: string;
  destination?: string | null;
  issuer?: string;
  /** Minutes from now; defaults: issued now, valid 5 minutes. */
  notBeforeMinutes?: number;
  notOnOrAfterMinutes?: number;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Signs with these keys instead (an attacker's). */
  signWith?: TestIdpKeys;
  /** Encrypts the assertion for the service provider's certificate. */
  encryptFor?: string;
  groups?: string[];
}

const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

export function assertionXml(r: ResponseInput): string {
  const id = r.assertionId ?? `_a${randomUUID().replace(/-/g, '')}`;
  const notBefore = at(r.notBeforeMinutes ?? -1);
  const notOnOrAfter = at(r.notOnOrAfterMinutes ?? 5);
  const groups = r.groups?.length ? `<saml:Attribute Name="groups">${r.groups.map((g) => `<saml:AttributeValue>${g}</saml:AttributeValue>`).join('')}</saml:Attribute>` : '';
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${at((r.notBeforeMinutes ?? -1) + 1)}"><saml:Issuer>${r.issuer ?? r.idpEntityId}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${r.email}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${r.recipient ?? r.acsUrl}" InResponseTo="${r.inResponseTo}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${r.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${at(-1)}" SessionIndex="_s${randomUUID().replace(/-/g, '')}"><saml:AuthnContext><saml:AuthnContextClassRef>${r.authnContextClassRef ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>${r.email}</saml:AttributeValue></saml:Attribute>${groups}</saml:AttributeStatement></saml:Assertion>`;
}

/** Signs the element `local` (Assertion or Response), the signature placed after its Issuer. */
export function signElement(xml: string, local: 'Assertion' | 'Response', keys: TestIdpKeys): string {
  const sig = new SignedXml({ privateKey: keys.privateKeyPem, publicCert: keys.certificatePem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  const xpath = local === 'Response' ? "/*[local-name(.)='Response']" : "//*[local-name(.)='Assertion']";
  sig.addReference({ xpath, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  sig.computeSignature(xml, { location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

async function encrypt(assertion: string, certificatePem: string): Promise<string> {
  const data = await new Promise<string>((resolve, reject) =>
    xmlenc.encrypt(assertion, { rsa_pub: certificatePem, pem: certificatePem, encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p', disallowEncryptionWithInsecureAlgorithm: true }, (err, result) => (err ? reject(err) : resolve(result))),
  );
  return `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${data}</saml:EncryptedAssertion>`;
}

export function wrapResponse(r: Pick<ResponseInput, 'idpEntityId' | 'acsUrl' | 'inResponseTo' | 'destination' | 'issuer'>, inner: string): string {
  const destination = r.destination === null ? '' : ` Destination="${r.destination ?? r.acsUrl}"`;
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomUUID().replace(/-/g, '')}" Version="2.0" IssueInstant="${at(0)}"${destination} InResponseTo="${r.inResponseTo}"><saml:Issuer>${r.issuer ?? r.idpEntityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${inner}</samlp:Response>`;
}

/** A whole Response, base64 as the HTTP-POST binding carries it. */
export async function buildResponse(r: ResponseInput): Promise<string> {
  const keys = r.signWith ?? r.keys;
  const how = r.sign ?? 'assertion';
  let assertion = assertionXml(r);
  if (how === 'assertion' || how === 'both') assertion = signElement(assertion, 'Assertion', keys);
  if (r.encryptFor) assertion = await encrypt(assertion, r.encryptFor);
  let response = wrapResponse(r, assertion);
  if (how === 'response' || how === 'both') response = signElement(response, 'Response', keys);
  return Buffer.from(response).toString('base64');
}
