-- Customer portal, secure message links, identity verification.
-- Every bearer secret (session, magic link, secure-message link) is stored as
-- a SHA-256 hash; every one-time code as an HMAC under a system key (a 6-digit
-- code's plain hash could be reversed by trying all million values).
-- No customer plaintext here: rows point at customers and tickets by id.
-- Frozen: never edit an applied migration; add a new file instead.

-- A customer's portal session. The cookie `td_portal` holds the raw token.
CREATE TABLE customer_sessions (
  id_hash            bytea PRIMARY KEY,
  org_id             uuid NOT NULL REFERENCES organizations (id),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  -- How the session started: a sign-in code, a magic link, or a secure-message link plus code.
  method             text NOT NULL CHECK (method IN ('code', 'link', 'secure_message')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_seen_at       timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  revoked_at         timestamptz,
  ip                 text,
  user_agent         text
);
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id);

-- Secure messages: an agent's reply that the email only announces.
CREATE TABLE secure_messages (
  id                 uuid PRIMARY KEY,
  org_id             uuid NOT NULL REFERENCES organizations (id),
  ticket_id          uuid NOT NULL REFERENCES tickets (id),
  -- The message holding the content (never emailed) and the notice that was emailed.
  message_id         uuid NOT NULL REFERENCES messages (id),
  notice_message_id  uuid REFERENCES messages (id),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  link_hash          bytea NOT NULL UNIQUE,
  expires_at         timestamptz NOT NULL,
  -- Set when the link started a portal session; the link is dead from then on.
  link_used_at       timestamptz,
  first_read_at      timestamptz,
  read_count         integer NOT NULL DEFAULT 0,
  created_by         uuid REFERENCES users (id),
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secure_messages_ticket ON secure_messages (ticket_id);

-- One-time codes and magic links that start a portal session.
CREATE TABLE portal_challenges (
  id                 uuid PRIMARY KEY,
  org_id             uuid NOT NULL REFERENCES organizations (id),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  purpose            text NOT NULL CHECK (purpose IN ('signin', 'secure_message')),
  secure_message_id  uuid REFERENCES secure_messages (id),
  code_hmac          bytea NOT NULL,
  link_hash          bytea UNIQUE,
  attempts           integer NOT NULL DEFAULT 0,
  max_attempts       integer NOT NULL DEFAULT 5,
  expires_at         timestamptz NOT NULL,
  consumed_at        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_challenges_customer ON portal_challenges (customer_id, created_at DESC);

-- "Verify customer": a code sent to the registered email or phone, read back
-- to the agent or entered in the portal. The outcome stays on the ticket.
CREATE TABLE customer_verifications (
  id                 uuid PRIMARY KEY,
  org_id             uuid NOT NULL REFERENCES organizations (id),
  ticket_id          uuid NOT NULL REFERENCES tickets (id),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  channel            text NOT NULL CHECK (channel IN ('email', 'sms')),
  code_hmac          bytea NOT NULL,
  attempts           integer NOT NULL DEFAULT 0,
  max_attempts       integer NOT NULL DEFAULT 5,
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'failed')),
  verified_via       text CHECK (verified_via IN ('agent', 'portal')),
  requested_by       uuid REFERENCES users (id),
  expires_at         timestamptz NOT NULL,
  decided_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_verifications_ticket ON customer_verifications (ticket_id, created_at DESC);
CREATE INDEX customer_verifications_customer ON customer_verifications (customer_id, status, decided_at DESC);
