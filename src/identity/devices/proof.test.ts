import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS, networkOf, proofMessage, publicKeyFromJwk, verifyProof, withinSkew } from './proof.js';
import { readCsvWatermark, watermarkCsv } from './watermark.js';

describe('device proofs', () => {
  it('verifies a WebCrypto-style signature only over the exact message', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKeyFromJwk({ kty: 'EC', crv: 'P-256', ...(publicKey.export({ format: 'jwk' }) as { x: string; y: string }) })!;
    const message = proofMessage({ purpose: 'register', challenge: 'abc', binding: 'session-1', timestamp: 1 });
    const signature = sign('sha256', Buffer.from(message), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifyProof(spki, message, signature)).toBe(true);
    expect(verifyProof(spki, proofMessage({ purpose: 'register', challenge: 'abc', binding: 'session-2', timestamp: 1 }), signature)).toBe(false);
    expect(verifyProof(spki, message, signature.subarray(0, 63))).toBe(false);
    expect(verifyProof(Buffer.from('junk'), message, signature)).toBe(false);
    expect(publicKeyFromJwk({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' })).toBeNull();
    expect(publicKeyFromJwk({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' })).toBeNull();
  });

  it('tolerates a bounded clock skew either way', () => {
    const now = 1_800_000_000_000;
    expect(withinSkew(now - MAX_CLOCK_SKEW_MS, now)).toBe(true);
    expect(withinSkew(now + MAX_CLOCK_SKEW_MS, now)).toBe(true);
    expect(withinSkew(now + MAX_CLOCK_SKEW_MS + 1, now)).toBe(false);
    expect(withinSkew(now - MAX_CLOCK_SKEW_MS - 1, now)).toBe(false);
    expect(withinSkew(Number.NaN, now)).toBe(false);
  });

  it('names networks coarsely', () => {
    expect(networkOf('192.0.2.77')).toBe('192.0.2.0/24');
    expect(networkOf('::ffff:192.0.2.77')).toBe('192.0.2.0/24');
    expect(networkOf('2001:db8:1:2::5')).toBe('2001:db8:1::/48');
  });
});

describe('export watermarks', () => {
  it('puts who, when and which device on a first CSV line that a spreadsheet will not run and a program can read', () => {
    const csv = watermarkCsv('a,b\r\n1,2\r\n', { exporter: { id: 'u1', name: '=HYPERLINK("x";"y")', email: 'ada@example.test' }, at: new Date('2026-12-04T06:00:00Z'), device: { id: 'd1', name: 'Desk "3"\nnext' } });
    const first = csv.split('\r\n')[0]!;
    expect(first.startsWith('"#')).toBe(true);
    expect(csv.split('\r\n').slice(1).join('\r\n')).toBe('a,b\r\n1,2\r\n');
    expect(readCsvWatermark(csv)).toEqual({ exported_by: 'HYPERLINK("x" "y") <ada@example.test>', exported_at: '2026-12-04T06:00:00.000Z', device: 'd1 (Desk "3" next)' });
    expect(readCsvWatermark('a,b\r\n')).toBeNull();
  });
});
