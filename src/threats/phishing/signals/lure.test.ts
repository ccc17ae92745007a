import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { loadLists } from '../lists.js';
import { buildContext, buildMessage } from '../testing.js';
import { brandInSubject, hiddenCharactersReason, nameLureReason, placeholderReason, recipientInBodyReason, recipientInLinkReason } from './lure.js';
import { freeMailNameUnrelated } from './sender.js';

const lists = loadLists();
const codes = (over: Parameters<typeof buildMessage>[0]) => analyzeMessage(buildMessage(over), buildContext()).reasons.map((r) => r.code);
const headers = (entries: Array<[string, string]>) => new Map(entries.map(([k, v]) => [k, [v]]));

describe('brand named in the subject', () => {
  it('matches brands as they write themselves, not ordinary words', () => {
    expect(brandInSubject('Your PayPal account is limited', lists.brands)?.names[0]).toBe('PayPal');
    expect(brandInSubject('DHL: parcel waiting', lists.brands)?.names[0]).toBe('DHL');
    expect(brandInSubject('ups and downs of the market', lists.brands)).toBeNull();
    expect(brandInSubject('Full steam ahead', lists.brands)).toBeNull();
  });

  it('is a reason only with a lure in the text and a sender that is not the brand', () => {
    const lure = { subject: 'Your Netflix account is on hold', text: 'Please verify your account and update your payment details today.' };
    expect(codes({ ...lure, from: { name: 'Service', address: 'info@streamhelp.example' } })).toContain('content.brand_lure');
    expect(codes({ ...lure, from: { name: 'Netflix', address: 'info@netflix.com' } })).not.toContain('content.brand_lure');
    expect(codes({ subject: 'Netflix raised prices again', text: 'Did anyone else notice the new plans?', from: { name: 'Bob', address: 'bob@acme-corp.com' } })).not.toContain('content.brand_lure');
  });
});

describe('display name that is a pitch', () => {
  it('flags a pitch unrelated to the address and passes a sender named after itself', () => {
    expect(nameLureReason('Claim Your Jackpot', 'jamie.w@shcms.example', lists.lexicon)?.code).toBe('sender.name_is_pitch');
    expect(nameLureReason('Jackpot City', 'news@jackpotcity.example', lists.lexicon)).toBeNull();
    expect(nameLureReason('Jane Customer', 'x@y.example', lists.lexicon)).toBeNull();
  });
});

describe('recipient address used as a name', () => {
  const to = headers([['to', 'jane.doe@example-shop.com']]);
  it('finds the address, or the mailbox after a greeting', () => {
    expect(recipientInBodyReason('Hello jane.doe@example-shop.com, your parcel is waiting', to, null)?.code).toBe('content.recipient_in_body');
    expect(recipientInBodyReason('Hallo jane.doe, dein Gutschein wartet', to, null)?.code).toBe('content.recipient_in_body');
  });
  it('ignores quoted reply headers, mailing lists, and a mailbox name in running text', () => {
    expect(recipientInBodyReason('On Monday Jane <jane.doe@example-shop.com> wrote: > yes', to, null)).toBeNull();
    expect(recipientInBodyReason('jane.doe@example-shop.com writes: I agree', to, null)).toBeNull();
    expect(recipientInBodyReason('Hello jane.doe@example-shop.com', headers([['to', 'jane.doe@example-shop.com'], ['list-id', '<x.lists.example>']]), null)).toBeNull();
    expect(recipientInBodyReason('I asked jane.doe about it', to, null)).toBeNull();
    expect(recipientInBodyReason('Hello support, here is my question', headers([['to', 'support@example-shop.com']]), null)).toBeNull();
  });
  it('counts the address named in passing only next to a lure', () => {
    const notice = 'Your account jane.doe@example-shop.com has been created. You can sign in from the app.';
    expect(recipientInBodyReason(notice, to, null)).toBeNull();
    expect(recipientInBodyReason('This message was sent to jane.doe@example-shop.com because you ordered from us.', to, null)).toBeNull();
    expect(recipientInBodyReason('From: Support Sent: Monday To: jane.doe@example-shop.com Subject: your order', to, null)).toBeNull();
    const lure = recipientInBodyReason('Your mailbox jane.doe@example-shop.com will be closed today, verify now.', to, 'content.urgency');
    expect(lure?.code).toBe('content.recipient_in_body');
    expect(lure?.evidence).toContain('content.urgency');
  });
  it('counts the address where a name belongs without a lure', () => {
    expect(recipientInBodyReason('jane.doe@example-shop.com, we have news for you', to, null)?.code).toBe('content.recipient_in_body');
    expect(recipientInBodyReason('Guten Tag jane.doe@example-shop.com naschen Sie heute', to, null)?.code).toBe('content.recipient_in_body');
  });
  it('takes a first-name mailbox greeted as a name for a name, but not its lower-case address form', () => {
    const martin = headers([['to', 'martin@example-shop.com']]);
    expect(recipientInBodyReason('Hallo Martin, wie besprochen hier die Daten', martin, null)).toBeNull();
    expect(recipientInBodyReason('Hallo martin, dein Gutschein wartet', martin, null)?.code).toBe('content.recipient_in_body');
  });
});

describe('unfilled mail-merge fields', () => {
  it('finds merge fields of several tools', () => {
    for (const s of ['Hi {FIRSTNAME}, your gift', 'Hallo %VORNAME%', 'Dear *|FNAME|*', 'Hello {{first_name}}', 'Hi {lastname}', 'Dear [NAME]']) {
      expect(placeholderReason(s, '')?.code, s).toBe('bulk.unfilled_placeholder');
    }
  });
  it('ignores code and editorial notes', () => {
    for (const s of ['use printf("{name}") here', 'sign it with [name] and send', 'the {x} field']) expect(placeholderReason('', s), s).toBeNull();
  });
});

describe('text hidden from word filters', () => {
  it('notes invisible characters inside words and spelled-out letters', () => {
    expect(hiddenCharactersReason('Ver\u200Bify your pass\u200Bword at your ac\u200Bcount page')?.code).toBe('content.invisible_characters');
    expect(hiddenCharactersReason('Claim the A I R D R O P N O W today')?.code).toBe('content.spaced_letters');
  });
  it('passes soft hyphens, joiners in emoji and short spaced acronyms', () => {
    expect(hiddenCharactersReason('Ver\u00ADsiche\u00ADrung und Kun\u00ADden\u00ADservice')).toBeNull();
    expect(hiddenCharactersReason('family \u{1F468}\u200D\u{1F469}\u200D\u{1F467} photo')).toBeNull();
    expect(hiddenCharactersReason('the U S A and the U K agreed')).toBeNull();
  });
  it('stays linear on long hostile input', () => {
    const start = performance.now();
    hiddenCharactersReason('a '.repeat(200_000) + '\u200B'.repeat(1000));
    hiddenCharactersReason('a\u200B'.repeat(50_000));
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('free-mail display name unrelated to the mailbox', () => {
  it('passes names, initials and nicknames that keep part of the name', () => {
    for (const [n, a] of [['Jane Smith', 'jsmith77@gmail.com'], ['Jane Smith', 'smithjane@gmail.com'], ['John Doe', 'jd1980@yahoo.com'], ['Mr. Bob Ray', 'bobray@gmail.com']] as const) {
      expect(freeMailNameUnrelated(n, a), `${n} ${a}`).toBe(false);
    }
  });
  it('notes a persona on an unrelated mailbox, weakly', () => {
    expect(freeMailNameUnrelated('Mary Thomas', 'kekkanico89@gmail.com')).toBe(true);
    const a = analyzeMessage(buildMessage({ from: { name: 'Mary Thomas', address: 'kekkanico89@gmail.com' } }), buildContext());
    expect(a.reasons.map((r) => r.code)).toContain('sender.free_mail_name_unrelated');
    expect(a.verdict).toBe('clean');
  });
});

describe('links', () => {
  it('weighs free hosting more when the sender claims a brand', () => {
    const html = '<p>Your account is on hold.</p><a href="https://acct-restore-88.a.run.app/login">Restore</a>';
    expect(codes({ from: { name: 'Netflix', address: 'info@netflix.com' }, html })).toContain('link.brand_free_hosting');
    expect(codes({ from: { name: 'Jane', address: 'jane@acme-corp.com' }, html })).toContain('link.free_hosting');
  });
  it('sees an open redirect to another domain, and not a plain search link', () => {
    expect(codes({ text: 'See https://vk.com/away.php?to=https%3A%2F%2Ftinyurl.com%2Fabc' })).toContain('link.open_redirect');
    expect(codes({ text: 'See https://www.google.com/url?q=https://evil.example/x&sa=D' })).toContain('link.open_redirect');
    expect(codes({ text: 'See https://www.google.com/search?q=https://acme-corp.com' })).not.toContain('link.open_redirect');
    expect(codes({ text: 'See https://www.google.com/url?q=https://www.google.com/maps' })).not.toContain('link.open_redirect');
  });
  it('notes a link to a server named after its IP address', () => {
    expect(codes({ text: 'Open https://188.106.205.92.host.secureserver.example/nf' })).toContain('link.ip_named_host');
    expect(codes({ text: 'Open https://www.acme-corp.com/v2.1.3.4/' })).not.toContain('link.ip_named_host');
  });
});

describe('fewer false alarms on list mail', () => {
  it('reads "R.Hughes" in a display name as an initial, not a domain', () => {
    expect(codes({ from: { name: 'Craig R.Hughes', address: 'craig@acme-corp.com' } })).not.toContain('sender.display_domain_mismatch');
    expect(codes({ from: { name: 'paypal.com', address: 'craig@acme-corp.com' } })).toContain('sender.display_domain_mismatch');
  });
  it('treats replies set to the addressed mailbox as a list when the subject repeats its name', () => {
    const over = { subject: 'Re: Tiny DNS Swap', headers: headers([['to', 'dns-swap@lists.example.net']]) };
    expect(codes(over)).toContain('content.recipient_in_subject');
    expect(codes({ ...over, headers: headers([['to', 'dns-swap@lists.example.net'], ['reply-to', 'dns-swap@lists.example.net']]) })).not.toContain('content.recipient_in_subject');
  });
});

describe('more lure signals', () => {
  it('notes urgency in the subject itself', () => {
    expect(codes({ subject: 'URGENT: confirm now', text: 'Please act immediately.' })).toContain('content.urgent_subject');
    expect(codes({ subject: 'Order 1234', text: 'Please act immediately.' })).not.toContain('content.urgent_subject');
  });
  it('weighs a brand in the subject more from free mail', () => {
    const a = analyzeMessage(buildMessage({ subject: 'Norton renewal notice', text: 'Your payment was charged. Act immediately.', from: { name: 'Billing', address: 'x1@gmail.com' } }), buildContext());
    expect(a.reasons.find((r) => r.code === 'content.brand_lure')?.weight).toBe(0.3);
  });
  it('sees a capital I written as a small l', () => {
    expect(codes({ from: { name: 'VlAGRA and ClALlS', address: 'shop@pharm.example' } })).toContain('content.lookalike_letters');
    expect(codes({ subject: 'XMLlib and LLC and Al' })).not.toContain('content.lookalike_letters');
  });
  it('finds listed platforms written without https://', () => {
    expect(codes({ text: 'Verify here: transfer705.pages.dev/verify now' })).toContain('link.free_hosting');
    expect(codes({ text: 'See www.acme-corp.com/orders for details' })).not.toContain('link.free_hosting');
  });
  it('notes replies sent to a throw-away address', () => {
    expect(codes({ replyTo: [{ name: '', address: 'qxzvbrt@arljitvqcvd.example.quest' }] })).toContain('sender.reply_to_throwaway');
    expect(codes({ replyTo: [{ name: '', address: 'orders@globex.example' }] })).not.toContain('sender.reply_to_throwaway');
  });
});

describe('brand mail whose links all lead elsewhere', () => {
  it('notes a brand domain sender with no link to the brand', () => {
    const html = '<p>Your account is on hold.</p><a href="https://restore-account.example.net/x">Restore</a>';
    expect(codes({ from: { name: 'PayPal', address: 'service@paypal.com' }, html })).toContain('link.brand_sender_offsite');
    const mixed = html + '<a href="https://www.paypal.com/privacy">Privacy</a>';
    expect(codes({ from: { name: 'PayPal', address: 'service@paypal.com' }, html: mixed })).not.toContain('link.brand_sender_offsite');
    expect(codes({ from: { name: 'Jane', address: 'jane@acme-corp.com' }, html })).not.toContain('link.brand_sender_offsite');
  });
  it('reads words hidden by invisible characters or escaped twice', () => {
    expect(codes({ text: 'Please ver\u200Bify your acc\u00ADount today' })).toContain('content.credentials');
  });
});

describe('findPhrases', () => {
  it('matches whole words and adjacent phrases only, across calls on different texts', async () => {
    const { findPhrases, normalizeWords } = await import('../text.js');
    const phrases = ['password', 'verify your account', 'gift card'];
    expect(findPhrases(normalizeWords('Please VERIFY your account, and your password.'), phrases)).toEqual(['password', 'verify your account']);
    expect(findPhrases(normalizeWords('passwords; your account to verify; a card gift'), phrases)).toEqual([]);
    expect(findPhrases(normalizeWords('Buy a gift card'), phrases)).toEqual(['gift card']);
  });
});

describe('recipient address carried in a link', () => {
  const to = headers([['to', 'Jane Doe <jane.doe@example-shop.com>']]);
  it('finds the address in clear or percent-encoded in a web link', () => {
    expect(recipientInLinkReason([{ href: 'http://trk.example.net/?a=72&c=14&s1=jane.doe@example-shop.com', text: 'See my profile' }], to)?.code).toBe('link.recipient_in_url');
    expect(recipientInLinkReason([{ href: 'https://trk.example.net/c?email=jane.doe%40example-shop.com', text: '' }], to)?.code).toBe('link.recipient_in_url');
  });

  it('ignores opt-out and mailto links, the host name, and other addresses', () => {
    expect(recipientInLinkReason([{ href: 'https://news.example.net/unsubscribe?email=jane.doe@example-shop.com', text: 'Unsubscribe' }], to)).toBeNull();
    expect(recipientInLinkReason([{ href: 'https://news.example.net/p?e=jane.doe@example-shop.com', text: 'Abmelden' }], to)).toBeNull();
    expect(recipientInLinkReason([{ href: 'mailto:jane.doe@example-shop.com', text: '' }], to)).toBeNull();
    expect(recipientInLinkReason([{ href: 'https://shop.example.net/?ref=bob@example-shop.com', text: '' }], to)).toBeNull();
    expect(recipientInLinkReason([{ href: 'https://shop.example.net/orders/1', text: '' }], to)).toBeNull();
  });

  it('ignores a link back to the sender\'s own site, which may name the address it confirms', () => {
    const confirm = [{ href: 'https://app.acme.example/confirm?email=jane.doe%40example-shop.com&t=1f3a', text: 'Confirm your address' }];
    expect(recipientInLinkReason(confirm, to, 'acme.example')).toBeNull();
    expect(recipientInLinkReason(confirm, to, 'other.example')?.code).toBe('link.recipient_in_url');
  });
});

describe('recipient address next to a lure, in the engine', () => {
  const toJane = new Map([['to', ['jane.doe@acme-corp.com']]]);
  const notice = { headers: toJane, subject: 'Your new account', text: 'Welcome! Your account jane.doe@acme-corp.com is ready. You can change your settings at any time in the app.' };
  it('is no reason in an honest notification', () => {
    expect(codes({ ...notice, from: { name: 'Acme Accounts', address: 'accounts@acme-corp.com' } })).not.toContain('content.recipient_in_body');
  });
  it('is a reason when the sender pretends or the text asks for something', () => {
    expect(codes({ ...notice, from: { name: 'PayPal', address: 'service@acct-notice.example' } })).toContain('content.recipient_in_body');
    expect(codes({ ...notice, text: `${notice.text} Verify your password within 24 hours or it will be suspended.` })).toContain('content.recipient_in_body');
  });
});

describe('recipient address inside a dated record', () => {
  const to = headers([['to', 'jane.doe@example-shop.com']]);
  it('is not a greeting when a clock time stands just before it (attribution, delivery log)', () => {
    expect(recipientInBodyReason('Thanks! 3 May 2024, 14:20 пользователь "jane.doe@example-shop.com" написал: hi', to, 'content.urgency')).toBeNull();
    expect(recipientInBodyReason('Date: Thu, 3 May 2024 22:22:29 +0900 from jane.doe@example-shop.com --- The following addresses failed', to, 'content.urgency')).toBeNull();
  });
  it('still finds the address used as a name, with or without a date elsewhere', () => {
    expect(recipientInBodyReason('Dear jane.doe@example-shop.com, your mailbox expires on 3 May at 14:20.', to, null)?.code).toBe('content.recipient_in_body');
  });
});
