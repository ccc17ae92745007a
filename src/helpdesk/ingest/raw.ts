/**
 * The raw message is kept (encrypted), but invariant 1 holds for it too: no
 * full card number may be stored even under encryption. The decoded texts were
 * redacted by the sensitive-data stage; here the same types are redacted in the
 * raw bytes, and when an encoding hides them (base64, quoted-printable soft
 * breaks) the raw is rebuilt from its redacted header and redacted text.
 */
import { DEFAULT_DLP_POLICY, detectSensitiveData, redactFindings, type DlpPolicy, type SensitiveType } from '../../protection/dlp/index.js';
import { parseRawMessage } from '../../threats/phishing/index.js';

export interface RawRedaction {
  raw: Buffer;
  /** The raw could not be redacted in place and was rebuilt as text only. */
  rebuilt: boolean;
}

const ALWAYS: SensitiveType[] = ['payment_card'];

function redactLatin1(raw: Buffer, types: SensitiveType[], policy: DlpPolicy): Buffer {
  const text = raw.toString('latin1');
  const findings = detectSensitiveData(text, { types }).filter((f) => (policy.actions[f.type] ?? 'flag') === 'redact');
  if (findings.length === 0) return raw;
  return Buffer.from(redactFindings(text, findings, policy).text, 'latin1');
}

async function stillHolds(raw: Buffer, types: SensitiveType[]): Promise<boolean> {
  const p = await parseRawMessage(raw);
  const texts = [p.subject, p.text, ...p.attachments.filter((a) => a.content && a.contentType.startsWith('text/')).map((a) => (a.content as Buffer).toString('utf8'))];
  // The HTML part is read with its character references decoded (`&#52;…` is a digit too).
  return texts.some((t) => detectSensitiveData(t, { types }).length > 0) || (p.html ? detectSensitiveData(p.html, { types, html: true }).length > 0 : false);
}

/**
 * `redactedTypes`: the types the sensitive-data stage replaced in the decoded
 * texts (card numbers are always checked). `redactedBody`: the body as stored.
 * `withoutAttachments`: rebuild as text only whatever else holds.
 */
export async function redactRawMessage(raw: Buffer, input: { redactedTypes: SensitiveType[]; redactedBody: string; policy?: DlpPolicy; withoutAttachments?: boolean }): Promise<RawRedaction> {
  const policy = input.policy ?? DEFAULT_DLP_POLICY;
  const types = [...new Set([...ALWAYS, ...input.redactedTypes])].filter((t) => (policy.actions[t] ?? 'flag') === 'redact');
  const out = redactLatin1(raw, types, policy);
  // An attachment that may not be kept (a document holding a card number, a name that was redacted) goes from the raw copy too.
  if (input.withoutAttachments) return { raw: rebuild(out, input.redactedBody), rebuilt: true };
  if (input.redactedTypes.length === 0) return { raw: out, rebuilt: false };
  if (!(await stillHolds(out, types))) return { raw: out, rebuilt: false };
  return { raw: rebuild(out, input.redactedBody), rebuilt: true };
}

const DROP = /^(content-type|content-transfer-encoding|mime-version)$/i;

function rebuild(raw: Buffer, body: string): Buffer {
  const a = raw.indexOf('\r\n\r\n');
  const b = raw.indexOf('\n\n');
  const end = a >= 0 && (b < 0 || a < b) ? a : b;
  const header = end >= 0 ? raw.subarray(0, end).toString('latin1') : '';
  const lines: string[] = [];
  let skipping = false;
  for (const line of header.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (!skipping) lines.push(line);
      continue;
    }
    const name = line.slice(0, Math.max(0, line.indexOf(':'))).trim();
    skipping = DROP.test(name);
    if (!skipping) lines.push(line);
  }
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', 'X-Trustdesk-Rebuilt: sensitive-data-redacted');
  const encoded = Buffer.from(body, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${encoded}\r\n`, 'latin1');
}
