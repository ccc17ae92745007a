/**
 * The sensitive-data stage (pure): every text that will be stored, indexed,
 * logged or sent goes through the DLP policy here first, so a full card number
 * never reaches the database (invariant 1). Records type and position only.
 */
import { actionFor, DEFAULT_DLP_POLICY, detectSensitiveData, redactFindings, redactSensitiveData, type DlpPolicy, type Finding } from '../../protection/dlp/index.js';
import type { StoredRedaction } from '../tickets/schema.js';

export interface ScannableTexts {
  subject?: string;
  body?: string;
  html?: string;
}

export interface ScanResult {
  subject: string;
  body: string;
  html: string;
  redactions: StoredRedaction[];
  /** Something was replaced (not just flagged): a copy of the original elsewhere (the raw message) must be redacted too. */
  redactedAny: boolean;
}

export type SensitiveDataScanner = (texts: ScannableTexts, policy?: DlpPolicy) => ScanResult;

/**
 * A finding inside an HTML tag (a `cid:` reference, an attribute) is markup, not
 * something the customer wrote: flagging it would warn the agent about
 * `photo@example.org` in `src="cid:photo@example.org"`. Redaction still applies
 * there, so a card number in an attribute never reaches the database.
 */
function insideMarkup(html: string, f: Finding): boolean {
  const open = html.lastIndexOf('<', f.start);
  return open !== -1 && html.lastIndexOf('>', f.start) < open && html.indexOf('>', f.start) >= f.end;
}

export const scanSensitiveData: SensitiveDataScanner = (texts, policy = DEFAULT_DLP_POLICY) => {
  const redactions: StoredRedaction[] = [];
  let redactedAny = false;
  const run = (field: StoredRedaction['field'], value: string | undefined): string => {
    if (!value) return '';
    let findings = detectSensitiveData(value, { html: field === 'html' });
    if (field === 'html') findings = findings.filter((f) => actionFor(policy, f.type) === 'redact' || !insideMarkup(value, f));
    const r = redactFindings(value, findings, policy);
    for (const x of r.redactions) {
      redactions.push({ field, type: x.type, start: x.start, end: x.end, action: x.action });
      if (x.action === 'redact') redactedAny = true;
    }
    return r.text;
  };
  return { subject: run('subject', texts.subject), body: run('body', texts.body), html: run('html', texts.html), redactions, redactedAny };
};

/** One text, for callers that have only one (agent replies and notes). */
export function redactText(text: string, field: StoredRedaction['field'], policy: DlpPolicy = DEFAULT_DLP_POLICY): { text: string; redactions: StoredRedaction[] } {
  const r = redactSensitiveData(text, policy);
  return { text: r.text, redactions: r.redactions.map((x) => ({ field, type: x.type, start: x.start, end: x.end, action: x.action })) };
}
