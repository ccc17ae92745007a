/**
 * Every reason code the phishing engine can emit, in one closed list. Agents see each as a short
 * translated label (web/src/i18n/en/agent.ts, `agent.threat.<code>`) beside the evidence; a test
 * (web/test/threat-reasons.test.ts) reads the engine's sources and fails when a code is emitted that
 * is not listed here or has no text.
 */

const LOOKALIKE_KINDS = ['org', 'customer', 'partner', 'brand'] as const;
/** classifyFileName's kinds (signals/attachments.ts), used bare and inside archives. */
export const ATTACHMENT_KINDS = ['executable', 'script', 'shortcut', 'disk_image', 'macro_document', 'html', 'double_extension'] as const;

export const REASON_CODES = [
  'auth.dmarc_fail', 'auth.spf_fail', 'auth.spf_softfail', 'auth.dkim_fail', 'auth.none', 'auth.unaligned', 'auth.arc_fail',
  'sender.missing', 'sender.invalid_domain', 'sender.generated_domain', 'sender.generated_mailbox', 'sender.free_hosting',
  ...LOOKALIKE_KINDS.map((k) => `sender.lookalike_${k}` as const),
  'sender.punycode', 'sender.mixed_script',
  'sender.executive_impersonation', 'sender.staff_impersonation', 'sender.org_brand_impersonation', 'sender.brand_impersonation',
  'sender.service_impersonation', 'sender.free_mail_name_unrelated', 'sender.role_name_unrelated', 'sender.display_domain_mismatch',
  'sender.display_address_mismatch', 'sender.reply_to_freemail', 'sender.reply_to_diverges', 'sender.reply_to_throwaway',
  'sender.risky_tld', 'sender.name_is_pitch', 'sender.first_contact', 'sender.blocked', 'sender.allowed', 'sender.allowed_unverified',
  ...LOOKALIKE_KINDS.map((k) => `reply_to.lookalike_${k}` as const),
  ...LOOKALIKE_KINDS.map((k) => `link.lookalike_${k}` as const),
  'link.punycode', 'link.mixed_script', 'link.data_url', 'link.script_url',
  'link.text_mismatch', 'link.ip_host', 'link.ip_named_host', 'link.shortener', 'link.userinfo', 'link.open_redirect', 'link.free_hosting',
  'link.risky_tld', 'link.action_offsite', 'link.brand_sender_offsite', 'link.brand_free_hosting', 'link.recipient_in_url', 'link.single_foreign_host',
  'html.form', 'html.password_form', 'html.image_only',
  ...ATTACHMENT_KINDS.map((k) => `attachment.${k}` as const),
  ...ATTACHMENT_KINDS.map((k) => `attachment.archive_${k}` as const),
  'attachment.html_form', 'attachment.html_password_form', 'attachment.html_redirect',
  'attachment.archive_bomb', 'attachment.archive_encrypted', 'attachment.archive_nested', 'attachment.archive_unlisted', 'attachment.archive_unreadable',
  'content.credentials', 'content.urgency', 'content.urgent_subject', 'content.payment', 'content.gift_cards', 'content.bypass',
  'content.generic_greeting', 'content.scam_offer', 'content.brand_lure', 'content.callback_scam', 'content.recipient_in_subject',
  'content.recipient_in_body', 'content.invisible_characters', 'content.lookalike_letters', 'content.mixed_script_word',
  'content.spaced_letters', 'content.styled_letters',
  'bulk.high_priority', 'bulk.unfilled_placeholder', 'bulk.unsubscribe_without_header', 'bulk.little_text',
  'message.truncated',
  'content.learned_phishing', 'learned.not_phishing',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];
