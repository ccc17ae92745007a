/**
 * Stored texts hold `[redacted:one_time_code]` where a value was removed. People
 * never see that token: it becomes a readable marker ("one-time code removed").
 * Pure; redacted.tsx renders the pieces.
 */
import { REDACTION_TOKEN } from '../../../src/platform/http/schemas/dlp-policy.js';
import { hasMessage, t } from '../i18n/index.js';

export type TextPiece = { text: string } | { marker: string };

/** The readable name of a removed type ("one-time code"), or a generic one for a type this app does not know. */
export function redactedTypeName(type: string): string {
  const key = `redacted.type.${type}`;
  return hasMessage(key) ? t(key) : t('redacted.unknownType');
}

/** Text split at redaction tokens; each token becomes the marker's text. */
export function splitRedactions(text: string): TextPiece[] {
  const out: TextPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(new RegExp(REDACTION_TOKEN.source, 'g'))) {
    const at = m.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ marker: t('redacted.marker', { type: redactedTypeName(m[1] as string) }) });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The same as plain text, for places that take a string. */
export function readableRedactions(text: string): string {
  return splitRedactions(text).map((p) => ('text' in p ? p.text : `[${p.marker}]`)).join('');
}
