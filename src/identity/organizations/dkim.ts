/**
 * An organisation's own DKIM key for its customer mail (issue 19; decision 0237).
 *
 * The installation may sign with one key (TRUSTDESK_DKIM_*); a provider's
 * clients each send from their own domain, and a receiver's DMARC check wants
 * the signature to be that domain's. The operator gives an organisation a
 * domain and selector (`trustdesk orgs dkim`); a 2048-bit RSA key is made (or
 * one is imported) and stored encrypted under the organisation's data key, and
 * the TXT record to publish is printed. A reply whose sender address is at that
 * domain (or below it) is signed with it; any other falls back to the
 * installation's key, if any.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import { findOrganization, type Operator } from './lifecycle.js';

export interface DkimDeps {
  db: Db;
  keyring: Keyring;
  audit: AuditLog;
}

export interface OrganizationDkim {
  domain: string;
  selector: string;
  /** Where the record goes: `<selector>._domainkey.<domain>`. */
  dnsName: string;
  /** The TXT record's value. */
  dnsValue: string;
}

/** What nodemailer signs with (transport.ts DkimOptions). */
export interface DkimSigning {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const SELECTOR = /^(?=.{1,63}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

const keyField = (orgId: string) => ({ table: 'organizations', column: 'dkim_key_enc', rowId: orgId });

function dnsOf(domain: string, selector: string, publicKey: string): OrganizationDkim {
  return { domain, selector, dnsName: `${selector}._domainkey.${domain}`, dnsValue: `v=DKIM1; k=rsa; p=${publicKey}` };
}

/** An RSA private key of at least 2048 bits, from PEM; anything else is refused with the reason. */
function importKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new AppError('validation_failed', 'The key file is not a PEM private key.');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new AppError('validation_failed', `The key is ${key.asymmetricKeyType ?? 'not RSA'}; DKIM receivers expect RSA (rsa-sha256).`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new AppError('validation_failed', `The key has ${bits} bits; use at least 2048 (RFC 8301).`);
  return key;
}

/** Gives the organisation its signing domain and key (a new one unless `privateKeyPem` is given). Audited. */
export async function setOrganizationDkim(deps: DkimDeps, operator: Operator, ref: string, input: { domain: string; selector: string; privateKeyPem?: string | undefined }): Promise<OrganizationDkim & { organization: { id: string; slug: string; name: string } }> {
  const domain = input.domain.trim().toLowerCase().replace(/\.$/, '');
  const selector = input.selector.trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw new AppError('validation_failed', `"${input.domain}" is not a domain name (for example mail.client-a.example).`);
  if (!SELECTOR.test(selector)) throw new AppError('validation_failed', `"${input.selector}" is not a DKIM selector: letters, digits and hyphens, dot-separated (for example td2026).`);
  const key = input.privateKeyPem === undefined ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : importKey(input.privateKeyPem);
  const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
  const org = await findOrganization(deps.db, ref);
  if (org.status === 'deleted') throw new AppError('conflict', `${org.name} is deleted.`);
  await deps.db.transaction().execute(async (trx) => {
    const dkim_key_enc = await deps.keyring.encrypt({ type: 'organization', id: org.id }, keyField(org.id), pem, trx);
    await trx.updateTable('organizations').set({ dkim_domain: domain, dkim_selector: selector, dkim_key_enc, dkim_public_key: publicKey }).where('id', '=', org.id).execute();
    await deps.audit.append(trx, { orgId: org.id, actor: { type: 'system', id: operator.id }, requestId: operator.requestId, action: 'organization.dkim.set', object: { type: 'organization', id: org.id }, result: 'success', details: { domain, selector, imported: input.privateKeyPem !== undefined } });
  });
  return { ...dnsOf(domain, selector, publicKey), organization: { id: org.id, slug: org.slug, name: org.name } };
}

/** Stops signing with the organisation's own key and forgets it. Audited. */
export async function clearOrganizationDkim(deps: DkimDeps, operator: Operator, ref: string): Promise<void> {
  const org = await findOrganization(deps.db, ref);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('organizations').set({ dkim_domain: null, dkim_selector: null, dkim_key_enc: null, dkim_public_key: null }).where('id', '=', org.id).execute();
    await deps.audit.append(trx, { orgId: org.id, actor: { type: 'system', id: operator.id }, requestId: operator.requestId, action: 'organization.dkim.clear', object: { type: 'organization', id: org.id }, result: 'success' });
  });
}

/** The organisation's signing domain and DNS record, or null; the private key is not read. */
export async function readOrganizationDkim(db: Executor, orgId: string): Promise<OrganizationDkim | null> {
  const r = await db.selectFrom('organizations').where('id', '=', orgId).select(['dkim_domain', 'dkim_selector', 'dkim_public_key']).executeTakeFirst();
  if (!r?.dkim_domain || !r.dkim_selector || !r.dkim_public_key) return null;
  return dnsOf(r.dkim_domain, r.dkim_selector, r.dkim_public_key);
}

/** Whether an address is at the domain or below it (DMARC's relaxed alignment). */
export function alignedWith(address: string, domain: string): boolean {
  const at = address.lastIndexOf('@');
  const host = (at < 0 ? address : address.slice(at + 1)).trim().toLowerCase().replace(/>$/, '');
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * The organisation's key for a message sent as `fromAddress`, or undefined when it has none or the address is not
 * at its domain (a signature for another domain would not help the message pass DMARC).
 */
export async function dkimForSending(deps: { db: Executor; keyring: Keyring }, orgId: string, fromAddress: string): Promise<DkimSigning | undefined> {
  const r = await deps.db.selectFrom('organizations').where('id', '=', orgId).select(['dkim_domain', 'dkim_selector', 'dkim_key_enc']).executeTakeFirst();
  if (!r?.dkim_domain || !r.dkim_selector || !r.dkim_key_enc || !alignedWith(fromAddress, r.dkim_domain)) return undefined;
  const privateKey = await deps.keyring.decrypt(keyField(orgId), r.dkim_key_enc, deps.db);
  return { domainName: r.dkim_domain, keySelector: r.dkim_selector, privateKey };
}
