-- Simulated attachments that report when opened (decision 0200).
-- A new event type, "attachment_opened": the recipient opened the simulated message's attachment (through the
-- console's own download route for the support queue, or through the link inside the attachment for a mailbox).
-- The link inside a mailbox attachment carries a second tracking token of its own, stored only as its SHA-256,
-- so an open through the attachment is told apart from a click on a link in the message body.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE simulation_events DROP CONSTRAINT IF EXISTS simulation_events_type_check;
ALTER TABLE simulation_events ADD CONSTRAINT simulation_events_type_check
  CHECK (type IN ('delivered', 'opened', 'clicked', 'data_entered', 'attachment_opened', 'reported', 'skipped'));

ALTER TABLE simulation_recipients ADD COLUMN attachment_token_hash bytea UNIQUE;
