/**
 * Each organisation's sensitive-data policy: which types to redact, flag or
 * ignore, how much of a card number survives, and whether a plain-email reply
 * holding sensitive data is only warned about or blocked (the agent must send
 * it as a secure message). Card numbers and security codes are always
 * redacted, whatever the setting: PCI DSS forbids storing them, and so does
 * invariant 1.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_DLP_POLICY, SENSITIVE_TYPES, detectSensitiveData, type Action, type DlpPolicy, type SensitiveType } from '../dlp/index.js';
import type { Database } from '../../platform/db/schema.js';
import type { Executor } from '../crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { ALWAYS_REDACTED as SHARED_ALWAYS_REDACTED, SECURE_MESSAGE_CARRIES } from '../../platform/http/schemas/dlp-policy.js';

export type ReplyMode = 'warn' | 'block';

export interface OrgDlpSettings {
  actions: Partial<Record<SensitiveType, Action>>;
  cardRedaction: DlpPolicy['cardRedaction'];
  replyMode: ReplyMode;
}

export interface OrgDlp {
  policy: DlpPolicy;
  replyMode: ReplyMode;
  settings: OrgDlpSettings;
}

/** Types no setting can weaken. */
export const ALWAYS_REDACTED: readonly SensitiveType[] = SHARED_ALWAYS_REDACTED;

export const DEFAULT_ORG_DLP: OrgDlpSettings = { actions: {}, cardRedaction: DEFAULT_DLP_POLICY.cardRedaction, replyMode: 'warn' };

export function effectivePolicy(settings: OrgDlpSettings): DlpPolicy {
  const actions: Partial<Record<SensitiveType, Action>> = { ...DEFAULT_DLP_POLICY.actions, ...settings.actions };
  for (const t of ALWAYS_REDACTED) actions[t] = 'redact';
  return { actions, cardRedaction: settings.cardRedaction };
}

/** Validates settings from an administrator; refuses to weaken what must always be redacted. */
export function parseOrgDlpSettings(input: unknown): OrgDlpSettings {
  const o = (input ?? {}) as Partial<OrgDlpSettings>;
  const actions: Partial<Record<SensitiveType, Action>> = {};
  for (const [type, action] of Object.entries(o.actions ?? {})) {
    if (!(SENSITIVE_TYPES as readonly string[]).includes(type)) throw new AppError('validation_failed', `Unknown sensitive-data type ${type}.`);
    if (action !== 'redact' && action !== 'flag' && action !== 'ignore') throw new AppError('validation_failed', `Action for ${type} must be redact, flag or ignore.`);
    if ((ALWAYS_REDACTED as readonly string[]).includes(type) && action !== 'redact') {
      throw new AppError('validation_failed', `${type} is always redacted: a full card number or security code is never stored.`);
    }
    actions[type as SensitiveType] = action;
  }
  const cardRedaction = o.cardRedaction ?? DEFAULT_ORG_DLP.cardRedaction;
  if (cardRedaction !== 'first6last4' && cardRedaction !== 'last4') throw new AppError('validation_failed', 'cardRedaction must be first6last4 or last4.');
  const replyMode = o.replyMode ?? 'warn';
  if (replyMode !== 'warn' && replyMode !== 'block') throw new AppError('validation_failed', 'replyMode must be warn or block.');
  return { actions, cardRedaction, replyMode };
}

const CACHE_MS = 30_000;
const caches = new WeakMap<object, Map<string, { at: number; value: OrgDlp }>>();

/**
 * The organisation's policy, cached briefly per database handle (settings change rarely).
 * Inside a transaction pass the transaction: on the embedded database another
 * query would wait for the one connection the transaction holds.
 */
export async function loadOrgDlp(db: Kysely<Database> | Executor, orgId: string): Promise<OrgDlp> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const hit = cache.get(orgId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const row = await db.selectFrom('organizations').where('id', '=', orgId).select('settings').executeTakeFirst();
  let settings = DEFAULT_ORG_DLP;
  try {
    settings = parseOrgDlpSettings((row?.settings as { dlp?: unknown } | undefined)?.dlp ?? DEFAULT_ORG_DLP);
  } catch {
    // A stored setting that no longer validates falls back to the defaults, which are the strict ones.
  }
  const value = { policy: effectivePolicy(settings), replyMode: settings.replyMode, settings };
  cache.set(orgId, { at: Date.now(), value });
  return value;
}

export function forgetOrgDlp(db: Kysely<Database>, orgId: string): void {
  caches.get(db)?.delete(orgId);
}

/**
 * The sensitive types a reply would carry out by plain email: everything the
 * policy does not ignore. (Redacted types are stored masked, but the agent
 * should still learn that the customer will not receive what they typed.)
 */
export function sensitiveTypesIn(text: string, policy: DlpPolicy): SensitiveType[] {
  const found = new Set<SensitiveType>();
  for (const f of detectSensitiveData(text)) if ((policy.actions[f.type] ?? 'flag') !== 'ignore') found.add(f.type);
  return [...found];
}

/**
 * The policy a secure message is stored under: the types the secure channel exists to carry (one-time codes,
 * PINs, passwords, keys) are kept and flagged instead of removed; card numbers and security codes stay
 * redacted whatever the setting (decision 0121).
 */
export function secureMessagePolicy(policy: DlpPolicy): DlpPolicy {
  const actions: Partial<Record<SensitiveType, Action>> = { ...policy.actions };
  for (const t of SECURE_MESSAGE_CARRIES) if (actions[t] === 'redact' || actions[t] === undefined) actions[t] = 'flag';
  for (const t of ALWAYS_REDACTED) actions[t] = 'redact';
  return { actions, cardRedaction: policy.cardRedaction };
}

/** For the composer, before sending: what a plain reply removes, and what a secure message carries or still removes. */
export function draftCheck(text: string, policy: DlpPolicy): { sensitiveTypes: SensitiveType[]; removedTypes: SensitiveType[]; secureMessage: { carries: SensitiveType[]; removes: SensitiveType[] } } {
  const sensitiveTypes = sensitiveTypesIn(text, policy);
  const secure = secureMessagePolicy(policy);
  const removedTypes = sensitiveTypes.filter((t) => (policy.actions[t] ?? 'flag') === 'redact');
  return {
    sensitiveTypes,
    removedTypes,
    secureMessage: {
      carries: sensitiveTypes.filter((t) => (secure.actions[t] ?? 'flag') !== 'redact'),
      removes: sensitiveTypes.filter((t) => (secure.actions[t] ?? 'flag') === 'redact'),
    },
  };
}
