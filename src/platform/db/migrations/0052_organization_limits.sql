-- Per-organisation limits set by the installation's operator (docs/organizations.md "Limits", decision 0235).
-- Each limit is optional: null means unlimited. Lowering a limit below current usage keeps what exists and
-- refuses only new additions.
-- Frozen: never edit an applied migration; add a new file instead.

-- Staff seats: active and invited people of the organisation, service accounts excluded.
ALTER TABLE organizations ADD COLUMN limit_seats integer CHECK (limit_seats >= 0);
-- Bytes of attachment files the organisation keeps in the blob store.
ALTER TABLE organizations ADD COLUMN limit_storage_bytes bigint CHECK (limit_storage_bytes >= 0);
-- Inbound messages (email over SMTP or IMAP, portal and public request form) per UTC day.
ALTER TABLE organizations ADD COLUMN limit_inbound_per_day integer CHECK (limit_inbound_per_day >= 0);

-- The inbound count of one organisation on one UTC day. Taken with one INSERT … ON CONFLICT … DO UPDATE … WHERE
-- count < limit RETURNING statement, so two instances taking mail at once cannot both take the last message.
CREATE TABLE organization_inbound_days (
  org_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  day     date NOT NULL,
  count   integer NOT NULL DEFAULT 0 CHECK (count >= 0),
  PRIMARY KEY (org_id, day)
);

-- Service accounts (made by `trustdesk tokens create --service`) take no seat. Marked here rather than recognised by
-- their address, which a person could be given too.
ALTER TABLE users ADD COLUMN service_account boolean NOT NULL DEFAULT false;
UPDATE users u SET service_account = true
 WHERE u.email LIKE '%.service.invalid' AND u.password_hash IS NULL
   AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                WHERE ur.user_id = u.id AND r.org_id = u.org_id AND r.key = 'service_' || substr(replace(u.id::text, '-', ''), 1, 12));
