-- Ticket numbers per organisation, and sender lists without customer
-- addresses in clear. Decisions in docs/decisions/0110 and 0111.
-- Frozen: never edit an applied migration; add a new file instead.

-- One counter per organisation. A new ticket takes the next number with an
-- upsert on this row (INSERT … ON CONFLICT DO UPDATE … RETURNING), which
-- holds the row lock until the ticket's transaction ends: numbers are unique
-- and dense per organisation, and one organisation's volume no longer shows
-- in another's numbers.
CREATE TABLE ticket_counters (
  org_id       uuid PRIMARY KEY REFERENCES organizations (id),
  last_number  bigint NOT NULL CHECK (last_number >= 0)
);
-- Existing tickets keep their numbers; each organisation continues after its highest.
INSERT INTO ticket_counters (org_id, last_number)
  SELECT org_id, max(number) FROM tickets GROUP BY org_id;
ALTER TABLE tickets DROP CONSTRAINT tickets_number_key;
ALTER TABLE tickets ALTER COLUMN number DROP DEFAULT;
DROP SEQUENCE IF EXISTS tickets_number_seq;
ALTER TABLE tickets ADD CONSTRAINT tickets_org_number_key UNIQUE (org_id, number);

-- Allow and block lists: the value (a full address or a domain) is kept
-- encrypted under the organisation's key and found by an exact keyed hash
-- (HMAC under the organisation's blind-index key, full length so that list
-- matches are exact and the uniqueness below holds). Rows written before this
-- migration are sealed at start-up (src/threats/phishing-reports/seal.ts),
-- which clears `value`.
ALTER TABLE sender_lists ALTER COLUMN value DROP NOT NULL;
ALTER TABLE sender_lists ADD COLUMN value_hash bytea;
ALTER TABLE sender_lists ADD COLUMN value_enc bytea;
ALTER TABLE sender_lists ADD COLUMN entry_type text CHECK (entry_type IN ('domain', 'address'));
ALTER TABLE sender_lists ADD CONSTRAINT sender_lists_value_stored CHECK (value IS NOT NULL OR (value_hash IS NOT NULL AND value_enc IS NOT NULL AND entry_type IS NOT NULL));
ALTER TABLE sender_lists ADD CONSTRAINT sender_lists_org_kind_hash UNIQUE (org_id, kind, value_hash);
CREATE INDEX sender_lists_org_hash_active ON sender_lists (org_id, value_hash) WHERE status = 'active';

-- Known sender domains: only the keyed hash of the domain is needed (the
-- question is "has this domain written before?"). Rows written before this
-- migration are hashed at start-up, which removes the clear domain.
ALTER TABLE known_sender_domains DROP CONSTRAINT known_sender_domains_pkey;
ALTER TABLE known_sender_domains ALTER COLUMN domain DROP NOT NULL;
ALTER TABLE known_sender_domains ADD COLUMN domain_hash bytea;
ALTER TABLE known_sender_domains ADD CONSTRAINT known_sender_domains_stored CHECK (domain IS NOT NULL OR domain_hash IS NOT NULL);
ALTER TABLE known_sender_domains ADD CONSTRAINT known_sender_domains_org_hash UNIQUE (org_id, domain_hash);
ALTER TABLE known_sender_domains ADD CONSTRAINT known_sender_domains_org_domain UNIQUE (org_id, domain);
