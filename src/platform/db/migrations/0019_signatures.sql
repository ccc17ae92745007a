-- Signatures appended to replies that leave by email (decision 0149): one per person, one per
-- mailbox. Staff-written rich text, sanitised and passed through the sensitive-data policy when
-- saved; they hold no customer data, so they are stored as text, not under a customer's key.
-- Frozen: never edit an applied migration; add a new file instead.
ALTER TABLE users ADD COLUMN signature_html text;
ALTER TABLE mailboxes ADD COLUMN signature_html text;
