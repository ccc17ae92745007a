/**
 * Who sent a held message and what it is about, read from its header block
 * only (the body is never parsed for the list), with encoded words decoded.
 * Stored inside the encrypted quarantine details; shown to quarantine.read
 * holders in the list, whose read is audited.
 */
import { DEFAULT_PARSE_LIMITS, parseRawMessage, prepareRaw } from '../phishing/parse.js';

export interface Envelope {
  from: string | null;
  subject: string | null;
}

const MAX_FROM = 320;
const MAX_SUBJECT = 300;

export async function readEnvelope(raw: Buffer): Promise<Envelope> {
  if (raw.length === 0) return { from: null, subject: null };
  const { headerBlock } = prepareRaw(raw, DEFAULT_PARSE_LIMITS);
  const parsed = await parseRawMessage(Buffer.from(`${headerBlock.replace(/\r?\n$/, '')}\r\n\r\n`, 'latin1'));
  const f = parsed.from;
  const from = f && (f.address || f.name) ? (f.name && f.address ? `${f.name} <${f.address}>` : f.address || f.name).slice(0, MAX_FROM) : null;
  const subject = parsed.subject.trim() ? parsed.subject.trim().slice(0, MAX_SUBJECT) : null;
  return { from, subject };
}
