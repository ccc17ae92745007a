import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { canonicalEntry, canonicalEntryFast, entryLeafHash, entryLeafHashReference, entryMac, type AuditEntryColumns } from './entry.js';

const text = fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: null });
const entry: fc.Arbitrary<AuditEntryColumns> = fc.record({
  id: fc.uuid(),
  ts: fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }),
  org_id: fc.option(fc.uuid(), { nil: null }),
  actor_type: fc.constantFrom('user', 'token', 'system'),
  actor_id: text,
  action: fc.constantFrom('customer.read', 'auth.signin'),
  object_type: text,
  object_id: text,
  subject: text,
  purpose: text,
  result: fc.constantFrom('success', 'failure', 'denied'),
  request_id: text,
  source_ip: text,
  details: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer(), fc.boolean(), fc.constant(null))), { nil: null }),
});

describe('canonical audit entries', () => {
  it('the fast serializer produces exactly the RFC 8785 canonical form', () => {
    fc.assert(fc.property(entry, (e) => {
        expect(canonicalEntryFast(e)).toBe(canonicalEntry(e));
      }), { numRuns: 2000 });
  });

  it('the fast leaf hash equals SHA-256(0x00 || UTF-8 of the canonical entry)', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(entryLeafHash(e).equals(entryLeafHashReference(e))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('the hand-written MAC equals node:crypto HMAC-SHA256 for every key length and position', () => {
    for (const keyLength of [16, 32, 64, 65, 100]) {
      const key = randomBytes(keyLength);
      for (const idx of [0, 1, 255, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
        const leaf = randomBytes(32);
        const pos = Buffer.alloc(8);
        pos.writeBigUInt64BE(BigInt(idx));
        expect(entryMac(key, idx, leaf).equals(createHmac('sha256', key).update(pos).update(leaf).digest())).toBe(true);
      }
    }
  });

  it('refuses text that is not well-formed Unicode', () => {
    const e = fc.sample(entry, 1)[0] as AuditEntryColumns;
    expect(() => canonicalEntryFast({ ...e, actor_id: 'a\uD800b' })).toThrow(/well-formed/);
  });
});
