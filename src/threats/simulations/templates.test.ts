import { describe, expect, it } from 'vitest';
import { loadShippedModules } from '../../identity/training/shipped.js';
import { SHIPPED_TEMPLATES, findTemplate } from './shipped-templates.js';
import { checkAttachment, checkTemplate, cleanValue, markFlags, renderTemplate, SAMPLE_VALUES, wrapLines, type DocumentAttachment, type InvoiceAttachment, type SimulationTemplate } from './templates.js';
import { buildAttachment, buildInvoiceHtml, buildInvoicePdf, drawInvoiceFacts, MAX_ATTACHMENT_BYTES } from './attachment.js';
import { buildSimulatedMessage } from './message.js';
import { inspectAttachment } from '../../protection/blobs/sniff.js';
import { classifyFileName } from '../phishing/signals/attachments.js';

describe('simulation templates', () => {
  it('ships at least ten valid templates with unique ids, each with red flags found in the message', () => {
    expect(SHIPPED_TEMPLATES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(SHIPPED_TEMPLATES.map((t) => t.id)).size).toBe(SHIPPED_TEMPLATES.length);
    for (const t of SHIPPED_TEMPLATES) expect(checkTemplate(t), t.id).toEqual([]);
    expect(new Set(SHIPPED_TEMPLATES.map((t) => t.difficulty))).toEqual(new Set([1, 2, 3]));
  });

  it('names a shipped training module as each template’s training topic', () => {
    const modules = new Set(loadShippedModules().map((m) => m.module.key));
    for (const t of SHIPPED_TEMPLATES) expect(modules.has(t.trainingTopic), `${t.id}: ${t.trainingTopic}`).toBe(true);
  });

  it('finds a flag that is not in the message, and an unknown variable', () => {
    const base = findTemplate('vendor-bank-details')!;
    const bad: SimulationTemplate = { ...base, redFlags: [...base.redFlags, { in: 'body', quote: 'not in this text', explanation: 'x' }] };
    expect(checkTemplate(bad).join()).toMatch(/not found in the body/);
    expect(checkTemplate({ ...base, body: `${base.body} {{password}}` }).join()).toMatch(/unknown template variable/);
    expect(checkTemplate({ ...base, body: 'x'.repeat(9000) }).join()).toMatch(/too long/);
  });

  it('strips CR/LF from header values and escapes HTML in the HTML body', () => {
    const t = findTemplate('shared-document')!;
    const hostile = {
      ...SAMPLE_VALUES,
      customerName: 'Eve\r\nBcc: victim@example.com\r\n\r\n<script>alert(1)</script>',
      agentName: '<img src=x onerror=alert(1)>',
      senderDomain: 'evil.example>\r\nX-Injected: 1',
    };
    const r = renderTemplate(t, hostile);
    for (const header of [r.subject, r.fromName, r.fromAddress]) expect(header).not.toMatch(/[\r\n]/);
    expect(r.fromAddress).toBe('share-noreply@evil.examplex-injected1');
    expect(r.html).not.toContain('<script');
    expect(r.html).toContain('&lt;script&gt;');
    expect(r.html.match(/<a /g)?.length).toBe(1);
    const gift = renderTemplate(findTemplate('executive-gift-cards')!, hostile);
    expect(gift.html).not.toContain('<img');
    expect(gift.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('bounds every variable and part', () => {
    expect(cleanValue('a'.repeat(10_000)).length).toBe(120);
    const r = renderTemplate(findTemplate('it-password-expiry')!, { ...SAMPLE_VALUES, agentName: 'A'.repeat(100_000), link: `https://x.example/${'b'.repeat(100_000)}` });
    expect(r.subject.length).toBeLessThanOrEqual(200);
    expect(r.text.length).toBeLessThanOrEqual(8000);
  });

  it('marks the red flags in the rendered text', () => {
    const parts = markFlags('please enable editing now', [{ quote: 'enable editing' }, { quote: 'absent' }]);
    expect(parts).toEqual([{ text: 'please ', flag: null }, { text: 'enable editing', flag: 0 }, { text: ' now', flag: null }]);
  });

  it('builds the invoice per recipient: a bounded PDF with nothing active or identifying, values escaped, not flagged dangerous', () => {
    const t = findTemplate('invoice-attachment')!;
    expect(t.attachment).toBeDefined();
    expect(t.body).not.toMatch(/\{\{\s*link/);
    const hostile = { ...SAMPLE_VALUES, orgName: 'Evil) Tj (x\\ ' + 'O'.repeat(5000), senderDomain: 'a.example' };
    const a = buildInvoicePdf((t.attachment as InvoiceAttachment), hostile, drawInvoiceFacts(new Date('2026-03-01T10:00:00Z')));
    const pdf = a.bytes.toString('latin1');
    expect(pdf.startsWith('%PDF-1.4')).toBe(true);
    expect(a.bytes.length).toBeLessThanOrEqual(MAX_ATTACHMENT_BYTES);
    expect(pdf).toContain('(Bill to: Evil\\) Tj \\(x\\\\ O');
    for (const active of ['/Info', '/Producer', '/Creator', '/ID', '/URI', '/JS', '/JavaScript', '/OpenAction', '/AA', '/Launch', '/EmbeddedFile']) expect(pdf).not.toContain(active);
    expect(a.filename).toMatch(/^Invoice_[A-Za-z0-9-]+\.pdf$/);
    expect(inspectAttachment(a.filename, a.contentType, a.bytes)).toEqual({ type: 'application/pdf', dangerous: false, reasons: [] });
    expect(classifyFileName(a.filename)).toBeNull();
    // No two recipients get the same file.
    const numbers = new Set(Array.from({ length: 20 }, () => drawInvoiceFacts(new Date()).number));
    expect(numbers.size).toBeGreaterThan(10);
  });

  it('builds the mailbox invoice as HTML whose one link is the tracking link, everything else escaped text', () => {
    const t = findTemplate('invoice-attachment')!;
    const hostile = { ...SAMPLE_VALUES, orgName: '<script>alert(1)</script><img src=x onerror=alert(2)>', senderDomain: 'evil.example"><a href="https://x' };
    const a = buildInvoiceHtml((t.attachment as InvoiceAttachment), hostile, drawInvoiceFacts(new Date()), 'https://help.example.com/l/AbC_dEf-123456789012345');
    const html = a.bytes.toString('utf8');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html).toContain('href="https://help.example.com/l/AbC_dEf-123456789012345">View invoice</a>');
    expect(a.bytes.length).toBeLessThanOrEqual(MAX_ATTACHMENT_BYTES);
    expect(buildInvoiceHtml((t.attachment as InvoiceAttachment), SAMPLE_VALUES, drawInvoiceFacts(new Date()), 'javascript:alert(1)').bytes.toString('utf8')).toContain('href="#"');
  });

  it('attaches the file as a mail client would, with the same seven header names', () => {
    const t = findTemplate('invoice-attachment')!;
    const a = buildInvoicePdf((t.attachment as InvoiceAttachment), SAMPLE_VALUES, drawInvoiceFacts(new Date()));
    const raw = buildSimulatedMessage(renderTemplate(t, SAMPLE_VALUES), { to: 'support@example.com', attachment: { ...a, filename: 'x"\r\nBcc: y.pdf' } }).toString('utf8');
    const head = raw.split('\r\n\r\n')[0]!;
    expect(head.split('\r\n').map((l) => l.split(':')[0]!.toLowerCase()).sort()).toEqual(['content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to']);
    expect(raw).toContain('Content-Disposition: attachment; filename="x___Bcc_ y.pdf"');
    expect(raw).not.toMatch(/^Bcc:/m);
  });

  it('checks an own attachment: hostile file names, {{link}}, unknown variables and oversized text are refused, not repaired', () => {
    const ok: DocumentAttachment = { kind: 'document', filename: 'Quote {{document.number}} (signed)', title: 'Quote {{document.number}} for {{organisation.name}}', text: 'Amount: {{document.amount}}\nDue {{document.due}}', button: 'View the quote' };
    expect(checkAttachment(ok)).toEqual([]);
    const refused = (patch: Partial<DocumentAttachment>) => checkAttachment({ ...ok, ...patch });
    expect(refused({ filename: '../../etc/passwd' })).toContainEqual(expect.stringMatching(/path separators/));
    expect(refused({ filename: 'C:\\x' })).toContainEqual(expect.stringMatching(/path separators/));
    expect(refused({ filename: 'a"\r\nBcc: x@y' })).toContainEqual(expect.stringMatching(/line breaks/));
    expect(refused({ filename: 'report.pdf.exe' })).toContainEqual(expect.stringMatching(/no extension/));
    expect(refused({ filename: '.hidden' })).not.toEqual([]);
    expect(refused({ filename: 'x'.repeat(81) })).toContainEqual(expect.stringMatching(/1 to 80/));
    expect(refused({ title: 'a\r\nb' })).toContainEqual(expect.stringMatching(/one line/));
    expect(refused({ text: 'open {{link}}' })).toContainEqual(expect.stringMatching(/\{\{link\}\} is not allowed/));
    expect(refused({ text: '{{agent.password}}' })).toContainEqual(expect.stringMatching(/unknown template variable/));
    expect(refused({ text: 'x'.repeat(2001) })).toContainEqual(expect.stringMatching(/at most 2000 characters/));
    expect(refused({ text: 'line\n'.repeat(41) })).toContainEqual(expect.stringMatching(/at most 40 lines/));
    expect(wrapLines('a '.repeat(100), 20).every((l) => l.length <= 20)).toBe(true);
  });

  it('builds an own attachment per recipient in its own words: PDF for the queue, HTML with one tracking button for a mailbox', () => {
    const spec: DocumentAttachment = { kind: 'document', filename: 'Angebot {{document.number}}', title: 'Angebot für {{organisation.name}}', text: 'Betrag: {{document.amount}}\nZahlbar bis {{document.due}}', button: 'Angebot ansehen' };
    const hostile = { ...SAMPLE_VALUES, orgName: 'Evil) Tj (<script>x</script>' + 'O'.repeat(5000) };
    const facts = drawInvoiceFacts(new Date('2026-03-01T10:00:00Z'));
    const pdf = buildAttachment(spec, hostile, facts, null);
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.filename).toBe(`Angebot ${facts.number.replace(/[^A-Za-z0-9-]/g, '-')}.pdf`);
    const text = pdf.bytes.toString('latin1');
    expect(text).toContain('(Angebot f\xfcr Evil\\) Tj \\(<script>x</script>O');
    for (const active of ['/Info', '/URI', '/JS', '/OpenAction', '/Launch', '/EmbeddedFile']) expect(text).not.toContain(active);
    expect(pdf.bytes.length).toBeLessThanOrEqual(MAX_ATTACHMENT_BYTES);
    expect(inspectAttachment(pdf.filename, pdf.contentType, pdf.bytes)).toEqual({ type: 'application/pdf', dangerous: false, reasons: [] });
    const html = buildAttachment(spec, hostile, facts, 'https://help.example.com/l/Tok_123456789012345678').bytes.toString('utf8');
    expect(html).not.toContain('<script');
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html).toContain('href="https://help.example.com/l/Tok_123456789012345678">Angebot ansehen</a>');
    // A file name that slipped past the check is still made safe in the message's header.
    const raw = buildSimulatedMessage(renderTemplate(findTemplate('invoice-attachment')!, SAMPLE_VALUES), { to: 'support@example.com', attachment: buildAttachment({ ...spec, filename: 'a/../b"\r\nBcc: x' }, SAMPLE_VALUES, facts, null) }).toString('utf8');
    expect(raw).not.toMatch(/^Bcc:/m);
    expect(raw).toMatch(/filename="[A-Za-z0-9 ._()-]+\.pdf"/);
  });
});
