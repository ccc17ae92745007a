/**
 * What customers are told (decision 0214): the public policy in force, the plain guidance on the secure way,
 * the footer every customer email carries once a public policy is published, and the one-time notice to a
 * customer who wrote sensitive data by email.
 */
import { portalOrganization } from '../../helpdesk/portal/organization.js';
import { customerAddress, type CustomerAddress } from '../organizations/hosts.js';
import { SECURE_WAY_GUIDANCE } from '../../platform/http/schemas/policies.js';
import type { Database } from '../../platform/db/schema.js';
import type { Kysely } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { renderModuleMarkdown } from '../training/markdown.js';
import { versionInForce } from './current.js';
import './schema.js';

/** The portal page of an organisation's public policy. */
export function publicPolicyUrl(address: CustomerAddress): string {
  return `${address.baseUrl}/portal/policy${address.orgQuery}`;
}

export async function readPublicPolicy(deps: { db: Kysely<Database>; publicUrl: string }, orgId: string | undefined, hostname: string | undefined) {
  const db = deps.db;
  const org = await portalOrganization(deps, orgId, hostname);
  const v = await versionInForce(db, org.id, 'public');
  return {
    organization: org,
    policy: v ? { version: v.version as number, title: v.title, html: renderModuleMarkdown(v.body_md), effectiveAt: new Date(v.effective_at as Date).toISOString() } : null,
    guidance: SECURE_WAY_GUIDANCE,
  };
}

export interface MailFooter {
  text: string;
  url: string;
}

/** The footer of a customer email: the guidance and the policy's address, or null while no public policy is in force. */
export async function customerMailFooter(db: Executor, publicUrl: string, orgId: string): Promise<MailFooter | null> {
  if (!(await versionInForce(db, orgId, 'public'))) return null;
  const url = publicPolicyUrl(await customerAddress({ db, publicUrl }, orgId));
  return { url, text: `--\n${SECURE_WAY_GUIDANCE}\nHow we handle your data: ${url}` };
}

/** A customer email's text with the footer added, when a public policy is in force (mail sent outside the outbound queue). */
export async function withSecureWayFooter(db: Executor, publicUrl: string, orgId: string, text: string): Promise<string> {
  const footer = await customerMailFooter(db, publicUrl, orgId);
  return footer ? `${text}\n\n${footer.text}` : text;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The same footer for the HTML alternative. */
export function footerHtml(footer: MailFooter): string {
  return `<hr><p>${escapeHtml(SECURE_WAY_GUIDANCE)}<br><a href="${escapeHtml(footer.url)}">How we handle your data</a></p>`;
}

export const SENSITIVE_NOTICE_NOTE = 'Automatic notice sent to the requester: how to send sensitive information safely.';

/** The notice's text (pure): what happened, what to do instead, where the policy is. */
export function composeSensitiveNotice(input: { brand: string; policyUrl: string }): string {
  return [
    'Hello,',
    '',
    'Your email to us contained information that should not be sent by email, such as a card number, a password or a security code. We removed it before storing your message.',
    '',
    SECURE_WAY_GUIDANCE,
    '',
    `How we handle your data: ${input.policyUrl}`,
    '',
    input.brand,
  ].join('\n');
}

/**
 * Claims the once-per-customer notice in the caller's transaction: true the first time for this customer,
 * false ever after (two messages at once: the primary key lets one through). Only while a public policy is
 * in force, so an organisation that has not written one sends nothing new.
 */
export async function claimSensitiveNotice(trx: Executor, orgId: string, customerId: string): Promise<boolean> {
  if (!(await versionInForce(trx, orgId, 'public'))) return false;
  const claimed = await trx.insertInto('policy_customer_notices').values({ org_id: orgId, customer_id: customerId }).onConflict((oc) => oc.columns(['org_id', 'customer_id']).doNothing()).returning('customer_id').executeTakeFirst();
  return Boolean(claimed);
}
