-- SCIM 2.0 provisioning (RFC 7643/7644; decision 0208, docs/scim.md). Staff and teams stay in `users` and
-- `teams`; these tables hold what SCIM adds: the provider's identifiers and name parts, the provisioning tokens,
-- the team → role mapping, and the people deprovisioned over SCIM that the next access review must show.
-- Frozen: never edit an applied migration; add a new file instead.

-- Bearer tokens for /scim/v2 only (prefix tdp_), one organisation each, stored as SHA-256 hashes. An API token
-- (tdt_) is not one of these and cannot call /scim/v2; a SCIM token cannot call /api.
CREATE TABLE scim_tokens (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash    bytea NOT NULL UNIQUE,
  prefix        text NOT NULL,
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  last_used_ip  text,
  revoked_at    timestamptz
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id);

-- A staff member as the provider knows them. A person made outside SCIM has no row until the provider writes
-- to them. `deleted_at`: removed over SCIM (DELETE); the person stays, deactivated, for the record.
CREATE TABLE scim_users (
  user_id       uuid PRIMARY KEY REFERENCES users (id),
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_name     text NOT NULL CHECK (length(user_name) BETWEEN 1 AND 254),
  external_id   text CHECK (length(external_id) BETWEEN 1 AND 500),
  given_name    text CHECK (length(given_name) <= 200),
  family_name   text CHECK (length(family_name) <= 200),
  display_name  text CHECK (length(display_name) <= 200),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz
);
CREATE UNIQUE INDEX scim_users_user_name ON scim_users (org_id, lower(user_name));
CREATE UNIQUE INDEX scim_users_external_id ON scim_users (org_id, external_id) WHERE external_id IS NOT NULL;

-- A team as the provider knows it (a SCIM Group is a team). `deleted_at`: removed over SCIM while tickets,
-- mailboxes or access reviews still point at the team, which stays (a team nothing points at is deleted).
CREATE TABLE scim_groups (
  team_id       uuid PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  external_id   text CHECK (length(external_id) BETWEEN 1 AND 500),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz
);
CREATE UNIQUE INDEX scim_groups_external_id ON scim_groups (org_id, external_id) WHERE external_id IS NOT NULL;

-- Members of a mapped team hold the role while they are members (set by an administrator, roles.manage).
CREATE TABLE scim_role_mappings (
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  team_id       uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  role_id       uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, role_id)
);
CREATE INDEX scim_role_mappings_org ON scim_role_mappings (org_id);

-- Deprovisioned over SCIM (active=false or DELETE): shown, flagged, in the organisation's next access review,
-- which records itself in `campaign_id` once it has.
CREATE TABLE scim_deprovisionings (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id),
  reason        text NOT NULL CHECK (reason IN ('inactive', 'deleted')),
  at            timestamptz NOT NULL DEFAULT now(),
  campaign_id   uuid
);
CREATE INDEX scim_deprovisionings_pending ON scim_deprovisionings (org_id) WHERE campaign_id IS NULL;

ALTER TABLE access_review_items ADD COLUMN deprovisioned boolean NOT NULL DEFAULT false;
