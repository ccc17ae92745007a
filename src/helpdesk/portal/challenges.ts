/**
 * One-time codes (and magic links) that start a portal session. Checking a code
 * is consume-first: the attempt is counted in its own committed statement
 * before the code is compared, so a wrong guess can never be rolled back and
 * parallel guesses share one cap. A right code is then consumed in the
 * caller's transaction together with what it unlocks.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { hashSecret } from '../../identity/auth/secrets.js';
import { AppError } from '../../platform/errors.js';
import type { PortalDeps } from './deps.js';
import { codeHmac, newOneTimeCode, newPortalToken, sameCode } from './keys.js';
import type { PortalChallengesTable } from './schema.js';

export type ChallengePurpose = PortalChallengesTable['purpose'];

export async function createChallenge(
  trx: Executor,
  deps: PortalDeps,
  input: {
    id?: string;
    orgId: string;
    customerId: string;
    purpose: ChallengePurpose;
    secureMessageId?: string | null;
    /** `privacy_export`: the access export whose download the code unlocks. */
    privacyExportId?: string | null;
    withLink?: boolean;
    /** `chat_email`: the conversation, and the address typed (encrypted under `customerId`'s key, and its keyed hash). */
    chat?: { conversationId: string; addressEnc: Uint8Array; addressHash: Uint8Array };
  },
): Promise<{ id: string; code: string; linkToken: string | null; expiresAt: Date }> {
  const id = input.id ?? randomUUID();
  const code = newOneTimeCode();
  const linkToken = input.withLink ? newPortalToken('tdm') : null;
  const expiresAt = new Date(Date.now() + deps.policy.codeTtlMs);
  await trx
    .insertInto('portal_challenges')
    .values({
      id,
      org_id: input.orgId,
      customer_id: input.customerId,
      purpose: input.purpose,
      secure_message_id: input.secureMessageId ?? null,
      ...(input.privacyExportId ? { privacy_export_id: input.privacyExportId } : {}),
      code_hmac: codeHmac(deps.keys, input.purpose, id, code),
      link_hash: linkToken ? hashSecret(linkToken) : null,
      max_attempts: deps.policy.maxCodeAttempts,
      expires_at: expiresAt,
      ...(input.chat ? { conversation_id: input.chat.conversationId, address_enc: input.chat.addressEnc, address_hash: input.chat.addressHash } : {}),
    })
    .execute();
  return { id, code, linkToken, expiresAt };
}

/** Challenges sent to this customer recently (any purpose): the per-address cap. */
export async function recentChallengeCount(exec: Executor, customerId: string, windowMs: number): Promise<number> {
  const r = await exec
    .selectFrom('portal_challenges')
    .where('customer_id', '=', customerId)
    .where('created_at', '>', new Date(Date.now() - windowMs))
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface CheckedChallenge {
  id: string;
  org_id: string;
  customer_id: string;
  secure_message_id: string | null;
  privacy_export_id: string | null;
}

const BAD_CODE = () => new AppError('unauthenticated', 'The code is wrong or has expired. Request a new one.');

/**
 * Counts an attempt, then compares. Throws the same error for unknown,
 * expired, exhausted, consumed and wrong, so the answer teaches nothing.
 */
export async function checkChallengeCode(deps: PortalDeps, input: { challengeId: string; code: string; purpose: ChallengePurpose; /** Only this customer's challenge counts: another's is not even touched. */ customerId?: string }): Promise<CheckedChallenge> {
  if (!/^[0-9a-f-]{36}$/.test(input.challengeId)) throw BAD_CODE();
  let counting = deps.db
    .updateTable('portal_challenges')
    .set({ attempts: sql`attempts + 1` })
    .where('id', '=', input.challengeId)
    .where('purpose', '=', input.purpose);
  if (input.customerId) counting = counting.where('customer_id', '=', input.customerId);
  const row = await counting
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', new Date())
    .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
    .returning(['id', 'org_id', 'customer_id', 'secure_message_id', 'privacy_export_id', 'code_hmac'])
    .executeTakeFirst();
  if (!row) throw BAD_CODE();
  if (!sameCode(deps.keys, input.purpose, row.id, input.code, row.code_hmac)) {
    await deps.audit.record({ orgId: row.org_id, actor: { type: 'anonymous' }, action: 'portal.code.check', object: { type: 'portal_challenge', id: row.id }, subjectCustomerId: row.customer_id, result: 'failure', details: { purpose: input.purpose } });
    throw BAD_CODE();
  }
  return { id: row.id, org_id: row.org_id, customer_id: row.customer_id, secure_message_id: row.secure_message_id, privacy_export_id: row.privacy_export_id };
}

/** Marks a checked challenge used, in the transaction that acts on it; a concurrent use loses. */
export async function consumeChallenge(trx: Executor, challengeId: string): Promise<void> {
  const r = await trx.updateTable('portal_challenges').set({ consumed_at: new Date() }).where('id', '=', challengeId).where('consumed_at', 'is', null).executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw BAD_CODE();
}

/** The customer's registered (main) email address, decrypted for sending. */
export async function registeredEmail(exec: Executor, deps: PortalDeps, customerId: string): Promise<string | null> {
  const c = await exec.selectFrom('customers').where('id', '=', customerId).select(['id', 'email_enc', 'merged_into']).executeTakeFirst();
  if (!c?.email_enc || c.merged_into) return null;
  return deps.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: c.id }, c.email_enc, exec);
}
