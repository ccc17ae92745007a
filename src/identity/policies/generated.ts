/**
 * The generated part of the internal data-handling policy (decision 0212): what the software enforces, read
 * from the settings in force and written out as Markdown, so the policy staff read cannot drift from what
 * Trustdesk does. `generatedPolicyMarkdown` is pure (a snapshot in, Markdown out); `loadPolicySettings`
 * reads the snapshot from the database on every call (no cache: a changed setting shows at the next read).
 */
import { createHash } from 'node:crypto';
import { readMaskingPolicy } from '../../helpdesk/customers/masking-policy.js';
import { readRetentionPolicy } from '../../helpdesk/privacy/retention-policy.js';
import { readPrivacySettings } from '../../helpdesk/privacy/requests.service.js';
import { MASKING_FIELDS, type MaskingField } from '../../platform/http/schemas/masking.js';
import type { RetentionPolicyValue } from '../../platform/http/schemas/retention.js';
import { readOrgSetting } from '../organization/settings.js';
import { effectivePolicy, parseOrgDlpSettings, DEFAULT_ORG_DLP, type OrgDlpSettings } from '../../protection/dlp-policy/org-policy.js';
import { SENSITIVE_TYPES, type SensitiveType } from '../../protection/dlp/index.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { STEP_UP_PERMISSIONS } from '../auth/permissions.js';

export interface PolicySettings {
  roles: Array<{ key: string; name: string; clear: MaskingField[]; passkey: boolean }>;
  reveal: { stepUp: MaskingField[]; reasonMinLength: number; categories: string[]; stepUpMinutes: number };
  dlp: OrgDlpSettings;
  retention: RetentionPolicyValue;
  secureLinkDays: number;
  exportDays: number;
}

const FIELD_TEXT: Record<MaskingField, string> = {
  name: 'name',
  email: 'email address',
  address: 'postal address',
  notes: 'notes',
  phones: 'phone numbers',
  emails: 'other email addresses',
  customFields: 'custom fields',
};

const TYPE_TEXT: Record<SensitiveType, string> = {
  payment_card: 'card numbers',
  card_security_code: 'card security codes',
  card_expiry: 'card expiry dates',
  iban: 'bank account numbers (IBAN)',
  us_ssn: 'US social security numbers',
  uk_nino: 'UK national insurance numbers',
  uk_sort_code_account: 'UK sort codes with account numbers',
  us_routing_number: 'US routing numbers',
  email: 'email addresses',
  phone: 'phone numbers',
  ip_address: 'IP addresses',
  date_of_birth: 'dates of birth',
  password: 'passwords',
  one_time_code: 'one-time codes',
  secret: 'keys and other secrets',
};

const STEP_UP_TEXT: Record<string, string> = {
  'customers.reveal': 'revealing a masked field the policy names below',
  'customers.export': 'exporting a customer’s data',
  'customers.erase': 'erasing a customer',
  'roles.manage': 'changing roles and permissions',
  'policies.manage': 'changing security and data-handling policies',
  'keys.rotate': 'rotating encryption keys',
  'tokens.manage': 'managing service tokens',
};

const list = (items: string[]) => (items.length === 0 ? 'nothing' : items.length === 1 ? items[0]! : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);
/** Text from settings never adds markup of its own to the generated Markdown. */
const plain = (s: string) => s.replace(/[\\`*_[\]()#>|<]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');

function retentionLine(label: string, n: number | null, unit: 'months' | 'days', otherwise: string): string {
  return `- ${label}: ${n === null ? otherwise : `deleted after ${n} ${n === 1 ? unit.slice(0, -1) : unit}`}.`;
}

/** The generated part as Markdown (pure). */
export function generatedPolicyMarkdown(s: PolicySettings): string {
  const dlp = effectivePolicy(s.dlp);
  const by = (a: string) => SENSITIVE_TYPES.filter((t) => (dlp.actions[t] ?? 'ignore') === a).map((t) => TYPE_TEXT[t]);
  const t = s.retention.tickets;
  const scoped = t.channels.length || t.tags.length || t.teamIds.length ? ' (only the channels, tags or teams the retention policy names)' : '';
  const lines = [
    '## What Trustdesk enforces',
    'This part is written by Trustdesk from the settings in force when you read it. When an administrator changes a setting, it changes here too.',
    '',
    '### Who sees which customer fields in clear',
    ...s.roles.map((r) => `- ${plain(r.name)}: ${r.clear.length ? list(r.clear.map((f) => FIELD_TEXT[f])) : 'no field'} in clear; everything else masked.`),
    '',
    '### When a reason or a second factor is needed',
    `- Every reveal of a masked field needs a written reason of at least ${s.reveal.reasonMinLength} characters${s.reveal.categories.length ? ` and one of these categories: ${list(s.reveal.categories.map(plain))}` : ''}. Every reveal is recorded in the audit trail.`,
    `- Revealing ${s.reveal.stepUp.length ? list(s.reveal.stepUp.map((f) => FIELD_TEXT[f])) : 'no field'} also needs a fresh second factor (one confirmed within the last ${s.reveal.stepUpMinutes} minutes).`,
    `- A fresh second factor is also needed for ${list([...STEP_UP_PERMISSIONS].filter((p) => p !== 'customers.reveal').map((p) => STEP_UP_TEXT[p] ?? p))}.`,
    '- Staff sign in with a second factor.' + (s.roles.some((r) => r.passkey) ? ` ${list(s.roles.filter((r) => r.passkey).map((r) => plain(r.name)))} must use a passkey.` : ''),
    '',
    '### What the sensitive-data policy removes or blocks',
    `- Removed before anything is stored: ${list(by('redact'))}. Card numbers keep at most the ${s.dlp.cardRedaction === 'last4' ? 'last four digits' : 'first six and last four digits'}.`,
    `- Flagged for the agent, kept: ${list(by('flag'))}.`,
    `- A reply by plain email that holds sensitive data is ${s.dlp.replyMode === 'block' ? 'blocked: it must go as a secure message' : 'warned about: send it as a secure message instead'}.`,
    '',
    '### How long data is kept',
    retentionLine(`Solved and closed tickets${scoped}`, t.months, 'months', 'kept until someone deletes them'),
    retentionLine('Quarantined mail', s.retention.quarantineDays, 'days', 'kept until someone releases or deletes it'),
    retentionLine('Data exports for customers', s.retention.exportDays, 'days', `deleted when their link expires (${s.exportDays} days)`),
    retentionLine('Customers with no activity', s.retention.inactiveCustomerMonths, 'months', 'kept'),
    '',
    '### Where secure messages and exports go',
    `- A secure message stays encrypted in Trustdesk. The customer gets an email with a single-use link, valid ${s.secureLinkDays} days, and reads it in the customer portal after a one-time code sent to their address.`,
    `- A customer’s data export is an encrypted file in Trustdesk. The customer downloads it from an emailed link with a one-time code; the link works ${s.exportDays} days.`,
    '- Customer data is never sent as an email attachment, to a personal address or to another tool.',
  ];
  return lines.join('\n');
}

/** A short fingerprint of the generated part, kept with each attestation. */
export function digestOf(markdown: string): string {
  return createHash('sha256').update(markdown).digest('hex');
}

/** The settings in force, read now. */
export async function loadPolicySettings(db: Executor, orgId: string, options: { stepUpMinutes: number; secureLinkDays: number }): Promise<PolicySettings> {
  const masking = await readMaskingPolicy(db, { orgId, roleKeys: [] });
  const passkeyRoles = await db.selectFrom('roles').where('org_id', '=', orgId).where('require_phishing_resistant', '=', true).select('key').execute();
  const passkey = new Set(passkeyRoles.map((r) => r.key));
  let dlp = DEFAULT_ORG_DLP;
  try {
    dlp = parseOrgDlpSettings((await readOrgSetting(db, orgId, 'dlp')) ?? DEFAULT_ORG_DLP);
  } catch {
    // A stored setting that no longer validates: the defaults are what is enforced (org-policy.ts).
  }
  return {
    roles: masking.roles.map((r) => ({ key: r.key, name: r.name, clear: masking.policy.clear[r.key] ?? [], passkey: passkey.has(r.key) })),
    reveal: { stepUp: MASKING_FIELDS.filter((f) => masking.policy.stepUp.includes(f)), reasonMinLength: masking.policy.reasons.minLength, categories: masking.policy.reasons.categories, stepUpMinutes: options.stepUpMinutes },
    dlp,
    retention: await readRetentionPolicy(db, orgId),
    secureLinkDays: options.secureLinkDays,
    exportDays: (await readPrivacySettings(db, orgId)).exportDays,
  };
}
