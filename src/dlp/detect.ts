import { indexContext } from './context.js';
import { detectContextSecrets, detectKnownSecrets, detectPrivateKeys } from './secrets.js';
import { detectDatesOfBirth, detectOneTimeCodes, detectPasswords } from './contextual.js';
import { detectEmails } from './email.js';
import { detectIbans, detectNinos } from './iban.js';
import { detectIpAddresses } from './ip.js';
import { detectCardExtras, detectCards, detectRoutingNumbers, detectSortCodes, detectSsn } from './numbers.js';
import { detectPhones } from './phone.js';
import { resolveOverlaps } from './findings.js';
import { scanDigitRuns } from './scan.js';
import type { DetectOptions, Finding, SensitiveType } from './types.js';

/**
 * All sensitive spans in `text`, sorted by start and non-overlapping. Pure:
 * no I/O, no shared state beyond compiled context lists. Every detector is a
 * bounded single pass or context-first, so the whole call is linear in the
 * length of the text.
 */
export function detectSensitiveData(text: string, opts?: DetectOptions): Finding[] {
  const wanted = opts?.types ? new Set<SensitiveType>(opts.types) : undefined;
  const on = (t: SensitiveType) => wanted === undefined || wanted.has(t);
  const ctx = indexContext(text, opts);
  const runs = scanDigitRuns(text);
  const scan = { text, runs, ctx };
  const all: Finding[] = [];

  // Cards are found even when not wanted: their extras (CVC, expiry) are anchored on them.
  const cards = detectCards(scan);
  const anchors = cards.filter((f) => f.type === 'payment_card');
  if (on('payment_card')) all.push(...anchors);
  if (on('card_security_code') || on('card_expiry')) {
    const extras = [...cards.filter((f) => f.type === 'card_security_code'), ...detectCardExtras(scan, anchors)];
    all.push(...extras.filter((f) => on(f.type)));
  }
  if (on('us_ssn')) all.push(...detectSsn(scan));
  if (on('us_routing_number')) all.push(...detectRoutingNumbers(scan));
  if (on('uk_sort_code_account')) all.push(...detectSortCodes(scan));
  if (on('phone')) all.push(...detectPhones(text, runs, ctx, opts));
  if (on('iban')) all.push(...detectIbans(text));
  if (on('uk_nino')) all.push(...detectNinos(text));
  if (on('email')) all.push(...detectEmails(text));
  if (on('ip_address')) all.push(...detectIpAddresses(text));
  if (on('secret')) all.push(...detectKnownSecrets(text), ...detectPrivateKeys(text), ...detectContextSecrets(text, ctx));
  if (on('date_of_birth')) all.push(...detectDatesOfBirth(text, ctx));
  if (on('password')) all.push(...detectPasswords(text, ctx));
  if (on('one_time_code')) all.push(...detectOneTimeCodes(text, ctx));
  return resolveOverlaps(all);
}
