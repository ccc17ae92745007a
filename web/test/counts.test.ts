/**
 * Counts read right for one and for many: every message that takes `{count}`
 * is a plural pair picked by Intl.PluralRules through tp(), and the security
 * centre's and administration's number sentences go through it
 * ("1 unused permission", not "1 unused permissions").
 */
import { describe, expect, it } from 'vitest';
import { en } from '../src/i18n/en/index.js';
import { t, tp } from '../src/i18n/index.js';
import { unsignedExplanation, verifyMeta } from '../src/security/integrity-text.js';

describe('count strings', () => {
  it('puts {count} only in plural forms (.one / .other), so no count is shown through t()', () => {
    const single = Object.entries(en).filter(([key, text]) => text.includes('{count}') && !/\.(zero|one|two|few|many|other)$/.test(key)).map(([key]) => key);
    expect(single).toEqual([]);
  });

  it('reads right for one and for many in the security centre and administration', () => {
    expect(tp('security.reviews.unused', 1)).toBe('1 unused permission');
    expect(tp('security.reviews.unused', 3)).toBe('3 unused permissions');
    expect(tp('security.reviews.closeBody', 1)).toBe('1 undecided item stays as it is.');
    expect(tp('security.proof.path', 1)).toBe('Audit path (1 hash)');
    expect(tp('security.verify.ok', 1)).toBe('Intact: the 1 entry matches the signed checkpoints.');
    expect(t('security.overview.checkpoint', { entries: tp('security.entries', 1) })).toBe('Latest signed checkpoint covers 1 entry, signed');
    expect(t('admin.policy.accountValue', { failures: tp('admin.common.failures', 1), max: tp('admin.common.minutes', 1) })).toBe('Locked after 1 failure, longer with each further one, up to 1 minute');
    expect(t('admin.policy.addressValue', { failures: tp('admin.common.failures', 20), window: tp('admin.common.minutes', 15) })).toBe('20 failures within 15 minutes block the address for 15 minutes');
  });
});

describe('integrity check sentences', () => {
  it('explains a result larger than the latest signed checkpoint, naming both numbers', () => {
    const text = unsignedExplanation({ entries: 98, checkpoints: 12, latestSignedSize: 96, unsignedEntries: 2 });
    expect(text).toBe('98 entries checked; the latest signed checkpoint covers 96 entries. The 2 entries added since that checkpoint are verified but not signed yet: entries are signed within a second.');
    expect(unsignedExplanation({ entries: 97, checkpoints: 12, latestSignedSize: 96, unsignedEntries: 1 })).toContain('The 1 entry added since that checkpoint is verified but not signed yet');
    expect(unsignedExplanation({ entries: 96, checkpoints: 12, latestSignedSize: 96, unsignedEntries: 0 })).toBeNull();
  });

  it('counts entries and checkpoints with their plural forms', () => {
    expect(verifyMeta({ entries: 1, checkpoints: 1, latestSignedSize: 1, unsignedEntries: 0, durationMs: 4, checkedAt: '' }, 'now')).toBe('1 entry and 1 checkpoint checked in 4 ms, now.');
  });
});
