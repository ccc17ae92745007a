import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { buildContext, buildMessage } from '../testing.js';
import { loadLists } from '../lists.js';
import { isRoleMailbox, looksGeneratedMailbox, personNamedLikeBrand, recipientInSubject, roleNameUnrelated } from './sender.js';

const codes = (from: { name: string; address: string }) => analyzeMessage(buildMessage({ from }), buildContext()).reasons.map((r) => r.code);

describe('looksGeneratedMailbox', () => {
  it('sees consonant runs and letter-digit interleaving', () => {
    for (const l of ['xqwrtzlp', 'ripmhnxk', 'k7v2mq9zt', 'newsletterwgbtc']) expect(looksGeneratedMailbox(l), l).toBe(true);
  });
  it('passes names, words, initials and names from other languages', () => {
    for (const l of ['jane.customer', 'noreply', 'ville.skytta', 'conor_wynne', 'jsmith', 'support-team', 'przybylski', 'info2024', 'a.b', 'sdw']) {
      expect(looksGeneratedMailbox(l), l).toBe(false);
    }
  });
});

describe('new sender signals', () => {
  it('notes a machine-made mailbox name, weakly', () => {
    const c = codes({ name: 'Deals', address: 'qzkvwtrx@shop.example.net' });
    expect(c).toContain('sender.generated_mailbox');
    expect(analyzeMessage(buildMessage({ from: { name: 'Deals', address: 'qzkvwtrx@shop.example.net' } }), buildContext()).verdict).toBe('clean');
  });
  it('notes a sender on a free hosting platform', () => {
    expect(codes({ name: 'Rewards', address: 'noreply@promo-12ab.firebaseapp.com' })).toContain('sender.free_hosting');
    expect(codes({ name: 'Jane', address: 'jane@acme-corp.com' })).not.toContain('sender.free_hosting');
  });
});

describe('roleNameUnrelated', () => {
  const roles = ['billing', 'alert', 'team', 'security', 'support', 'kundenservice'];
  it('names the role word when the name shares nothing with the address', () => {
    expect(roleNameUnrelated('Billing Alert.', 'xkq@pier.mailer-example.net', roles)).toBe('billing');
    expect(roleNameUnrelated('Kundenservice', 'info@shop-versand.example', roles)).toBe('kundenservice');
  });
  it('passes names tied to the mailbox or the domain, and personal names', () => {
    expect(roleNameUnrelated('Acme Billing', 'billing@acme.com', roles)).toBeNull();
    expect(roleNameUnrelated('Acme Support', 'help@acme-mail.com', roles)).toBeNull();
    expect(roleNameUnrelated('Security Team', 'security@vendor.example', roles)).toBeNull();
    expect(roleNameUnrelated('Jane Customer', 'jane@acme-corp.com', roles)).toBeNull();
  });
  it('does not flag a message by itself', () => {
    const a = analyzeMessage(buildMessage({ from: { name: 'Payment Team', address: 'jane@acme-corp.com' } }), buildContext());
    expect(a.reasons.map((r) => r.code)).toContain('sender.role_name_unrelated');
    expect(a.verdict).toBe('clean');
  });
});

describe('personNamedLikeBrand', () => {
  const lists = loadLists();
  it('passes a person whose first name is a brand, writing from their own mailbox', () => {
    expect(personNamedLikeBrand('Sony Mathew', 'sony', ['PlayStation', 'Sony'], lists)).toBe(true);
    expect(codes({ name: 'Sony Mathew', address: 'sony@helpdesk-vendor.example' })).not.toContain('sender.brand_impersonation');
  });
  it('still sees the brand alone, with a department, or on a mailbox that is not the person', () => {
    expect(personNamedLikeBrand('Sony', 'sony', ['Sony'], lists)).toBe(false);
    expect(personNamedLikeBrand('Sony Support', 'sony', ['Sony'], lists)).toBe(false);
    expect(personNamedLikeBrand('Sony Mathew', 'noreply', ['Sony'], lists)).toBe(false);
    expect(codes({ name: 'Sony Support', address: 'sony@helpdesk-vendor.example' })).toContain('sender.brand_impersonation');
  });
});

describe('delivery reports', () => {
  const report = (from: { name: string; address: string }) =>
    analyzeMessage(
      buildMessage({ from, subject: 'Undelivered Mail Returned to Sender', headers: new Map([['to', ['support@example-shop.com']], ['content-type', ['multipart/report; report-type=delivery-status; boundary="x"']]]) }),
      buildContext(),
    );
  it('notes a bounce without a sender address, but does not warn about it alone', () => {
    const a = report({ name: 'MAILER-DAEMON', address: '' });
    expect(a.reasons.map((r) => r.code)).toContain('sender.missing');
    expect(a.verdict).toBe('clean');
  });
  it('weighs "no authentication passed" lightly on a bounce, fully on other mail', () => {
    const auth = { source: 'header' as const, spf: 'none' as const, dkim: 'none' as const };
    const weightOf = (headers: Map<string, string[]>) =>
      analyzeMessage(buildMessage({ from: { name: 'Mail Delivery System', address: 'mailer-daemon@mx.acme-corp.com' }, headers }), buildContext({ auth })).reasons.find((r) => r.code === 'auth.none')?.weight;
    expect(weightOf(new Map([['content-type', ['multipart/report; report-type=delivery-status; boundary="x"']]]))).toBe(0.1);
    expect(weightOf(new Map([['content-type', ['text/plain']]]))).toBe(0.25);
  });
  it('knows bounces in the older formats: Exim\'s X-Failed-Recipients, a plain-text bounce from the mailer daemon', () => {
    const exim = analyzeMessage(
      buildMessage({
        from: { name: 'Mail Delivery System', address: 'Mailer-Daemon@mx1' },
        subject: 'Mail delivery failed: returning message to sender',
        text: 'A message that you sent could not be delivered to one or more of its recipients.\n\n  bob@gone.example.org\n    550 5.1.1 User unknown',
        headers: new Map([['to', ['support@example-shop.com']], ['from', ['Mail Delivery System <Mailer-Daemon@mx1>']], ['x-failed-recipients', ['bob@gone.example.org']]]),
      }),
      buildContext(),
    );
    expect(exim.reasons.find((r) => r.code === 'sender.invalid_domain')?.weight).toBe(0.2);
    expect(exim.verdict).toBe('clean');
    const qmail = analyzeMessage(
      buildMessage({ from: null, subject: 'failure notice', text: "I'm afraid I wasn't able to deliver your message to the following addresses.", headers: new Map([['to', ['support@example-shop.com']], ['from', ['MAILER-DAEMON']]]) }),
      buildContext(),
    );
    expect(qmail.reasons.find((r) => r.code === 'sender.missing')?.weight).toBe(0.2);
    expect(qmail.verdict).toBe('clean');
  });
  it('still warns about an ordinary message without a sender address', () => {
    expect(analyzeMessage(buildMessage({ from: { name: 'MAILER-DAEMON', address: '' } }), buildContext()).verdict).toBe('suspicious');
  });
});

describe('link text naming a documentation domain', () => {
  it('is no claim a link can contradict, unlike a real domain', () => {
    const withLink = (shown: string) =>
      analyzeMessage(buildMessage({ html: `<p>Regards, Klaus <a href="https://www.fachdaten-server.de/">${shown}</a></p>`, text: 'Regards, Klaus' }), buildContext()).reasons.map((r) => r.code);
    expect(withLink('www.example.com')).not.toContain('link.text_mismatch');
    expect(withLink('www.paypal.com')).toContain('link.text_mismatch');
  });
});

describe('brand and service names in the display name (decision 0188)', () => {
  const analyse = (from: { name: string; address: string }, over: Parameters<typeof buildMessage>[0] = {}) => analyzeMessage(buildMessage({ from, ...over }), buildContext());
  const ask = { subject: 'Your mailbox is full', text: 'Your mailbox has reached its limit. Verify your account within 24 hours or it will be disabled.' };

  it('is no claim when one of the brands the name names sends from its own domain', () => {
    // "Security Team" is a service name (listed before the brand), "Slack" the brand whose own domain this is.
    const own = analyse({ name: 'Slack Security Team', address: 'feedback@slack.com' }, ask).reasons.map((r) => r.code);
    expect(own).not.toContain('sender.service_impersonation');
    expect(own).not.toContain('sender.brand_impersonation');
    // The same name elsewhere claims the brand, and says so.
    const forged = analyse({ name: 'Slack Security Team', address: 'alerts@mailbox-care.example.net' }, ask).reasons.map((r) => r.code);
    expect(forged).toContain('sender.brand_impersonation');
    expect(forged).not.toContain('sender.service_impersonation');
  });

  it('takes no brand\'s free-mail service for the brand speaking', () => {
    // outlook.com and gmail.com are Microsoft's and Google's domains, but their users' addresses.
    for (const from of [{ name: 'Microsoft Account Team', address: 'ms.account.team.2024@outlook.com' }, { name: 'Google Security Team', address: 'security.alerts.g@gmail.com' }]) {
      const a = analyse(from, ask);
      expect(a.reasons.find((r) => r.code === 'sender.brand_impersonation')?.weight, from.name).toBe(0.55);
    }
    expect(analyse({ name: 'Jane Smith', address: 'jane.smith@gmail.com' }, ask).reasons.map((r) => r.code)).not.toContain('sender.brand_impersonation');
  });

  it('reads a service name beside the sender\'s own name as that organisation\'s department', () => {
    expect(analyse({ name: 'Brightwater IT Support', address: 'it@brightwater.co.uk' }, ask).reasons.map((r) => r.code)).not.toContain('sender.service_impersonation');
    expect(analyse({ name: 'IT Support', address: 'it@brightwater.co.uk' }, ask).reasons.map((r) => r.code)).toContain('sender.service_impersonation');
  });

  it('counts a bare service name only when the message asks for something', () => {
    const quiet = analyse({ name: 'IT Support', address: 'itsupport@brightwater.co.uk' }, { subject: 'Copy of an invoice', text: 'Hello, could you send us a copy of last month\'s order confirmation? Thanks, Tom' });
    expect(quiet.reasons.map((r) => r.code)).not.toContain('sender.service_impersonation');
    expect(quiet.verdict).toBe('clean');
    const postmaster = analyse({ name: 'Postmaster', address: 'postmaster@mail.brightwater.co.uk' }, { subject: 'Delivery delayed', text: 'Your message to tom@brightwater.co.uk has not been delivered yet. The server will keep trying.' });
    expect(postmaster.verdict).toBe('clean');
    const lure = analyse({ name: 'Mail Admin', address: 'admin@brightwater.co.uk' }, ask);
    expect(lure.reasons.map((r) => r.code)).toContain('sender.service_impersonation');
    expect(lure.verdict).not.toBe('clean');
  });
});

describe('the recipient\'s mailbox name in the subject (decision 0188)', () => {
  const to = (addr: string) => new Map([['to', [addr]]]);
  it('is an ordinary word when the mailbox is a function: support, billing, customer service', () => {
    expect(recipientInSubject('Need support with my order 5521', to('support@example-shop.com'))).toBeNull();
    expect(recipientInSubject('Billing question', to('billing@example-shop.com'))).toBeNull();
    expect(recipientInSubject('Kundenservice: Frage zur Lieferung', to('kundenservice@example-shop.com'), loadLists().roleWords)).toBeNull();
    expect(recipientInSubject('customer service please call me', to('customer.service@example-shop.com'), loadLists().roleWords)).toBeNull();
    const a = analyzeMessage(buildMessage({ subject: 'Need support with my order 5521' }), buildContext());
    expect(a.reasons.map((r) => r.code)).not.toContain('content.recipient_in_subject');
  });
  it('still sees a person\'s mailbox name, and any full address', () => {
    expect(recipientInSubject('jane.doe, your parcel is waiting', to('jane.doe@example-shop.com'))?.code).toBe('content.recipient_in_subject');
    expect(recipientInSubject('Mailbox support@example-shop.com will be closed', to('support@example-shop.com'))?.code).toBe('content.recipient_in_subject');
    expect(isRoleMailbox('support')).toBe(true);
    expect(isRoleMailbox('jane.doe')).toBe(false);
    expect(isRoleMailbox('support.jane')).toBe(false);
  });
});
