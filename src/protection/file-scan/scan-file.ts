/**
 * What a file's name and contents hold, judged against the sensitive-data
 * policy (decision 0120):
 *  - the name is redacted like any text (a card in `card 4297….pdf` is masked);
 *  - a plain-text file is redacted in place by the caller, as before;
 *  - a document or archive whose text holds a type the policy redacts (a card
 *    number above all) cannot be redacted in place, so its bytes must not be
 *    kept: `withhold` (inbound mail records the file without its bytes; an
 *    upload is refused, since the person uploading can fix it);
 *  - flagged types are reported so the agent is told, the file kept;
 *  - what could not be read (encrypted, too large, timed out) is reported,
 *    and an archive that inflates like a bomb marks the file dangerous.
 */
import { actionFor, detectSensitiveData, redactSensitiveData, type DlpPolicy, type SensitiveType } from '../dlp/index.js';
import { DEFAULT_EXTRACT_LIMITS, extractFileText, fileKind, type ExtractLimits } from './extract.js';

export interface FileScan {
  /** The name to store: redacted where the policy redacts. */
  name: string;
  /** Types in the name, with what was done. */
  nameFindings: Array<{ type: SensitiveType; action: 'redact' | 'flag' }>;
  /** Types found in the contents of a document or archive, with the action the policy gives them. */
  contentFindings: Array<{ type: SensitiveType; action: 'redact' | 'flag' }>;
  /** The contents hold something the policy redacts and the file cannot be redacted in place. */
  withhold: boolean;
  /** Parts that could not be read (`archive.zip: encrypted`). */
  unreadable: string[];
  /** Extra danger reasons for the attachment row (`archive_bomb`, `not_scanned`). */
  dangerReasons: string[];
  bomb: boolean;
}

export function scanFileName(name: string, policy: DlpPolicy): Pick<FileScan, 'name' | 'nameFindings'> {
  const r = redactSensitiveData(name, policy);
  return { name: r.text, nameFindings: r.redactions.map((x) => ({ type: x.type, action: x.action })) };
}

export async function scanFile(input: { name: string; sniffedType: string; bytes: Uint8Array; policy: DlpPolicy; limits?: ExtractLimits }): Promise<FileScan> {
  const named = scanFileName(input.name, input.policy);
  const base: FileScan = { ...named, contentFindings: [], withhold: false, unreadable: [], dangerReasons: [], bomb: false };
  const kind = fileKind(input.name, input.sniffedType, input.bytes);
  // Plain text is redacted in place by the caller; other binary files hold no text we can read.
  if (kind === 'text' || kind === 'other') return base;
  const extraction = await extractFileText(input.name, input.sniffedType, input.bytes, input.limits ?? DEFAULT_EXTRACT_LIMITS);
  const seen = new Map<SensitiveType, 'redact' | 'flag'>();
  for (const part of extraction.texts) {
    for (const f of detectSensitiveData(part.text)) {
      const action = actionFor(input.policy, f.type);
      if (action === 'ignore') continue;
      if (action === 'redact' || !seen.has(f.type)) seen.set(f.type, action);
    }
  }
  const contentFindings = [...seen].map(([type, action]) => ({ type, action }));
  const bomb = extraction.unreadable.some((u) => u.endsWith(': bomb'));
  const dangerReasons = [...(bomb ? ['archive_bomb'] : []), ...(extraction.unreadable.length > 0 && !bomb ? ['not_scanned'] : [])];
  return { ...base, contentFindings, withhold: contentFindings.some((f) => f.action === 'redact'), unreadable: extraction.unreadable, dangerReasons, bomb };
}
