/** The pure parts of SAML: identity-provider metadata read strictly, and the certificates x509.ts writes (decision 0209). */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idpMetadata, newIdpKeys } from './saml-testing.js';
import { MetadataError, parseIdpMetadata } from './saml-metadata.js';
import { generateKeyAndCertificate, selfSignedCertificate } from './x509.js';

describe('x509', () => {
  it('writes a self-signed certificate node:crypto reads and verifies, with UTCTime and GeneralizedTime validity', () => {
    const made = generateKeyAndCertificate('Trustdesk test', { notBefore: new Date('2040-01-01T00:00:00Z'), notAfter: new Date('2060-06-30T12:00:00Z') });
    const cert = new X509Certificate(made.certificatePem);
    expect(cert.subject).toBe('CN=Trustdesk test');
    expect(new Date(cert.validFrom).toISOString()).toBe('2040-01-01T00:00:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2060-06-30T12:00:00.000Z');
    expect(cert.verify(createPublicKey(createPrivateKey(made.privateKeyPem)))).toBe(true);
  });
});

describe('parseIdpMetadata', () => {
  const keys = newIdpKeys();
  const one = idpMetadata({ entityId: 'https://idp.example/saml', ssoUrl: 'https://idp.example/sso', certificatePem: keys.certificatePem });
  it('writes a positive, minimally encoded serial number every time (a random serial once had illegal DER padding)', () => {
    const { privateKeyPem } = generateKeyAndCertificate('Serial Test');
    const key = createPrivateKey(privateKeyPem);
    for (let i = 0; i < 600; i++) {
      const cert = new X509Certificate(selfSignedCertificate({ commonName: 'Serial Test', privateKey: key }));
      expect(Number.parseInt(cert.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    }
  });

  it('reads the entity, the redirect sign-on URL and the signing certificate', () => {
    const m = parseIdpMetadata(one);
    expect(m).toMatchObject({ entityId: 'https://idp.example/saml', ssoUrl: 'https://idp.example/sso', validUntil: null });
    expect(m.certificates).toHaveLength(1);
    expect(m.certificates[0]?.fingerprint256).toBe(new X509Certificate(keys.certificatePem).fingerprint256);
  });
  it('takes one identity provider from an aggregate, and refuses two', () => {
    const entity = one.replace('<?xml version="1.0"?>', '');
    const wrap = (inner: string) => `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner}</md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(wrap(entity)).entityId).toBe('https://idp.example/saml');
    expect(() => parseIdpMetadata(wrap(entity + entity.replace('https://idp.example/saml', 'https://other.example/saml')))).toThrow(MetadataError);
  });
  it('accepts http:// only on a loopback host and only when allowed; refuses an oversized document', () => {
    const local = one.replace('https://idp.example/sso', 'http://127.0.0.1:8080/sso');
    expect(() => parseIdpMetadata(local)).toThrow('https://');
    expect(parseIdpMetadata(local, { allowHttp: true }).ssoUrl).toBe('http://127.0.0.1:8080/sso');
    expect(() => parseIdpMetadata(one.replace('https://idp.example/sso', 'http://idp.example/sso'), { allowHttp: true })).toThrow('https://');
    expect(() => parseIdpMetadata(`${one}<!--${'x'.repeat(300_000)}-->`)).toThrow('256 KB');
  });
});
