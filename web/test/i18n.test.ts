/**
 * Every error code the server can answer with has readable text, and every
 * message placeholder is well formed, so no screen shows a raw code or `{x}`.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/platform/errors.js';
import { en } from '../src/i18n/en/index.js';
import { format, t, tp } from '../src/i18n/index.js';

describe('web text', () => {
  it('has a message for every server error code', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !(`errors.${code}` in en));
    expect(missing).toEqual([]);
  });

  it('keeps each key in its area and each text non-empty with balanced placeholders', () => {
    for (const [key, text] of Object.entries(en)) {
      expect(text.trim(), key).not.toBe('');
      expect(key, 'flat keys: area.rest').toMatch(/^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)+$/);
      expect((text.match(/\{/g) ?? []).length, key).toBe((text.match(/\}/g) ?? []).length);
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('Hello {name}, {missing}', { name: 'Ada' })).toBe('Hello Ada, {missing}');
    expect(t('errors.requestId', { id: 'abc' })).toBe('Reference: abc');
  });

  it('picks plural forms by the locale rules', () => {
    const plural = Object.keys(en).filter((k) => k.endsWith('.other'));
    for (const key of plural) {
      const base = key.slice(0, -'.other'.length);
      expect(`${base}.one` in en, `${base}.one`).toBe(true);
      expect(tp(base as Parameters<typeof tp>[0], 2)).toBe(format(en[key as keyof typeof en], { count: 2 }));
    }
  });
});
