import type { Finding, SensitiveType } from './types.js';

/** Order used when two findings overlap with equal confidence (earlier wins). */
const PRIORITY: readonly SensitiveType[] = [
  'payment_card',
  'secret',
  'iban',
  'us_ssn',
  'uk_nino',
  'uk_sort_code_account',
  'us_routing_number',
  'card_security_code',
  'card_expiry',
  'email',
  'ip_address',
  'phone',
  'date_of_birth',
  'password',
  'one_time_code',
];

const rank = new Map(PRIORITY.map((t, i) => [t, PRIORITY.length - i]));

/**
 * A card always wins an overlap (PCI), then confidence, then type priority, then length. Of two overlapping
 * cards the longer wins: a 12-digit Maestro prefix of a wrapped 16-digit card must not leave its last digits.
 */
function better(a: Finding, b: Finding): boolean {
  const ac = a.type === 'payment_card' ? 1 : 0;
  const bc = b.type === 'payment_card' ? 1 : 0;
  if (ac !== bc) return ac > bc;
  if (ac === 1 && a.end - a.start !== b.end - b.start) return a.end - a.start > b.end - b.start;
  if (a.confidence !== b.confidence) return a.confidence > b.confidence;
  const ar = rank.get(a.type) ?? 0;
  const br = rank.get(b.type) ?? 0;
  if (ar !== br) return ar > br;
  return a.end - a.start > b.end - b.start;
}

/**
 * Sorted, non-overlapping findings. A sweep keeps the better of each
 * overlapping pair; a replaced finding can never overlap the one before it,
 * because both start at or after that one's end.
 */
export function resolveOverlaps(findings: Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  for (const f of sorted) {
    if (f.end <= f.start) continue;
    const last = out[out.length - 1];
    if (last === undefined || f.start >= last.end) {
      out.push(f);
    } else if (better(f, last)) {
      out[out.length - 1] = f;
    }
  }
  return out;
}
