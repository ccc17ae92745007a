/**
 * Field-encryption benchmark: `npm run bench:crypto` (or `npx tsx bench/crypto.bench.ts`).
 * Prints figures; asserts nothing. Each case warms up, then runs for a fixed time.
 * Options: --seconds=N (time per case, default 1).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { computeBlindIndex, deriveBlindIndexKey } from '../src/protection/crypto/blind-index.js';
import {
  decryptField,
  deriveFieldSubkey,
  encryptField,
  generateNonce,
  getAeadBackend,
  openXChaCha20Poly1305,
  sealXChaCha20Poly1305,
  type AeadBackend,
  type DataKey,
  type FieldContext,
} from '../src/protection/crypto/field-cipher.js';
import { normalizers } from '../src/protection/crypto/normalize.js';

const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
const RUN_SECONDS = secondsArg === undefined ? 1 : Number(secondsArg.slice('--seconds='.length));
const WARMUP_SECONDS = Math.min(0.3, RUN_SECONDS / 3);
const SIZES = [200, 4 * 1024, 64 * 1024];

let sink = 0; // keeps results observable so nothing is optimized away

const SLICES = 5;

interface Timing { wallNs: number; cpuNs: number }

/**
 * Warms fn up, then runs it for `seconds` split into 5 slices. Reports the median
 * slice's wall time per op, and process CPU time per op (user+system, all
 * threads), which is what an op costs even when other processes share the CPU.
 */
function measure(fn: () => unknown, seconds = RUN_SECONDS): Timing {
  const run = (limitNs: number): Timing => {
    const limit = BigInt(Math.round(limitNs));
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    let ops = 0;
    let elapsed = 0n;
    do {
      for (let i = 0; i < 16; i++) {
        const out = fn();
        if (out instanceof Uint8Array) sink ^= out.length;
      }
      ops += 16;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < limit);
    const cpu = process.cpuUsage(cpuStart);
    return { wallNs: Number(elapsed) / ops, cpuNs: ((cpu.user + cpu.system) * 1000) / ops };
  };
  run(WARMUP_SECONDS * 1e9);
  const slices = Array.from({ length: SLICES }, () => run((seconds * 1e9) / SLICES)).sort((a, b) => a.wallNs - b.wallNs);
  return slices[Math.floor(SLICES / 2)] ?? { wallNs: Number.NaN, cpuNs: Number.NaN };
}

interface Row { name: string; size: number; enc: Timing; dec: Timing; both: Timing }

const rows: Row[] = [];
const dek: DataKey = { id: randomUUID(), version: 1, key: randomBytes(32) };
const ctx: FieldContext = { table: 'customers', column: 'notes', rowId: randomUUID() };

for (const size of SIZES) {
  const plaintext = randomBytes(size);

  // Trustdesk field cipher: header, context AAD, cached per-column subkey, default backend.
  const field = encryptField(dek, ctx, plaintext);
  rows.push({
    name: `field XChaCha20-Poly1305 (${getAeadBackend()})`,
    size,
    enc: measure(() => encryptField(dek, ctx, plaintext)),
    dec: measure(() => decryptField(dek, ctx, field)),
    both: measure(() => decryptField(dek, ctx, encryptField(dek, ctx, plaintext))),
  });

  // The bare AEAD on each backend, same key/AAD sizes as a field, no header work.
  const aad = randomBytes(60);
  for (const backend of ['node', 'noble'] as AeadBackend[]) {
    const nonce = generateNonce();
    const input = { key: dek.key, nonce, aad, backend };
    const sealed = sealXChaCha20Poly1305(input, plaintext);
    rows.push({
      name: `bare XChaCha20-Poly1305 (${backend})`,
      size,
      enc: measure(() => sealXChaCha20Poly1305({ key: dek.key, nonce: generateNonce(), aad, backend }, plaintext)),
      dec: measure(() => openXChaCha20Poly1305(input, sealed)),
      both: measure(() => {
        const n = generateNonce();
        return openXChaCha20Poly1305({ key: dek.key, nonce: n, aad, backend }, sealXChaCha20Poly1305({ key: dek.key, nonce: n, aad, backend }, plaintext));
      }),
    });
  }

  // Reference ceiling: raw node:crypto AES-256-GCM, fixed key, random 12-byte IV, 16-byte AAD.
  const aesKey = randomBytes(32);
  const aesAad = randomBytes(16);
  const gcmSeal = (): { iv: Buffer; body: Buffer; tag: Buffer } => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
    cipher.setAAD(aesAad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { iv, body, tag: cipher.getAuthTag() };
  };
  const gcmOpen = (box: { iv: Buffer; body: Buffer; tag: Buffer }): Buffer => {
    const decipher = createDecipheriv('aes-256-gcm', aesKey, box.iv);
    decipher.setAAD(aesAad);
    decipher.setAuthTag(box.tag);
    return Buffer.concat([decipher.update(box.body), decipher.final()]);
  };
  const gcmBox = gcmSeal();
  rows.push({
    name: 'raw AES-256-GCM (node:crypto)',
    size,
    enc: measure(() => gcmSeal().body),
    dec: measure(() => gcmOpen(gcmBox)),
    both: measure(() => gcmOpen(gcmSeal())),
  });
}

// Auxiliary costs: subkey derivation on a cache miss, and blind indexes.
const coldSubkey = measure(() => deriveFieldSubkey({ ...dek, key: Uint8Array.from(dek.key) }, 'customers', 'notes'));
const warmSubkey = measure(() => deriveFieldSubkey(dek, 'customers', 'notes'));
const bidxKey = deriveBlindIndexKey(randomBytes(32), 'customers', 'email');
const emails = Array.from({ length: 1024 }, (_, i) => `Customer.${i}@Example.com`);
let e = 0;
const blindIndex = measure(() => computeBlindIndex(bidxKey, emails[e++ & 1023] ?? '', 18));
const normalizedIndex = measure(() => computeBlindIndex(bidxKey, normalizers.email(emails[e++ & 1023] ?? ''), 18));
const phones = Array.from({ length: 1024 }, (_, i) => `+44 20 7946 ${String(i).padStart(4, '0')}`);
const phoneIndex = measure(() => computeBlindIndex(bidxKey, normalizers.phone(phones[e++ & 1023] ?? ''), 18));

// ---------------------------------------------------------------------------
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtSize = (n: number): string => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);
const us = (ns: number): string => (ns / 1000).toFixed(2);
const mbps = (size: number, ns: number): string => ((size / ns) * 1e9 / 1e6).toFixed(1);
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

console.log('Trustdesk crypto benchmark');
console.log(`date: ${new Date().toISOString()}`);
console.log(`node: ${process.version}  cpu: ${os.cpus()[0]?.model ?? 'unknown'} ×${os.cpus().length}  load avg: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`field backend: ${getAeadBackend()}  time per case: ${RUN_SECONDS} s after ${WARMUP_SECONDS} s warm-up`);
console.log('');
console.log('ops/s and MB/s: wall clock, median of 5 slices. cpu µs: process CPU time per op.');
console.log(
  `${pad('case', 36)} ${lpad('size', 7)} ${lpad('encrypt op/s', 13)} ${lpad('decrypt op/s', 13)} ${lpad('enc+dec µs', 11)} ${lpad('(cpu µs)', 9)} ${lpad('enc MB/s', 9)} ${lpad('dec MB/s', 9)}`,
);
for (const size of SIZES) {
  for (const row of rows.filter((r) => r.size === size)) {
    console.log(
      `${pad(row.name, 36)} ${lpad(fmtSize(size), 7)} ${lpad(fmtInt(1e9 / row.enc.wallNs), 13)} ${lpad(fmtInt(1e9 / row.dec.wallNs), 13)} ${lpad(us(row.both.wallNs), 11)} ${lpad(us(row.both.cpuNs), 9)} ${lpad(mbps(size, row.enc.wallNs), 9)} ${lpad(mbps(size, row.dec.wallNs), 9)}`,
    );
  }
}
console.log('');
console.log(`per-column subkey (HKDF-SHA256): cache miss ${us(coldSubkey.wallNs)} µs, cache hit ${(warmSubkey.wallNs / 1000).toFixed(3)} µs`);
console.log(
  `blind index (HMAC-SHA256, 18 bits): ${fmtInt(1e9 / blindIndex.wallNs)} /s; with email normalizer ${fmtInt(1e9 / normalizedIndex.wallNs)} /s; with phone normalizer ${fmtInt(1e9 / phoneIndex.wallNs)} /s`,
);
const small = rows.find((r) => r.size === 200 && r.name.startsWith('field'));
const gcm = rows.find((r) => r.size === 200 && r.name.startsWith('raw'));
if (small !== undefined && gcm !== undefined) {
  console.log(
    `aim: 200-byte field encrypt+decrypt under 10 µs → ${us(small.both.wallNs)} µs wall, ${us(small.both.cpuNs)} µs CPU (raw AES-256-GCM: ${us(gcm.both.wallNs)} µs wall, ${us(gcm.both.cpuNs)} µs CPU)`,
  );
}
if (sink === -1) console.log(sink);
