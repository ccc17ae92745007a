/**
 * Pure: a self-signed X.509 certificate (RSA, SHA-256) for a key pair, written in DER by hand because node:crypto
 * reads certificates but does not make them. SAML carries keys as certificates: Trustdesk's decryption key is
 * published in its service-provider metadata this way (decision 0209), and the tests' identity providers sign with
 * keys made here at test time (no key file is committed). Only what a SAML peer reads is written: version 1, a
 * common name, the validity and the public key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, content: Buffer) => Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const n of rest) {
    const part = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) part.unshift(0x80 | (v & 0x7f));
    bytes.push(...part);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const name = (commonName: string) => sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

export interface CertificateInput {
  commonName: string;
  privateKey: KeyObject | string;
  notBefore?: Date;
  notAfter?: Date;
}

/** A self-signed certificate in PEM for the RSA key. */
export function selfSignedCertificate(input: CertificateInput): string {
  const key = typeof input.privateKey === 'string' ? createPrivateKey(input.privateKey) : input.privateKey;
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  // Positive and minimal in DER: the top bit clear and the first byte never zero (`as` binds tighter than `&`).
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const notBefore = input.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = input.notAfter ?? new Date(notBefore.getTime() + 10 * 365 * 86_400_000);
  const subject = name(input.commonName.slice(0, 64));
  const tbs = sequence(tlv(0x02, serial), SHA256_WITH_RSA, subject, sequence(time(notBefore), time(notAfter)), subject, spki);
  const signature = sign('sha256', tbs, key);
  const der = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  new X509Certificate(pem); // what is written must read back
  return pem;
}

/** A new RSA key (PKCS#8 PEM) and its self-signed certificate. */
export function generateKeyAndCertificate(commonName: string, validity: { notBefore?: Date; notAfter?: Date } = {}): { privateKeyPem: string; certificatePem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certificatePem: selfSignedCertificate({ commonName, privateKey, ...validity }) };
}

/** The certificate's base64 body (no PEM lines), as SAML metadata carries it. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
