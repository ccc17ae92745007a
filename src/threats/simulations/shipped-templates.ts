/**
 * The simulation templates shipped with the product, written for attacks on
 * customer service. Each names the training topic that teaches what it tests
 * (the training modules' topic ids). Checked by shipped-templates.test.ts.
 * The "invoice-attachment" template carries a real, harmless file instead of a
 * link (attachment.ts, decision 0200): a PDF through the support queue, whose
 * opening the console's download route records as "attachment_opened"; an
 * HTML page to a person's own mailbox, whose "View invoice" link carries a
 * token of its own. Neither file holds anything active.
 */
import type { SimulationTemplate } from './templates.js';

export const SHIPPED_TEMPLATES: readonly SimulationTemplate[] = [
  {
    id: 'account-email-change',
    version: 1,
    name: 'Change my account email before a reset',
    scenario: 'A "customer" asks to move the account to a new email address, then to send the password reset there.',
    difficulty: 2,
    trainingTopic: 'verifying-customer-identity',
    from: { name: '{{customerName}}', localPart: 'customer.care' },
    subject: 'Urgent: locked out, please update my email',
    body: `Hi,

I am locked out of my account and I lost access to my old email. Please change the email on my account to this one and send the password reset here straight away. I have a payment due today and cannot wait for the usual checks.

My details are in the form I filled in: {{link}}

Thanks,
{{customerName}}`,
    redFlags: [
      { in: 'body', quote: 'change the email on my account to this one', explanation: 'A change of contact details followed by a reset is the classic account takeover: verify the person through the details already on file first.' },
      { in: 'body', quote: 'cannot wait for the usual checks', explanation: 'Pressure to skip verification is a reason to do it, not to skip it.' },
      { in: 'from', quote: 'customer.care@', explanation: 'The sender is not the address on the account; a request to change it must come through a verified channel.' },
    ],
  },
  {
    id: 'vendor-bank-details',
    version: 1,
    name: 'Vendor announces new bank details',
    scenario: 'A supplier writes that its bank account changed and future payments must go to the new one.',
    difficulty: 2,
    trainingTopic: 'social-engineering-phone-chat',
    from: { name: 'Accounts Receivable', localPart: 'billing' },
    subject: 'Updated bank details for outstanding invoices',
    body: `Dear {{orgName}} team,

Please note that our bank account has changed following an audit. All outstanding and future invoices must be paid to the new account with immediate effect. The old account will be closed at the end of this week.

The new details and the signed letter are here: {{link}}

Please confirm once updated. Kind regards,
Accounts Receivable`,
    redFlags: [
      { in: 'body', quote: 'our bank account has changed', explanation: 'Bank detail changes are confirmed by phone to a number you already have, never by email alone.' },
      { in: 'body', quote: 'with immediate effect', explanation: 'A deadline keeps you from checking.' },
      { in: 'from', quote: 'Accounts Receivable', explanation: 'No named person and a generic sender: a real supplier writes from the contact you know.' },
    ],
  },
  {
    id: 'executive-gift-cards',
    version: 1,
    name: 'Executive asks for gift cards',
    scenario: 'Someone posing as a director needs gift cards bought quietly and the codes sent back.',
    difficulty: 1,
    trainingTopic: 'social-engineering-phone-chat',
    from: { name: 'Managing Director, {{orgName}}', localPart: 'md.office' },
    subject: 'Quick favour - are you at your desk?',
    body: `Hi {{agentName}},

I need a quick favour and I am stuck in meetings all day. Please buy six gift cards for a client appreciation gesture and send me the codes. Keep this between us for now, it is a surprise.

Use the list here so you get the right ones: {{link}}

Thanks, I owe you one.`,
    redFlags: [
      { in: 'body', quote: 'buy six gift cards', explanation: 'Gift cards are untraceable cash: no real manager asks for them by email.' },
      { in: 'body', quote: 'Keep this between us', explanation: 'Secrecy cuts you off from the colleague who would spot the fraud.' },
      { in: 'from', quote: 'md.office@', explanation: 'The address is not the director\'s usual one, and it comes from outside.' },
    ],
  },
  {
    id: 'shared-document',
    version: 1,
    name: 'Shared document needs a sign-in',
    scenario: 'A "customer" shares a document about their complaint; opening it asks for a password.',
    difficulty: 2,
    trainingTopic: 'phishing-in-the-queue',
    from: { name: '{{customerName}} (via Docs)', localPart: 'share-noreply' },
    subject: '{{customerName}} shared "Complaint evidence.pdf" with you',
    body: `{{customerName}} has shared a document with you.

"Complaint evidence.pdf" - please review before replying to the ticket.

Open document: {{link}}

You will be asked to sign in with your work account to view it.`,
    redFlags: [
      { in: 'body', quote: 'sign in with your work account', explanation: 'A customer\'s file never needs your work password. A sign-in page reached from a link in mail is how passwords are stolen.' },
      { in: 'from', quote: '(via Docs)', explanation: 'A display name can say anything; look at the address behind it.' },
      { in: 'body', quote: 'Open document: {{link}}', explanation: 'Hover before you click: the link does not go to a document service you use.' },
    ],
  },
  {
    id: 'delivery-payment-notice',
    version: 1,
    name: 'Parcel held: customs fee due',
    scenario: 'A delivery notice says a parcel for the company is held until a small fee is paid.',
    difficulty: 1,
    trainingTopic: 'phishing-in-the-queue',
    from: { name: 'Parcel Delivery Service', localPart: 'tracking' },
    subject: 'Your parcel is on hold - action required',
    body: `Hello,

A parcel addressed to {{orgName}} could not be delivered because a customs fee of 2.99 EUR is unpaid. The parcel will be returned to the sender in 24 hours.

Pay the fee and choose a new delivery date: {{link}}

Parcel Delivery Service`,
    redFlags: [
      { in: 'body', quote: 'customs fee of 2.99 EUR is unpaid', explanation: 'A small fee makes you hand over card details without thinking.' },
      { in: 'body', quote: 'returned to the sender in 24 hours', explanation: 'A countdown is there to stop you checking.' },
      { in: 'from', quote: 'Parcel Delivery Service', explanation: 'No carrier name you could check, and it did not come from a carrier\'s domain.' },
    ],
  },
  {
    id: 'callback-scam',
    version: 1,
    name: 'Call us back about a charge',
    scenario: 'A notice of a large charge asks the reader to phone a number to cancel it (no link to click: the attack is the call).',
    difficulty: 3,
    trainingTopic: 'social-engineering-phone-chat',
    from: { name: 'Subscription Billing', localPart: 'billing-notice' },
    subject: 'Renewal of 489.00 EUR confirmed',
    body: `Dear {{agentName}},

Your annual security suite subscription has been renewed for 489.00 EUR. If you did not authorise this payment, call our cancellation desk within 12 hours at +44 20 0000 0000 and an advisor will help you with the refund.

Invoice and cancellation details: {{link}}

Billing Department`,
    redFlags: [
      { in: 'body', quote: 'call our cancellation desk within 12 hours', explanation: 'Callback scams move you to the phone, where the "advisor" asks for remote access or card details.' },
      { in: 'body', quote: 'security suite subscription', explanation: 'A subscription you never bought: check with your IT team, not with the number in the mail.' },
      { in: 'subject', quote: 'Renewal of 489.00 EUR confirmed', explanation: 'A surprising charge in the subject is bait for a quick reaction.' },
    ],
  },
  {
    id: 'qr-code-mfa',
    version: 1,
    name: 'Scan the QR code to keep MFA',
    scenario: 'A notice asks to re-enrol multi-factor sign-in by scanning a QR code with a phone (where mail filters cannot see the link).',
    difficulty: 3,
    trainingTopic: 'phishing-in-the-queue',
    from: { name: '{{orgName}} IT Security', localPart: 'it-security' },
    subject: 'Action needed: re-enrol your sign-in app today',
    body: `Hi {{agentName}},

Our multi-factor sign-in is moving to a new provider. Scan the QR code with your phone to keep access; accounts not re-enrolled today will be locked.

If the code does not show, open: {{link}}

IT Security`,
    redFlags: [
      { in: 'body', quote: 'Scan the QR code with your phone', explanation: 'A QR code hides the link from you and takes you to a phone, outside the company\'s protection.' },
      { in: 'body', quote: 'accounts not re-enrolled today will be locked', explanation: 'Threat of lock-out plus a deadline: classic pressure.' },
      { in: 'from', quote: 'it-security@', explanation: 'Internal IT does not write from an outside domain, and it does not arrive in the customer queue.' },
    ],
  },
  {
    id: 'reply-chain-hijack',
    version: 1,
    name: 'Reply in an ongoing conversation',
    scenario: 'A message that looks like the next reply in an existing support conversation, with a new "updated" link.',
    difficulty: 3,
    trainingTopic: 'phishing-in-the-queue',
    from: { name: '{{customerName}}', localPart: 'support-reply' },
    subject: 'Re: Re: your request about my order',
    body: `Hi {{agentName}},

As discussed, here is the updated order confirmation with the corrected address. Please open it and check the details before you process the refund.

{{link}}

Thanks again for your help,
{{customerName}}

> On Monday, {{agentName}} wrote:
> Thanks for getting in touch. Could you send the order confirmation?`,
    redFlags: [
      { in: 'subject', quote: 'Re: Re:', explanation: 'A "Re:" subject proves nothing: check that this really continues a conversation you had, from the same address.' },
      { in: 'body', quote: 'before you process the refund', explanation: 'It pushes a money action on the strength of a document you have to open.' },
      { in: 'from', quote: 'support-reply@', explanation: 'The address is not the customer\'s address from the earlier messages.' },
    ],
  },
  {
    id: 'invoice-attachment',
    version: 2,
    name: 'Overdue invoice to open',
    scenario: 'An overdue "invoice" from an unknown supplier, attached to open (a harmless file that reports when opened).',
    difficulty: 1,
    trainingTopic: 'phishing-in-the-queue',
    from: { name: 'Finance Dept', localPart: 'invoices' },
    subject: 'OVERDUE: invoice attached - final reminder',
    body: `Dear customer,

The attached invoice is now 30 days overdue. Please open the attachment today and pay the amount due to avoid late fees and suspension of your account.

If you cannot see the payment details, enable editing in the document.

Finance Dept`,
    redFlags: [
      { in: 'body', quote: 'open the attachment today', explanation: 'An unexpected attachment from a sender you do not know is how malware arrives: check with the supplier you already deal with before opening anything.' },
      { in: 'body', quote: 'enable editing', explanation: 'Documents that ask you to enable editing or macros run code on your computer.' },
      { in: 'body', quote: 'Dear customer', explanation: 'No name, no account: a real supplier knows who you are.' },
      { in: 'subject', quote: 'final reminder', explanation: 'A "final reminder" for an invoice you never saw is a pressure tactic.' },
    ],
    attachment: { kind: 'invoice', issuer: 'Finance Dept, {{senderDomain}}', item: 'Support services, annual plan' },
  },
  {
    id: 'it-password-expiry',
    version: 1,
    name: 'Your password expires today',
    scenario: 'A fake internal IT notice that the helpdesk password expires and must be kept through a link.',
    difficulty: 1,
    trainingTopic: 'phishing-in-the-queue',
    from: { name: 'Helpdesk Admin', localPart: 'no-reply.admin' },
    subject: 'Password expiry notice for {{agentName}}',
    body: `Dear {{agentName}},

The password for your {{orgName}} helpdesk account expires today. To keep your current password, confirm it within 2 hours using the secure portal below. Otherwise your account will be suspended.

Keep my password: {{link}}

Helpdesk Admin`,
    redFlags: [
      { in: 'body', quote: 'To keep your current password, confirm it', explanation: 'No system asks you to type your current password to "keep" it; that is the password being stolen.' },
      { in: 'body', quote: 'within 2 hours', explanation: 'A short deadline stops you asking a colleague.' },
      { in: 'from', quote: 'no-reply.admin@', explanation: 'A generic "admin" sender from outside the company: internal notices come from known addresses and never through the customer queue.' },
    ],
  },
  {
    id: 'phone-number-change',
    version: 1,
    name: 'Change my phone number for the codes',
    scenario: 'A "customer" asks to replace the phone number on file so the verification codes go to a new phone.',
    difficulty: 2,
    trainingTopic: 'verifying-customer-identity',
    from: { name: '{{customerName}}', localPart: 'new.phone' },
    subject: 'New phone number - please update before my reset',
    body: `Hello,

My phone was stolen yesterday. Please update the number on my account to +44 7700 900000 and send the verification code there, I need to reset my password tonight.

I uploaded a copy of my ID here: {{link}}

{{customerName}}`,
    redFlags: [
      { in: 'body', quote: 'update the number on my account', explanation: 'Changing where codes go hands the account to whoever asks: verify with the details on file before any change.' },
      { in: 'body', quote: 'I uploaded a copy of my ID here', explanation: 'A link to "ID" is a reason to be careful, and ID should never be collected through an unknown link.' },
    ],
  },
];

export function findTemplate(id: string): SimulationTemplate | undefined {
  return SHIPPED_TEMPLATES.find((t) => t.id === id);
}
