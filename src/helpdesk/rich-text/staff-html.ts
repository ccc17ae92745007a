/**
 * Rich text written by staff (a reply, a note, a signature) made ready to store (pure): sanitised with the one
 * allowlist (sanitize.ts), its text twin derived, and the sensitive-data policy applied to both. The HTML is
 * redacted with the HTML-aware detector (entities, full-width digits); a number split across tags
 * (`4111 <b>1111</b> 1111 1111`) escapes that pass, so the text of the redacted HTML is scanned once more and,
 * if anything the policy removes is still there, the HTML is rebuilt from the redacted text (formatting lost,
 * nothing leaked). Groups on separate lines (`4111<br>1111<br>…`) are read as one line too. Decision 0149.
 */
import { redactSensitiveData, type DlpPolicy } from '../../protection/dlp/index.js';
import { redactText } from '../ingest/scan.js';
import type { StoredRedaction } from '../tickets/schema.js';
import { plainToRichText, richTextToPlain, sanitizeRichText, type RichTextOptions } from './sanitize.js';

export interface StaffRichText {
  /** Sanitised, redacted HTML. */
  html: string;
  /** Its text twin, redacted: what is stored as the body, indexed for search and scanned before sending. */
  text: string;
  /** Redactions of `text` (positions in the text twin). */
  redactions: StoredRedaction[];
  /** The HTML had to be rebuilt from the text (sensitive data hidden by markup). */
  flattened: boolean;
}

/** Content-ID of a ticket file referenced from staff HTML: `cid:<attachment id>@trustdesk`. */
export const STAFF_CID = /^cid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@trustdesk$/i;

export function staffCid(attachmentId: string): string {
  return `${attachmentId.toLowerCase()}@trustdesk`;
}

/** Attachment ids referenced as inline images by (sanitised) staff HTML, in order, once each. */
export function inlineImageIds(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/gi)) {
    const id = STAFF_CID.exec(m[1] ?? '')?.[1];
    if (id) out.add(id.toLowerCase());
  }
  return [...out];
}

function removedCount(text: string, policy: DlpPolicy): number {
  return redactSensitiveData(text, policy).redactions.filter((r) => r.action === 'redact').length;
}

/**
 * `imageIds`: the files this message carries; only `cid:` references to them survive (no remote image, no
 * data: URL, nothing of another ticket).
 */
export function prepareStaffHtml(input: string, options: { policy: DlpPolicy; imageIds?: readonly string[] }): StaffRichText {
  const allowed = new Set((options.imageIds ?? []).map((x) => x.toLowerCase()));
  const rich: RichTextOptions = { imageSrc: (src) => allowed.has(STAFF_CID.exec(src)?.[1]?.toLowerCase() ?? '') };
  const clean = sanitizeRichText(input, rich);
  const plain = richTextToPlain(clean);
  // Line breaks and paragraphs look like separators to a reader ("4111<br>1111<br>…"): when the text read as one
  // line hides more than the text does, the one-line reading wins and the formatting goes.
  const oneLine = plain.replace(/\s*\n\s*(?:(?:[*•-]|\d{1,3}[.)])\s+)?/g, ' ');
  if (removedCount(oneLine, options.policy) > removedCount(plain, options.policy)) {
    const flat = redactText(oneLine, 'body', options.policy);
    return { html: plainToRichText(flat.text), text: flat.text, redactions: flat.redactions, flattened: true };
  }
  const body = redactText(plain, 'body', options.policy);
  // Flagged types stay (as in plain text); only what the policy removes is replaced.
  const redacted = redactSensitiveData(clean, options.policy, { html: true });
  const marked = redacted.redactions.length > 0 ? sanitizeRichText(redacted.text, rich) : clean;
  if (removedCount(richTextToPlain(marked), options.policy) > 0) {
    return { html: plainToRichText(body.text), text: body.text, redactions: body.redactions, flattened: true };
  }
  return { html: marked, text: body.text, redactions: body.redactions, flattened: false };
}
