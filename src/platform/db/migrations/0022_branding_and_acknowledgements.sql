-- Organisation branding and customer acknowledgements (decisions 0158, 0159).
-- The logo is the organisation's own public image, not customer data: kept in clear, small,
-- and only in the three raster types the upload check lets through (never SVG).
-- Frozen: never edit an applied migration; add a new file instead.
CREATE TABLE organization_logos (
  org_id        uuid PRIMARY KEY REFERENCES organizations (id),
  content       bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 262144),
  content_type  text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
  -- Hex SHA-256 of the content: the version in the public URL (caches never show an old logo).
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The automatic acknowledgement of a new request, per mailbox (off unless turned on).
CREATE TABLE mailbox_acknowledgements (
  mailbox_id  uuid PRIMARY KEY REFERENCES mailboxes (id) ON DELETE CASCADE,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  enabled     boolean NOT NULL DEFAULT false,
  template    text NOT NULL CHECK (length(template) BETWEEN 1 AND 4000),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- An acknowledgement goes through the durable queue like a reply, marked so it leaves with
-- Auto-Submitted: auto-replied and so loop protection can find the last one sent to a customer.
ALTER TABLE outbound_mail ADD COLUMN auto_reply boolean NOT NULL DEFAULT false;
CREATE INDEX outbound_mail_auto_reply_recent ON outbound_mail (customer_id, created_at) WHERE auto_reply;
