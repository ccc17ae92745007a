/**
 * A reply as mail (pure): threading headers so the customer's client files it
 * in the same conversation, the ticket number in the subject, and the reply
 * token in the From/Reply-To address so their answer finds the ticket even when
 * their client drops the headers. Header values are stripped of line breaks.
 * A rich reply goes as multipart/alternative (text and HTML), its inline
 * images as related parts named by Content-ID (decision 0149).
 */
import { sanitizeHeaderValue } from './threading.js';

export interface ComposedMail {
  from: string | { name: string; address: string };
  replyTo?: string | { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  /** The HTML alternative (sanitised staff rich text), when the reply has one. */
  html?: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers: Record<string, string>;
  /** Files the agent sent with the reply, decrypted at send time. */
  attachments?: Array<{ filename: string; contentType: string; content: Uint8Array; /** Shown inline by the HTML (`cid:` reference), without angle brackets. */ cid?: string }>;
  /** The organisation's own DKIM key for this message (decision 0237); else the transport's, if any. */
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

export interface ComposeReplyInput {
  from: string | { name: string; address: string };
  to: string;
  subject: string;
  ticketNumber: number;
  body: string;
  html?: string | null;
  /** Without angle brackets. */
  messageId: string;
  /** Message-IDs of the thread, oldest first, without angle brackets. */
  references: string[];
  attachments?: ComposedMail['attachments'];
}

/** `Re: <subject> [#N]`, without stacking `Re:` or a second tag. */
export function replySubject(subject: string, ticketNumber: number): string {
  let s = sanitizeHeaderValue(subject, 500);
  while (/^(re|aw|sv|fwd?)\s*:\s*/i.test(s)) s = s.replace(/^(re|aw|sv|fwd?)\s*:\s*/i, '');
  const tag = `[#${ticketNumber}]`;
  if (!s.includes(tag)) s = `${s} ${tag}`.trim();
  return `Re: ${s}`;
}

const bracket = (id: string) => `<${sanitizeHeaderValue(id, 998).replace(/[<>\s]/g, '')}>`;

export function composeReply(input: ComposeReplyInput): ComposedMail {
  const refs = input.references.slice(-20).map(bracket);
  const from = typeof input.from === 'string' ? sanitizeHeaderValue(input.from) : { name: sanitizeHeaderValue(input.from.name, 200), address: sanitizeHeaderValue(input.from.address, 254) };
  const mail: ComposedMail = {
    from,
    replyTo: from,
    to: sanitizeHeaderValue(input.to, 254),
    subject: replySubject(input.subject, input.ticketNumber),
    text: input.body,
    ...(input.html ? { html: input.html } : {}),
    messageId: bracket(input.messageId),
    // Agent replies are written by a person; marking them keeps our own loop detection honest.
    headers: { 'Auto-Submitted': 'no', 'X-Trustdesk-Ticket': String(input.ticketNumber) },
  };
  if (input.attachments?.length) {
    // The name goes into a MIME parameter nodemailer encodes; line breaks and path separators go first.
    mail.attachments = input.attachments.map((a) => ({ ...a, ...(a.cid ? { cid: sanitizeHeaderValue(a.cid, 200).replace(/[<>\s]/g, '') } : {}), filename: sanitizeHeaderValue(a.filename, 200).replace(/[/\\]/g, '_') || 'attachment' }));
  }
  if (refs.length) {
    mail.inReplyTo = refs[refs.length - 1] as string;
    mail.references = refs;
  }
  return mail;
}
