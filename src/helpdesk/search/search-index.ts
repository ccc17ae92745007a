/**
 * Maintaining the keyed token index: written in the transaction that stores a
 * message (records.ts insertMessage) or a ticket subject (insertTicket),
 * moved with messages on merge/split, deleted with the customer on erasure.
 */
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import '../sla/schema.js';
import { computeSearchToken, deriveSearchKey, extractSearchWords } from './tokens.js';

const keys = new WeakMap<Uint8Array, Uint8Array>();

/** The per-organisation search key (cached per unwrapped root key, so an evicted root drops it). */
export async function searchKeyFor(keyring: Keyring, orgId: string, trx?: Executor): Promise<Uint8Array> {
  const root = await keyring.indexRoot(orgId, trx);
  let k = keys.get(root.key);
  if (!k) keys.set(root.key, (k = deriveSearchKey(root.key)));
  return k;
}

export async function searchTokensFor(keyring: Keyring, orgId: string, words: readonly string[], trx?: Executor): Promise<Buffer[]> {
  if (words.length === 0) return [];
  const key = await searchKeyFor(keyring, orgId, trx);
  return words.map((w) => computeSearchToken(key, w));
}

/** Index one (already DLP-redacted) text of a ticket. */
export async function indexSearchText(trx: Executor, keyring: Keyring, input: { orgId: string; ticketId: string; messageId: string | null; customerId: string | null; text: string }): Promise<number> {
  const tokens = await searchTokensFor(keyring, input.orgId, extractSearchWords(input.text), trx);
  for (let i = 0; i < tokens.length; i += 500) {
    await trx
      .insertInto('search_tokens')
      .values(tokens.slice(i, i + 500).map((token) => ({ org_id: input.orgId, ticket_id: input.ticketId, message_id: input.messageId, customer_id: input.customerId, token })))
      .execute();
  }
  return tokens.length;
}

/**
 * Erasure: the tokens are keyed by the organisation, not the customer, so
 * destroying the customer's key does not reach them. The erasure transaction
 * must call this (customers.service.ts eraseCustomer, after destroyKeys).
 */
export async function deleteSearchTokensForCustomer(trx: Executor, input: { orgId: string; customerId: string }): Promise<number> {
  const r = await trx.deleteFrom('search_tokens').where('org_id', '=', input.orgId).where('customer_id', '=', input.customerId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
