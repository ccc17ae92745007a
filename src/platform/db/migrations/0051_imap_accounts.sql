-- Mail pull over IMAP (docs/mail-pull.md, decisions 0225 and 0226): a mailbox at Microsoft 365, Google or any IMAP
-- server read as an inbound channel of one of the organisation's addresses (its routing, team and checks apply).
-- Secrets (password, OAuth client secret and refresh token) are stored under the organisation's key
-- (field context: imap_accounts / column / id) and never shown again.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE imap_accounts (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- The inbound address whose routing the pulled mail takes (as if it had come to it by SMTP).
  mailbox_id       uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  host             text NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
  port             integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  -- tls: implicit TLS (993); starttls: upgraded before authentication, refused when the server cannot;
  -- none: plaintext, only by an explicit (audited) choice.
  security         text NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
  -- PEM certificates to trust instead of the system's (a private CA, a self-signed server).
  ca_pem           text CHECK (length(ca_pem) <= 65536),
  username         text NOT NULL CHECK (length(username) BETWEEN 1 AND 320),
  auth             text NOT NULL CHECK (auth IN ('password', 'xoauth2')),
  password_enc     bytea,
  oauth_token_url  text CHECK (length(oauth_token_url) BETWEEN 8 AND 2000),
  oauth_client_id  text CHECK (length(oauth_client_id) BETWEEN 1 AND 500),
  oauth_scope      text CHECK (length(oauth_scope) <= 1000),
  oauth_client_secret_enc  bytea,
  oauth_refresh_token_enc  bytea,
  folder           text NOT NULL DEFAULT 'INBOX' CHECK (length(folder) BETWEEN 1 AND 200),
  -- After a message is durably stored: moved to move_to, or flagged \Seen plus the keyword.
  after_store      text NOT NULL CHECK (after_store IN ('move', 'flag')),
  move_to          text CHECK (length(move_to) BETWEEN 1 AND 200),
  keyword          text NOT NULL DEFAULT '$Trustdesk' CHECK (keyword ~ '^[A-Za-z0-9$_.-]{1,64}$'),
  -- Messages above this size are not fetched: flagged on the server ($TrustdeskTooLarge) and counted.
  max_bytes        integer NOT NULL DEFAULT 26214400 CHECK (max_bytes BETWEEN 1024 AND 157286400),
  -- Polling period when the server has no IDLE (and the longest wait in IDLE).
  poll_seconds     integer NOT NULL DEFAULT 60 CHECK (poll_seconds BETWEEN 5 AND 3600),
  enabled          boolean NOT NULL DEFAULT true,
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- Status, written by the poller.
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'connected', 'error')),
  last_error       text CHECK (length(last_error) <= 500),
  last_error_at    timestamptz,
  last_success_at  timestamptz,
  failures         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  fetched          bigint NOT NULL DEFAULT 0,
  too_large        bigint NOT NULL DEFAULT 0,
  -- The one poller of this mailbox across instances: a lease renewed while it runs.
  lease_owner      text,
  lease_until      timestamptz,
  CHECK (after_store <> 'move' OR move_to IS NOT NULL),
  CHECK (auth <> 'xoauth2' OR (oauth_token_url IS NOT NULL AND oauth_client_id IS NOT NULL))
);
CREATE INDEX imap_accounts_by_org ON imap_accounts (org_id, created_at);
CREATE INDEX imap_accounts_due ON imap_accounts (next_attempt_at) WHERE enabled;

-- Every message taken from a mailbox, by UIDVALIDITY and UID. The row of a stored message is written in the
-- transaction that stores it, so a crash between storing and marking on the server never stores it twice.
CREATE TABLE imap_messages (
  account_id    uuid NOT NULL REFERENCES imap_accounts (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  uid_validity  bigint NOT NULL,
  uid           bigint NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('stored', 'too_large')),
  size          bigint,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  -- Set when the message was moved or flagged on the server.
  marked_at     timestamptz,
  PRIMARY KEY (account_id, uid_validity, uid)
);
