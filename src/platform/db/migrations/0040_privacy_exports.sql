-- The access export of a data-subject request (decision 0205): one bundle (a zip holding data.json, index.html and
-- the attachments) per approved access request, encrypted under the customer's data key, so an erasure makes it
-- unreadable and removes the row. The customer downloads it through an emailed link (stored as a hash) and a
-- one-time code, as a secure message is read: a portal challenge of its own purpose, bound to the export.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE privacy_exports (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  request_id       uuid NOT NULL UNIQUE REFERENCES privacy_requests (id) ON DELETE CASCADE,
  customer_id      uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  -- The zip, encrypted under the customer's data key (field context privacy_exports.bundle_enc, row id).
  bundle_enc       bytea NOT NULL,
  bundle_size      integer NOT NULL,
  -- What the bundle holds, as counts (no customer data): shown to staff and written into the audit trail.
  counts           jsonb NOT NULL,
  link_hash        bytea NOT NULL UNIQUE,
  expires_at       timestamptz NOT NULL,
  download_count   integer NOT NULL DEFAULT 0,
  last_download_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX privacy_exports_customer ON privacy_exports (customer_id);
CREATE INDEX privacy_exports_expiry ON privacy_exports (expires_at);

ALTER TABLE portal_challenges DROP CONSTRAINT portal_challenges_purpose_check;
ALTER TABLE portal_challenges ADD CONSTRAINT portal_challenges_purpose_check CHECK (purpose IN ('signin', 'secure_message', 'chat_email', 'privacy_export'));
ALTER TABLE portal_challenges ADD COLUMN privacy_export_id uuid REFERENCES privacy_exports (id) ON DELETE CASCADE;
ALTER TABLE portal_challenges ADD CONSTRAINT portal_challenges_privacy_export_check CHECK (purpose <> 'privacy_export' OR privacy_export_id IS NOT NULL);
CREATE INDEX portal_challenges_privacy_export ON portal_challenges (privacy_export_id) WHERE privacy_export_id IS NOT NULL;
