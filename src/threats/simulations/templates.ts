/**
 * Simulation templates: the format, the variables and the renderer. Pure: no
 * database, no HTTP. A template is a plain object (see shipped-templates.ts);
 * its red flags quote text of the rendered body (or subject, or sender) so the
 * landing page can mark them in this very message. Variables are made safe
 * before they are placed: control characters (CR and LF included) are removed
 * everywhere, sizes are bounded, and the HTML body is built from the text with
 * every character escaped, so neither a header nor markup can be injected.
 */


export type Difficulty = 1 | 2 | 3;

/** The shipped invoice's attachment (variables allowed in issuer and item). */
export interface InvoiceAttachment {
  kind: 'invoice';
  /** Who the invoice is from, e.g. "{{customerName}} Consulting" or "Northgate Office Supplies". */
  issuer: string;
  /** The one line item. */
  item: string;
}

/**
 * An organisation's own attachment (decision 0223): its file name, heading and text, per language version.
 * Title and text may use the message's variables (not {{link}}) and {{document.number}}, {{document.date}},
 * {{document.due}}, {{document.amount}}, drawn per recipient.
 */
export interface DocumentAttachment {
  kind: 'document';
  /** Without extension: Trustdesk adds .pdf (support queue) or .html (own mailbox). */
  filename: string;
  title: string;
  text: string;
  /** The one button of the mailbox variant, e.g. "View the quote". */
  button: string;
}

export type TemplateAttachment = InvoiceAttachment | DocumentAttachment;

/** Bounds of an own attachment (the API schema has the same; checkAttachment says why in words). */
export const ATTACHMENT_LIMITS = { filename: 80, title: 120, text: 2000, button: 40, lines: 40, lineChars: 84 } as const;

/** Variables of an attachment's text beyond the message's: values drawn per recipient. */
export const DOCUMENT_VARIABLES = ['document.number', 'document.date', 'document.due', 'document.amount'] as const;
export type DocumentFacts = Record<(typeof DOCUMENT_VARIABLES)[number], string>;
export const SAMPLE_DOCUMENT_FACTS: DocumentFacts = { 'document.number': 'INV-2026-04817', 'document.date': '2026-03-02', 'document.due': '2026-03-09', 'document.amount': 'EUR 1,280.00' };

/** Places the per-recipient document values, then the message's (an unknown variable throws, as fill does). */
export function fillDocument(text: string, values: TemplateValues, facts: DocumentFacts): string {
  const placed = text.replace(/\{\{\s*(document\.[a-z]+)\s*\}\}/g, (m, name: string) => (Object.hasOwn(facts, name) ? facts[name as keyof DocumentFacts] : m));
  return fill(placed, values);
}

/** Splits text into lines of at most `width` characters at spaces (a longer word is cut). */
export function wrapLines(text: string, width: number = ATTACHMENT_LIMITS.lineChars): string[] {
  const out: string[] = [];
  for (const para of text.replace(/\r\n?/g, '\n').split('\n')) {
    // eslint-disable-next-line no-control-regex
    const words = para.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').split(/ +/).filter(Boolean);
    let line = '';
    for (let w of words) {
      while ([...w].length > width) {
        if (line) { out.push(line); line = ''; }
        out.push([...w].slice(0, width).join(''));
        w = [...w].slice(width).join('');
      }
      if (!line) line = w;
      else if ([...line].length + 1 + [...w].length <= width) line += ` ${w}`;
      else { out.push(line); line = w; }
    }
    out.push(line);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * Problems with an own attachment, empty when it is valid. The file name is refused, never repaired, when it
 * could mean something else: a path separator, a control character (CR, LF: a header), a quote, "..", a
 * leading dot or dash, or an extension of its own (the type is Trustdesk's to set).
 */
export function checkAttachment(a: DocumentAttachment): string[] {
  const problems: string[] = [];
  // {{document.number}} is the one variable a file name may carry (a name that differs per recipient).
  const name = a.filename.replace(/\{\{\s*document\.number\s*\}\}/g, 'INV-2026-04817');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) problems.push('attachment.filename: no line breaks or control characters');
  else if (/[/\\]/.test(name)) problems.push('attachment.filename: no path separators');
  else if (name.includes('..')) problems.push('attachment.filename: no ".."');
  else if (!/^[A-Za-z0-9][A-Za-z0-9 ._()-]*$/.test(name)) problems.push('attachment.filename: letters, digits, spaces and . _ ( ) - only, starting with a letter or digit');
  else if (/\.[A-Za-z0-9]{1,5}$/.test(name)) problems.push('attachment.filename: no extension (Trustdesk adds .pdf or .html)');
  if ([...name].length > ATTACHMENT_LIMITS.filename || name.trim() === '') problems.push(`attachment.filename: 1 to ${ATTACHMENT_LIMITS.filename} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(a.title)) problems.push('attachment.title: one line, no control characters');
  if ([...a.title].length > ATTACHMENT_LIMITS.title || a.title.trim() === '') problems.push(`attachment.title: 1 to ${ATTACHMENT_LIMITS.title} characters`);
  if ([...a.button].length > ATTACHMENT_LIMITS.button || a.button.trim() === '') problems.push(`attachment.button: 1 to ${ATTACHMENT_LIMITS.button} characters`);
  if ([...a.text].length > ATTACHMENT_LIMITS.text) problems.push(`attachment.text: at most ${ATTACHMENT_LIMITS.text} characters`);
  for (const part of [a.title, a.text, a.button]) {
    if (/\{\{\s*link\s*\}\}/.test(part)) { problems.push('attachment: {{link}} is not allowed (the file reports its opening by itself)'); break; }
  }
  try {
    const text = fillDocument(a.text, safeValues(SAMPLE_VALUES), SAMPLE_DOCUMENT_FACTS);
    fillDocument(a.title, safeValues(SAMPLE_VALUES), SAMPLE_DOCUMENT_FACTS);
    fillDocument(a.button, safeValues(SAMPLE_VALUES), SAMPLE_DOCUMENT_FACTS);
    if (wrapLines(text).length > ATTACHMENT_LIMITS.lines) problems.push(`attachment.text: at most ${ATTACHMENT_LIMITS.lines} lines on the page`);
  } catch (err) {
    problems.push(`attachment: ${(err as Error).message}`);
  }
  return problems;
}

export interface RedFlag {
  /** Where the quoted text is: the subject, the sender line or the body. */
  in: 'subject' | 'from' | 'body';
  /** Exact text of the rendered part (variables allowed) to mark. */
  quote: string;
  /** What an agent should have noticed, in a sentence or two. */
  explanation: string;
}

export interface SimulationTemplate {
  id: string;
  /** Bumped when the message changes, so results can say which version was sent. */
  version: number;
  name: string;
  /** The attack it imitates, for the campaign builder. */
  scenario: string;
  difficulty: Difficulty;
  /** The training module that teaches what this template tests (a training topic id). */
  trainingTopic: string;
  from: { name: string; localPart: string };
  subject: string;
  /** Plain text with {{variables}}; {{link}} is the recipient's tracking link. */
  body: string;
  redFlags: RedFlag[];
  /** A harmless file that reports when opened (decision 0200); the body then needs no {{link}}. */
  attachment?: TemplateAttachment | undefined;
}

export const TEMPLATE_VARIABLES = ['agentName', 'orgName', 'customerName', 'link', 'senderDomain'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string>;

export const LIMITS = { subject: 200, fromName: 100, localPart: 64, body: 8000, flags: 12, flagText: 400, variable: 120, link: 400 } as const;

export interface RenderedMessage {
  fromName: string;
  fromAddress: string;
  subject: string;
  text: string;
  html: string;
}

/** Removes control characters (CR, LF, NUL, tab and the C1 range), collapses spaces, bounds the length. */
export function cleanValue(value: string, max: number = LIMITS.variable): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return [...flat].slice(0, max).join('');
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const VARIABLE = /\{\{\s*([a-zA-Z.]+)\s*\}\}/g;

/**
 * The names a template may write: the shipped templates' short names and the dotted names security officers
 * write in their own ({{agent.name}}, {{organisation.name}}, {{customer.name}}, {{link}}, {{sender.domain}}).
 */
export const VARIABLE_ALIASES: Readonly<Record<string, TemplateVariable>> = {
  agentName: 'agentName', 'agent.name': 'agentName',
  orgName: 'orgName', 'organisation.name': 'orgName', 'organization.name': 'orgName',
  customerName: 'customerName', 'customer.name': 'customerName',
  link: 'link',
  senderDomain: 'senderDomain', 'sender.domain': 'senderDomain',
};

/** Replaces {{name}} by its cleaned value; an unknown variable is an error found when templates are checked. */
export function fill(text: string, values: TemplateValues): string {
  return text.replace(VARIABLE, (_m, name: string) => {
    const key = Object.hasOwn(VARIABLE_ALIASES, name) ? VARIABLE_ALIASES[name] : undefined;
    if (!key) throw new Error(`unknown template variable {{${name}}}`);
    return values[key];
  });
}

/** Values as they will be placed: cleaned and bounded; the sender domain reduced to hostname characters. */
export function safeValues(values: TemplateValues): TemplateValues {
  return {
    agentName: cleanValue(values.agentName),
    orgName: cleanValue(values.orgName),
    customerName: cleanValue(values.customerName),
    link: cleanValue(values.link, LIMITS.link).replace(/\s/g, ''),
    senderDomain: cleanValue(values.senderDomain, 253).toLowerCase().replace(/[^a-z0-9.-]/g, ''),
  };
}

export function renderTemplate(template: SimulationTemplate, values: TemplateValues): RenderedMessage {
  const v = safeValues(values);
  const subject = cleanValue(fill(template.subject, v), LIMITS.subject);
  const fromName = cleanValue(fill(template.from.name, v), LIMITS.fromName);
  const localPart = cleanValue(fill(template.from.localPart, v), LIMITS.localPart).toLowerCase().replace(/[^a-z0-9._-]/g, '') || 'info';
  const text = [...fill(template.body, v).replace(/\r\n?/g, '\n')].slice(0, LIMITS.body).join('');
  return { fromName, fromAddress: `${localPart}@${v.senderDomain}`, subject, text, html: textToHtml(text, v.link) };
}

/** The HTML part: every character escaped, paragraphs kept, and the tracking link (only it) made a link. */
export function textToHtml(text: string, link: string): string {
  const paragraphs = text.split(/\n{2,}/).map((para) => {
    const escaped = escapeHtml(para).replace(/\n/g, '<br>');
    const href = escapeHtml(link);
    return `<p>${link ? escaped.split(href).join(`<a href="${href}">${href}</a>`) : escaped}</p>`;
  });
  return `<!DOCTYPE html><html><body>${paragraphs.join('\n')}</body></html>`;
}

/** Problems with a template, empty when it is valid (shipped templates are checked by a test, admins' ones on save). */
export function checkTemplate(t: SimulationTemplate): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9-]{1,100}$/.test(t.id)) problems.push('id: lowercase letters, digits and dashes');
  if (![1, 2, 3].includes(t.difficulty)) problems.push('difficulty: 1, 2 or 3');
  if (t.subject.length > LIMITS.subject) problems.push('subject too long');
  if (t.body.length > LIMITS.body) problems.push('body too long');
  if (!t.attachment && !/\{\{\s*link\s*\}\}/.test(t.body)) problems.push('body: needs {{link}}');
  if (t.redFlags.length < 2 || t.redFlags.length > LIMITS.flags) problems.push(`redFlags: 2 to ${LIMITS.flags}`);
  if (!t.trainingTopic) problems.push('trainingTopic: required');
  if (t.attachment?.kind === 'document') problems.push(...checkAttachment(t.attachment));
  try {
    const sample = renderTemplate(t, SAMPLE_VALUES);
    for (const flag of t.redFlags) {
      if (flag.explanation.length === 0 || flag.explanation.length > LIMITS.flagText || flag.quote.length > LIMITS.flagText) problems.push(`flag "${flag.quote}": text size`);
      const where = flag.in === 'subject' ? sample.subject : flag.in === 'from' ? `${sample.fromName} <${sample.fromAddress}>` : sample.text;
      if (!where.includes(fill(flag.quote, safeValues(SAMPLE_VALUES)))) problems.push(`flag "${flag.quote}": not found in the ${flag.in}`);
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

export const SAMPLE_VALUES: TemplateValues = { agentName: 'Alex Agent', orgName: 'Example Support', customerName: 'Jordan Miller', link: 'https://help.example.com/l/sample', senderDomain: 'mail.example.net' };

/** Customer-like names drawn for the {{customerName}} variable (not real customers: nothing leaks into a simulation). */
export const CUSTOMER_NAMES = ['Jordan Miller', 'Sam Okafor', 'Maria Keller', 'Priya Natarajan', 'Tom Becker', 'Lucía Fernández', 'Chen Wei', 'Anna Kowalska', 'David Cohen', 'Fatima Haddad', 'Lars Nilsson', 'Emma Dubois'];

export interface MarkedPart {
  text: string;
  /** Index into the template's redFlags, null for plain text. */
  flag: number | null;
}

/** Splits a rendered part into plain and flagged pieces (first occurrence of each quote), for the landing page. */
export function markFlags(text: string, flags: Array<{ quote: string }>): MarkedPart[] {
  const spans: Array<{ start: number; end: number; flag: number }> = [];
  flags.forEach((f, i) => {
    if (!f.quote) return;
    const start = text.indexOf(f.quote);
    if (start < 0) return;
    const end = start + f.quote.length;
    if (spans.some((s) => start < s.end && end > s.start)) return;
    spans.push({ start, end, flag: i });
  });
  spans.sort((a, b) => a.start - b.start);
  const parts: MarkedPart[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.start > at) parts.push({ text: text.slice(at, s.start), flag: null });
    parts.push({ text: text.slice(s.start, s.end), flag: s.flag });
    at = s.end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), flag: null });
  return parts;
}
