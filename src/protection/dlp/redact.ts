import { detectSensitiveData } from './detect.js';
import { normalizeForDetection } from './normalize.js';
import type { Action, DetectOptions, DlpPolicy, Finding, RedactResult, Redaction, SensitiveType } from './types.js';

/**
 * Cards keep first six and last four digits (PCI DSS display limit); security
 * codes and credentials are removed; everything else is flagged for the agent.
 */
export const DEFAULT_DLP_POLICY: DlpPolicy = Object.freeze({
  actions: Object.freeze({
    payment_card: 'redact',
    card_security_code: 'redact',
    password: 'redact',
    one_time_code: 'redact',
    secret: 'redact',
    card_expiry: 'flag',
    iban: 'flag',
    us_ssn: 'flag',
    uk_nino: 'flag',
    uk_sort_code_account: 'flag',
    us_routing_number: 'flag',
    email: 'flag',
    phone: 'flag',
    ip_address: 'flag',
    date_of_birth: 'flag',
  }),
  cardRedaction: 'first6last4',
}) as DlpPolicy;

export interface RedactOptions {
  policy?: DlpPolicy;
  detect?: DetectOptions;
}

export function actionFor(policy: DlpPolicy, type: SensitiveType): Action {
  return policy.actions[type] ?? 'flag';
}

const MASK = '*';

/**
 * Mask a card's digits, keeping separators so the text still reads as a card.
 * At least six digits are always hidden: a 12-digit Maestro shows 2 + 4, not 6 + 4.
 */
export function maskCardNumber(span: string, mode: DlpPolicy['cardRedaction']): string {
  let total = 0;
  for (let i = 0; i < span.length; i++) if (span.charCodeAt(i) >= 48 && span.charCodeAt(i) <= 57) total++;
  const keepLast = 4;
  const keepFirst = mode === 'last4' ? 0 : Math.max(0, Math.min(6, total - keepLast - 6));
  let seen = 0;
  let out = '';
  for (let i = 0; i < span.length; i++) {
    const ch = span[i] as string;
    const c = span.charCodeAt(i);
    if (c < 48 || c > 57) {
      out += ch;
      continue;
    }
    out += seen < keepFirst || seen >= total - keepLast ? ch : MASK;
    seen++;
  }
  return out;
}

function replacementFor(text: string, f: Finding, policy: DlpPolicy): string {
  // The span may hold full-width digits or HTML references: mask its normalised form, so what stays is
  // plain ASCII that keeps at most the first six and last four digits.
  if (f.type === 'payment_card') return maskCardNumber(normalizeForDetection(text.slice(f.start, f.end), { html: true }).text, policy.cardRedaction);
  return `[redacted:${f.type}]`;
}

/**
 * Apply a policy to a text. `redactions` gives each affected span's type and
 * position in the OUTPUT text and the action taken — never the value. Flagged
 * spans stay in place (the caller decides how to warn); ignored ones are dropped.
 */
export function redactSensitiveData(text: string, policy: DlpPolicy = DEFAULT_DLP_POLICY, opts?: DetectOptions): RedactResult {
  return redactFindings(text, detectSensitiveData(text, opts), policy);
}

/** Same as redactSensitiveData for findings the caller already has (avoids a second scan). */
export function redactFindings(text: string, findings: readonly Finding[], policy: DlpPolicy = DEFAULT_DLP_POLICY): RedactResult {
  if (findings.length === 0) return { text, redactions: [] };
  const parts: string[] = [];
  const redactions: Redaction[] = [];
  let cursor = 0;
  let outLength = 0;
  for (const f of findings) {
    const action = actionFor(policy, f.type);
    if (action === 'ignore') continue;
    const gap = text.slice(cursor, f.start);
    parts.push(gap);
    outLength += gap.length;
    const piece = action === 'redact' ? replacementFor(text, f, policy) : text.slice(f.start, f.end);
    parts.push(piece);
    redactions.push({ type: f.type, start: outLength, end: outLength + piece.length, action });
    outLength += piece.length;
    cursor = f.end;
  }
  parts.push(text.slice(cursor));
  return { text: parts.join(''), redactions };
}

/** For the reply path: does the text hold anything the policy redacts or flags? */
export function containsSensitiveData(text: string, policy: DlpPolicy = DEFAULT_DLP_POLICY, opts?: DetectOptions): boolean {
  return detectSensitiveData(text, opts).some((f) => actionFor(policy, f.type) !== 'ignore');
}
