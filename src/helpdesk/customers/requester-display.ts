/**
 * The requester column of ticket lists and search results: each row's
 * requester name in clear or masked (`W••• A•••`), as the organisation's
 * masking policy allows the caller (decision 0144). The list's own audit entry
 * names the customers (decision 0113); `nameInClear` says how it showed them.
 */
import type { Principal } from '../../identity/auth/access.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import { KeyDestroyedError } from '../../platform/errors.js';
import '../tickets/schema.js';
import { clearFieldsOfPrincipal, type MaskingField } from './masking-policy.js';
import { maskName } from './masking.js';

export interface RequesterDisplay {
  name: string;
  masked: boolean;
}

/**
 * Requester display per ticket id (null: no requester, or erased). The names are decrypted on the
 * server either way (the masked form keeps the initials); only the clear ones leave it whole.
 */
export async function requesterDisplays(
  deps: { keyring: Keyring },
  exec: Executor,
  principal: Pick<Principal, 'orgId' | 'roleKeys'>,
  rows: ReadonlyArray<{ id: string; requester_id: string | null }>,
  /** The caller's clear fields when it has already asked for them (to audit with them meanwhile). */
  clearFields?: Promise<Set<MaskingField>>,
): Promise<{ byTicket: Map<string, RequesterDisplay | null>; nameInClear: boolean }> {
  const ids = [...new Set(rows.map((r) => r.requester_id).filter((x): x is string => x !== null))];
  // The policy and the names are asked for at once: one round trip's wait, not two (decision 0234).
  const [clear, customers] = await Promise.all([
    clearFields ?? clearFieldsOfPrincipal(exec, principal),
    ids.length ? exec.selectFrom('customers').where('org_id', '=', principal.orgId).where('id', 'in', ids).select(['id', 'name_enc']).execute() : Promise.resolve([]),
  ]);
  const nameInClear = clear.has('name');
  const names = new Map<string, RequesterDisplay | null>();
  for (const c of customers) {
    try {
      const name = c.name_enc ? await deps.keyring.decrypt({ table: 'customers', column: 'name_enc', rowId: c.id }, c.name_enc, exec) : '';
      names.set(c.id, { name: nameInClear ? name : maskName(name), masked: !nameInClear });
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
      names.set(c.id, null);
    }
  }
  const byTicket = new Map<string, RequesterDisplay | null>();
  for (const r of rows) byTicket.set(r.id, r.requester_id ? (names.get(r.requester_id) ?? null) : null);
  return { byTicket, nameInClear };
}
