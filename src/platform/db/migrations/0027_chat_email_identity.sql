-- Identification inside the live chat by an email code (docs/chat.md, decision 0186). The code is a
-- portal challenge of its own purpose: the same HMAC-stored, attempt-counted, single-use code as the
-- portal's sign-in. It belongs to one conversation, and carries the address the visitor typed, encrypted
-- under the anonymous visitor's key (the customer row of the challenge), with a keyed hash for the
-- per-address cap. The conversation shows the change as an `identified` event.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE portal_challenges DROP CONSTRAINT portal_challenges_purpose_check;
ALTER TABLE portal_challenges ADD CONSTRAINT portal_challenges_purpose_check CHECK (purpose IN ('signin', 'secure_message', 'chat_email'));
ALTER TABLE portal_challenges ADD COLUMN conversation_id uuid REFERENCES chat_conversations (id) ON DELETE CASCADE;
ALTER TABLE portal_challenges ADD COLUMN address_enc bytea;
ALTER TABLE portal_challenges ADD COLUMN address_hash bytea;
ALTER TABLE portal_challenges ADD CONSTRAINT portal_challenges_chat_email_check
  CHECK (purpose <> 'chat_email' OR (conversation_id IS NOT NULL AND address_enc IS NOT NULL AND address_hash IS NOT NULL));
CREATE INDEX portal_challenges_conversation ON portal_challenges (conversation_id, created_at DESC) WHERE conversation_id IS NOT NULL;
CREATE INDEX portal_challenges_address ON portal_challenges (org_id, address_hash, created_at DESC) WHERE address_hash IS NOT NULL;

ALTER TABLE chat_events DROP CONSTRAINT chat_events_event_check;
ALTER TABLE chat_events ADD CONSTRAINT chat_events_event_check CHECK (event IN ('waiting', 'accepted', 'transferred', 'ended', 'transcript', 'verified', 'identified'));
