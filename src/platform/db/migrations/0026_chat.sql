-- Live chat (docs/chat.md, decision 0176). A chat is a ticket with channel 'chat'; its messages are
-- ordinary ticket messages (encrypted under the customer's key, searchable, audited), and chat_events
-- only numbers them per conversation so a client can resume from the last one it saw.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE tickets DROP CONSTRAINT tickets_channel_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_channel_check CHECK (channel IN ('email', 'web', 'portal', 'api', 'phone', 'chat'));

ALTER TABLE customer_verifications DROP CONSTRAINT customer_verifications_verified_via_check;
ALTER TABLE customer_verifications ADD CONSTRAINT customer_verifications_verified_via_check CHECK (verified_via IN ('agent', 'portal', 'chat'));

CREATE TABLE chat_settings (
  org_id               uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  enabled              boolean NOT NULL DEFAULT false,
  team_id              uuid REFERENCES teams (id) ON DELETE SET NULL,
  -- Exact web origins (scheme://host[:port]) allowed to embed the widget.
  allowed_origins      text[] NOT NULL DEFAULT '{}',
  max_chats_per_agent  integer NOT NULL DEFAULT 3 CHECK (max_chats_per_agent BETWEEN 1 AND 20),
  offer_timeout_s      integer NOT NULL DEFAULT 60 CHECK (offer_timeout_s BETWEEN 10 AND 600),
  -- The HS256 secret for site identity tokens, encrypted under the organisation's key.
  identity_secret_enc  bytea,
  identity_secret_at   timestamptz,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chat_conversations (
  id                uuid PRIMARY KEY,
  org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- NULL until the customer's first message makes the ticket.
  ticket_id         uuid UNIQUE REFERENCES tickets (id) ON DELETE CASCADE,
  customer_id       uuid NOT NULL REFERENCES customers (id),
  identity          text NOT NULL CHECK (identity IN ('anonymous', 'site', 'portal', 'email')),
  -- The embedding page's origin (one of the allowed ones when it started), or the public URL for the portal.
  host              text NOT NULL,
  -- SHA-256 of the conversation token (tdc_…); the token itself is only ever in the widget.
  token_hash        bytea NOT NULL UNIQUE,
  expires_at        timestamptz NOT NULL,
  last_activity_at  timestamptz NOT NULL DEFAULT now(),
  status            text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'waiting', 'active', 'ended')),
  team_id           uuid REFERENCES teams (id) ON DELETE SET NULL,
  agent_id          uuid REFERENCES users (id) ON DELETE SET NULL,
  offered_to        uuid REFERENCES users (id) ON DELETE SET NULL,
  offered_at        timestamptz,
  -- Everyone it was offered to since it last waited: a re-offer goes to someone else first.
  offered_before    uuid[] NOT NULL DEFAULT '{}',
  last_seq          integer NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  waiting_since     timestamptz,
  accepted_at       timestamptz,
  ended_at          timestamptz,
  ended_by          text CHECK (ended_by IN ('customer', 'agent', 'timeout'))
);
CREATE INDEX chat_conversations_inbox ON chat_conversations (org_id, status, waiting_since);
CREATE INDEX chat_conversations_agent ON chat_conversations (agent_id) WHERE status = 'active';

-- What the conversation showed, in order: a message (message_id) or an event (event: accepted, ended, …).
CREATE TABLE chat_events (
  conversation_id  uuid NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
  seq              integer NOT NULL,
  message_id       uuid REFERENCES messages (id) ON DELETE CASCADE,
  -- The sender's id for the message: a resend after a reconnect is acknowledged, never stored twice.
  client_id        uuid,
  author           text NOT NULL CHECK (author IN ('customer', 'agent', 'system')),
  author_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  event            text CHECK (event IN ('waiting', 'accepted', 'transferred', 'ended', 'transcript', 'verified')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, client_id)
);

-- Site identity tokens already used (their jti, hashed), kept until they would have expired anyway.
CREATE TABLE chat_identity_jtis (
  org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  jti_hash    bytea NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (org_id, jti_hash)
);
