/**
 * Signatures: a person's and a mailbox's, appended to replies that leave by email — the person's sign-off
 * first, then the mailbox's (the company footer), as a letter reads (decision 0149). Saved through the rich-text
 * allowlist and the organisation's sensitive-data policy (no images: a signature is sent to every customer, and
 * a remote image would be a read receipt). Staff-written and free of customer data, they are stored as text.
 * Placeholders are filled in when a reply is written, escaped.
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { SIGNATURE_MAX_CHARS } from '../../platform/http/schemas/signatures.js';
import { isBlankRichText, plainToRichText, richTextToPlain } from '../rich-text/sanitize.js';
import { prepareStaffHtml } from '../rich-text/staff-html.js';
import './schema.js';

export interface SignatureValues {
  agentName: string;
  mailboxName: string;
  mailboxAddress: string;
}

/** Sanitised and redacted signature HTML ('' for none). */
export async function cleanSignature(db: Executor, orgId: string, html: string): Promise<string> {
  const source = html.slice(0, SIGNATURE_MAX_CHARS);
  const prepared = prepareStaffHtml(source, { policy: (await loadOrgDlp(db, orgId)).policy });
  return isBlankRichText(prepared.html) ? '' : prepared.html;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Placeholders filled in (values escaped: a name like `<b>` stays text). Unknown placeholders stay as written. */
export function fillSignature(html: string, v: SignatureValues): string {
  const values: Record<string, string> = { 'agent.name': v.agentName, 'mailbox.name': v.mailboxName, 'mailbox.address': v.mailboxAddress };
  return html.replace(/\{\{\s*([a-z.]+)\s*\}\}/g, (m, key: string) => (key in values ? escapeHtml(values[key] as string) : m));
}

/** The signature a reply by `userId` through `mailboxId` ends with, or null when neither has one. */
export async function loadReplySignature(db: Executor, input: { orgId: string; userId: string; mailboxId: string | null }): Promise<{ html: string; text: string } | null> {
  const user = await db.selectFrom('users').where('id', '=', input.userId).where('org_id', '=', input.orgId).select(['name', 'signature_html']).executeTakeFirst();
  const mailbox = input.mailboxId
    ? await db.selectFrom('mailboxes').where('id', '=', input.mailboxId).where('org_id', '=', input.orgId).select(['name', 'address', 'signature_html']).executeTakeFirst()
    : undefined;
  const parts = [user?.signature_html, mailbox?.signature_html].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
  if (parts.length === 0) return null;
  const html = fillSignature(parts.join(''), { agentName: user?.name ?? '', mailboxName: mailbox?.name ?? '', mailboxAddress: mailbox?.address ?? '' });
  return { html, text: richTextToPlain(html) };
}

/** A reply with its signature: the text gets the conventional "-- " separator line, the HTML the signature's paragraphs. */
export function withSignature(reply: { text: string; html: string | null }, signature: { html: string; text: string } | null): { text: string; html: string | null } {
  if (!signature) return reply;
  return { text: `${reply.text.replace(/\s+$/, '')}\n\n-- \n${signature.text}`, html: `${reply.html ?? plainToRichText(reply.text)}<p>-- </p>${signature.html}` };
}
