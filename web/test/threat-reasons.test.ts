/**
 * Every reason the phishing engine can give is shown to agents as translated text, never as a raw code:
 * the engine's sources are read for the codes they emit, each must be in REASON_CODES, and each of those
 * must have an `agent.threat.<code>` text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../../src/threats/phishing/reason-codes.js';
import { en } from '../src/i18n/en/index.js';

const ROOT = new URL('../../src/threats/phishing/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'testing.ts' ? [path] : [];
  });
}

const text = sources(ROOT).map((f) => readFileSync(f, 'utf8')).join('\n');
const known = new Set<string>(REASON_CODES);

describe('phishing reason codes', () => {
  it('lists every literal code the engine emits', () => {
    const emitted = [...text.matchAll(/'((?:auth|sender|reply_to|link|html|content|bulk|attachment|message)\.[a-z0-9_]+)'/g)].map((m) => m[1] as string);
    expect(emitted.length).toBeGreaterThan(50);
    expect([...new Set(emitted)].filter((c) => !known.has(c))).toEqual([]);
  });

  it('knows every code built from a template (a new template must be listed and expanded)', () => {
    const templates = [...new Set([...text.matchAll(/code: `([^`]+)`/g)].map((m) => m[1]))].sort();
    expect(templates).toEqual([
      '${where}.mixed_script',
      '${where}.punycode',
      'attachment.${kind.code}',
      'attachment.archive_${kind.code}',
      'auth.spf_${auth.spf}',
      'link.${u.scheme === \'data\' ? \'data\' : \'script\'}_url',
      'link.lookalike_${hit.target.kind}',
      'reply_to.lookalike_${hit.target.kind}',
      'sender.lookalike_${hit.target.kind}',
    ]);
    for (const where of ['sender', 'link']) for (const c of ['mixed_script', 'punycode']) expect(known.has(`${where}.${c}`)).toBe(true);
  });

  it('has an agent-facing text for every code', () => {
    const missing = REASON_CODES.filter((code) => !(`agent.threat.${code}` in en));
    expect(missing).toEqual([]);
  });
});
