import { describe, expect, it } from 'vitest';
import { analyzeMessage } from './engine.js';
import { buildContext, buildMessage, buildZip } from './testing.js';
import { extendLexicon } from './lists.js';
import type { Analysis } from './types.js';

const codes = (a: Analysis) => a.reasons.map((r) => r.code);

describe('analyzeMessage', () => {
  it('leaves an ordinary customer message clean', () => {
    const a = analyzeMessage(buildMessage(), buildContext());
    expect(a.verdict).toBe('clean');
    expect(a.score).toBeLessThan(30);
  });

  it('takes a Reply-To at another company domain for a helpdesk, unless the message asks for something', () => {
    const helpdesk = {
      from: { name: 'Globex Support', address: 'support@globex.example' },
      replyTo: [{ name: 'Globex Support', address: 'support+4432@globex-help.example' }],
      subject: 'Your request 4432 was updated',
      text: 'Mark from Globex wrote: we have shipped the replacement part today. Reply to this message to add a comment.',
    };
    expect(codes(analyzeMessage(buildMessage(helpdesk), buildContext()))).not.toContain('sender.reply_to_diverges');
    const asks = { ...helpdesk, text: 'Please note our new bank details and pay the overdue invoice by wire transfer.' };
    expect(codes(analyzeMessage(buildMessage(asks), buildContext()))).toContain('sender.reply_to_diverges');
  });

  it('flags a confusable lookalike of the organisation domain with checkable evidence', () => {
    const msg = buildMessage({ from: { name: 'Support', address: 'billing@examp1e-shop.com' } });
    const a = analyzeMessage(msg, buildContext());
    expect(codes(a)).toContain('sender.lookalike_org');
    expect(a.reasons.find((r) => r.code === 'sender.lookalike_org')?.evidence).toContain('example-shop.com');
    expect(a.verdict).not.toBe('clean');
  });

  it('explains a near-spelling of the organisation\'s own domain as a lookalike, not as machine-generated', () => {
    const ctx = { ...buildContext(), orgDomains: ['northwind.com'], brandNames: ['Northwind'] };
    const a = analyzeMessage(buildMessage({ from: { name: 'Billing', address: 'billing@northwlnd.com' } }), ctx);
    expect(codes(a)).toContain('sender.lookalike_org');
    expect(codes(a)).not.toContain('sender.generated_domain');
    expect(a.reasons.find((r) => r.code === 'sender.lookalike_org')?.evidence).toContain('near-spelling of northwind.com');
  });

  it('protects the organisation\'s name when its mailboxes sit on another domain, without flagging its own website', () => {
    const ctx = { ...buildContext(), orgDomains: ['helpdesk-host.example'], brandNames: ['Northwind'] };
    const fake = analyzeMessage(buildMessage({ from: { name: 'Billing', address: 'billing@northwlnd.com' } }), ctx);
    expect(codes(fake)).toContain('sender.lookalike_org');
    expect(codes(fake)).not.toContain('sender.generated_domain');
    expect(fake.reasons.find((r) => r.code === 'sender.lookalike_org')?.evidence).toContain('Northwind (your organisation\'s name)');
    const own = analyzeMessage(buildMessage({ from: { name: 'Billing', address: 'billing@northwind.com' } }), ctx);
    expect(codes(own).filter((c) => c.includes('lookalike'))).toEqual([]);
  });

  it('flags a Cyrillic homograph of a customer domain', () => {
    const msg = buildMessage({ from: { name: 'Jane', address: 'jane@\u0430cme-corp.com' } });
    expect(codes(analyzeMessage(msg, buildContext()))).toContain('sender.lookalike_customer');
  });

  it('flags executive impersonation from free mail', () => {
    const msg = buildMessage({ from: { name: 'Alice Martin', address: 'alice.martin.ceo@gmail.com' }, text: 'Are you at your desk? I need a quick favor, keep this confidential.' });
    const a = analyzeMessage(msg, buildContext());
    expect(codes(a)).toContain('sender.executive_impersonation');
    expect(codes(a)).toContain('content.bypass');
    expect(a.verdict).not.toBe('clean');
  });

  it('explains a link whose text shows one domain and goes to an IP address', () => {
    const html = '<p>Dear customer, verify your account within 24 hours:</p><a href="http://185.2.3.4/login">paypal.com</a>';
    const a = analyzeMessage(buildMessage({ from: { name: 'PayPal', address: 'service@paypa1-secure.net' }, html, text: '' }), buildContext());
    const mismatch = a.reasons.find((r) => r.code === 'link.text_mismatch');
    expect(mismatch?.evidence).toBe('link text shows paypal.com but goes to 185.2.3.4');
    expect(codes(a)).toContain('link.ip_host');
    expect(codes(a)).toContain('sender.brand_impersonation');
    expect(a.verdict).toBe('phishing');
  });

  it('sees user-info, data: and javascript: links and forms', () => {
    const html = '<a href="https://example-shop.com@evil.example/x">x</a><a href="data:text/html;base64,AAAA">d</a><a href="javascript:alert(1)">j</a><form action="https://evil.example/p"><input type="password"></form>';
    const c = codes(analyzeMessage(buildMessage({ html }), buildContext()));
    expect(c).toEqual(expect.arrayContaining(['link.userinfo', 'link.data_url', 'link.script_url', 'html.password_form']));
  });

  it('finds an executable inside a zip without unpacking it, and double extensions', () => {
    const zip = buildZip([{ name: 'readme.txt' }, { name: 'invoice.pdf.exe' }, { name: 'inner.zip' }]);
    const msg = buildMessage({ attachments: [{ filename: 'documents.zip', contentType: 'application/zip', size: zip.length, content: zip }] });
    const c = codes(analyzeMessage(msg, buildContext()));
    expect(c).toEqual(expect.arrayContaining(['attachment.archive_executable', 'attachment.archive_double_extension', 'attachment.archive_nested']));
  });

  it('flags macro documents and HTML attachments with password forms', () => {
    const msg = buildMessage({
      attachments: [
        { filename: 'payroll.xlsm', contentType: 'application/vnd.ms-excel.sheet.macroenabled.12', size: 10 },
        { filename: 'secure-message.html', contentType: 'text/html', size: 60, content: Buffer.from('<form><input type="password" name="p"></form>') },
      ],
    });
    const c = codes(analyzeMessage(msg, buildContext()));
    expect(c).toEqual(expect.arrayContaining(['attachment.macro_document', 'attachment.html', 'attachment.html_password_form']));
  });

  it('notices a Reply-To that leaves for free mail', () => {
    const msg = buildMessage({ replyTo: [{ name: '', address: 'jane.acme@outlook.com' }] });
    expect(codes(analyzeMessage(msg, buildContext()))).toContain('sender.reply_to_freemail');
  });

  it('takes a web form\'s notification for what it is: Reply-To the visitor\'s free mail, given as a field of the form', () => {
    const form = {
      from: { name: 'WordPress', address: 'wordpress@teashop.example' },
      replyTo: [{ name: 'Karl', address: 'karl.b1960@gmail.com' }],
      subject: '[Teashop] Contact form: delivery',
      text: 'From: Karl Becker <karl.b1960@gmail.com>\nSubject: delivery\n\nMessage:\nMy order 5521 has not arrived yet, could you please look into it?\n\n--\nThis e-mail was sent from a contact form on Teashop.',
    };
    const a = analyzeMessage(buildMessage(form), buildContext());
    expect(a.reasons.find((r) => r.code === 'sender.reply_to_freemail')?.weight).toBe(0.1);
    expect(a.verdict).toBe('clean');
    // The address in a sentence asking the reader to write there is no form field.
    const asks = { ...form, from: { name: 'Account team', address: 'no-reply@account-notices.example' }, text: 'Unusual sign-in activity was detected on your account. If this was not you, report it to karl.b1960@gmail.com right away.' };
    expect(analyzeMessage(buildMessage(asks), buildContext()).reasons.find((r) => r.code === 'sender.reply_to_freemail')?.weight).toBe(0.4);
    // Nor is a person's mailbox a form's sender.
    const person = { ...form, from: { name: 'Tom', address: 'tom@teashop.example' } };
    expect(analyzeMessage(buildMessage(person), buildContext()).reasons.find((r) => r.code === 'sender.reply_to_freemail')?.weight).toBe(0.4);
  });

  it('marks first contact only when sender history is given', () => {
    const msg = buildMessage({ from: { name: 'Bob', address: 'bob@newcomer-company.com' } });
    expect(codes(analyzeMessage(msg, buildContext()))).not.toContain('sender.first_contact');
    expect(codes(analyzeMessage(msg, buildContext({ knownSenderDomains: new Set(['acme-corp.com']) })))).toContain('sender.first_contact');
  });

  it('applies the allow list only to authenticated senders', () => {
    const msg = buildMessage({ text: 'Urgent: verify your account and confirm your password immediately.' });
    const allow = buildContext({ allowList: ['acme-corp.com'] });
    expect(analyzeMessage(msg, allow).verdict).not.toBe('clean');
    const authed = buildContext({ allowList: ['acme-corp.com'], auth: { source: 'live', dmarc: 'pass', spf: 'pass', dkim: 'pass', dkimDomains: ['acme-corp.com'] } });
    expect(analyzeMessage(msg, authed).verdict).toBe('clean');
  });

  it('quarantines a block-listed sender', () => {
    expect(analyzeMessage(buildMessage(), buildContext({ blockList: ['jane@acme-corp.com'] })).verdict).toBe('phishing');
  });

  it('reports a DMARC failure from authentication results', () => {
    const a = analyzeMessage(buildMessage(), buildContext({ auth: { source: 'live', dmarc: 'fail', spf: 'fail', dkim: 'none' } }));
    expect(codes(a)).toEqual(expect.arrayContaining(['auth.dmarc_fail', 'auth.spf_fail']));
  });

  it('never quarantines on words alone', () => {
    const text = 'Urgent! Verify your account, confirm your password, your account has been suspended, gift card, wire transfer, keep this confidential, immediately, final notice';
    const a = analyzeMessage(buildMessage({ text }), buildContext());
    expect(a.verdict).toBe('suspicious');
  });

  it('counts a phrase listed twice once (decision 0188)', () => {
    // "dringend" is listed once as German and once as Dutch in the shipped urgency list.
    const msg = buildMessage({ subject: 'Lieferung', text: 'Hallo, es ist dringend: wo bleibt meine Bestellung 5521? Gruss, Jan' });
    const urgency = (a: Analysis) => a.reasons.find((r) => r.code === 'content.urgency');
    expect(urgency(analyzeMessage(msg, buildContext()))?.weight).toBe(0.1);
    const lexicon = extendLexicon({ urgency: ['Dringend'] });
    expect(urgency(analyzeMessage(msg, buildContext({ lexicon })))?.weight).toBe(0.1);
  });

  it('lets administrators extend the word lists', () => {
    const msg = buildMessage({ text: 'Please send the florblax token now' });
    expect(codes(analyzeMessage(msg, buildContext()))).not.toContain('content.credentials');
    const lexicon = extendLexicon({ credentials: ['florblax token'] });
    expect(codes(analyzeMessage(msg, buildContext({ lexicon })))).toContain('content.credentials');
  });

  it('keeps the score within 0..100 with every reason firing', () => {
    const html = Array.from({ length: 50 }, (_, i) => `<a href="http://10.0.0.${i}/">paypal.com</a>`).join('');
    const a = analyzeMessage(buildMessage({ from: { name: 'Alice Martin', address: 'x@examp1e-shop.com' }, html }), buildContext({ auth: { source: 'live', dmarc: 'fail' } }));
    expect(a.score).toBeLessThanOrEqual(100);
    expect(a.score).toBeGreaterThanOrEqual(70);
  });
});
