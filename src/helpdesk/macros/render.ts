/**
 * Macro templates (pure): `{{customer.first_name}}`-style placeholders filled
 * from the ticket, and the sensitive-data check on both the template (when it
 * is saved) and the rendered text (when it is used). Warnings name the type
 * and the placeholder, never the value, so they can be logged and returned.
 */
import { actionFor, DEFAULT_DLP_POLICY, detectSensitiveData, type DlpPolicy, type SensitiveType } from '../../protection/dlp/index.js';

export const PLACEHOLDERS = ['customer.name', 'customer.first_name', 'customer.email', 'ticket.number', 'ticket.subject', 'agent.name', 'agent.first_name'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string>>;

const TAG = /\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}/g;

/** Placeholders a template uses; unknown ones are reported so a typo is refused at save time. */
export function placeholdersIn(template: string): { known: Placeholder[]; unknown: string[] } {
  const known = new Set<Placeholder>();
  const unknown = new Set<string>();
  for (const m of template.matchAll(TAG)) {
    const name = m[1] as string;
    if ((PLACEHOLDERS as readonly string[]).includes(name)) known.add(name as Placeholder);
    else unknown.add(name);
  }
  return { known: [...known], unknown: [...unknown] };
}

export interface RenderedMacro {
  text: string;
  /** Where each placeholder's value landed in `text`. */
  inserted: Array<{ placeholder: Placeholder; start: number; end: number }>;
}

/** Fills placeholders; a missing value renders as empty. */
export function renderMacro(template: string, values: PlaceholderValues): RenderedMacro {
  const inserted: RenderedMacro['inserted'] = [];
  let out = '';
  let cursor = 0;
  for (const m of template.matchAll(TAG)) {
    const name = m[1] as string;
    out += template.slice(cursor, m.index);
    cursor = m.index + m[0].length;
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      out += m[0];
      continue;
    }
    const value = values[name as Placeholder] ?? '';
    inserted.push({ placeholder: name as Placeholder, start: out.length, end: out.length + value.length });
    out += value;
  }
  out += template.slice(cursor);
  return { text: out, inserted };
}

export interface SensitiveWarning {
  type: SensitiveType;
  /** The placeholder that brought it in; null when it is in the template's own text. */
  placeholder: Placeholder | null;
  action: 'redact' | 'flag';
}

/** Sensitive data in a rendered macro, attributed to the placeholder that inserted it. */
export function findSensitiveInsertions(rendered: RenderedMacro, policy: DlpPolicy = DEFAULT_DLP_POLICY): SensitiveWarning[] {
  const out: SensitiveWarning[] = [];
  for (const f of detectSensitiveData(rendered.text)) {
    const action = actionFor(policy, f.type);
    if (action === 'ignore') continue;
    const via = rendered.inserted.find((i) => f.start < i.end && f.end > i.start);
    out.push({ type: f.type, placeholder: via?.placeholder ?? null, action });
  }
  return out;
}

/** The template check at save time: `refuse` lists types that would be redacted (cards, secrets), `warn` the flagged ones. */
export function checkMacroTemplate(template: string, policy: DlpPolicy = DEFAULT_DLP_POLICY): { refuse: SensitiveType[]; warn: SensitiveType[] } {
  const refuse = new Set<SensitiveType>();
  const warn = new Set<SensitiveType>();
  // Placeholders are blanked first so `{{customer.email}}` is not itself read as text.
  for (const f of detectSensitiveData(template.replace(TAG, (m) => ' '.repeat(m.length)))) {
    const action = actionFor(policy, f.type);
    if (action === 'redact') refuse.add(f.type);
    else if (action === 'flag') warn.add(f.type);
  }
  return { refuse: [...refuse], warn: [...warn] };
}
