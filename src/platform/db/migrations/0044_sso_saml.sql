-- Staff single sign-on with SAML 2.0 beside OpenID Connect, on the same per-organisation connection (decision 0209,
-- docs/sso.md). For a SAML connection `issuer` is the identity provider's entity ID and `client_id` Trustdesk's own
-- (service-provider) entity ID, fixed when the connection is made. What the provider's metadata said is kept:
-- its single-sign-on URL (HTTP-Redirect), its signing certificates (PEM) and its `validUntil`. Trustdesk's
-- decryption key for encrypted assertions is made per connection and stored under the organisation's key (field
-- context: sso_connections / saml_sp_key_enc / id); its certificate is public (the service-provider metadata).
-- A SAML row is complete or absent: the check below refuses a half-saved one.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE sso_connections DROP CONSTRAINT sso_connections_protocol_check;
ALTER TABLE sso_connections ADD CONSTRAINT sso_connections_protocol_check CHECK (protocol IN ('oidc', 'saml'));
ALTER TABLE sso_connections
  ADD COLUMN saml_sso_url text CHECK (length(saml_sso_url) BETWEEN 8 AND 1000),
  ADD COLUMN saml_idp_certs text[] NOT NULL DEFAULT '{}',
  ADD COLUMN saml_metadata_valid_until timestamptz,
  ADD COLUMN saml_sp_key_enc bytea,
  ADD COLUMN saml_sp_cert text;
ALTER TABLE sso_connections ADD CONSTRAINT sso_connections_saml_complete CHECK (
  protocol <> 'saml' OR (saml_sso_url IS NOT NULL AND cardinality(saml_idp_certs) BETWEEN 1 AND 5 AND saml_sp_key_enc IS NOT NULL AND saml_sp_cert IS NOT NULL)
);

-- Assertions already used, by the hash of their ID, until they would have expired anyway: a replayed assertion is
-- refused by whichever instance receives it (the primary key decides, not a process's memory).
-- Just-in-time provisioning (either protocol), off by default: a person the provider vouches for, with an address in
-- one of the connection's domains and in at least one mapped group, gets an account on first sign-in, with the roles
-- (keys) and teams (ids) their groups map to: [{"group": "...", "roles": ["agent"], "teams": ["<uuid>"]}].
ALTER TABLE sso_connections
  ADD COLUMN jit_provisioning boolean NOT NULL DEFAULT false,
  ADD COLUMN group_mappings jsonb NOT NULL DEFAULT '[]';

CREATE TABLE sso_saml_assertions (
  connection_id uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
  assertion_hash bytea NOT NULL,
  used_at       timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (connection_id, assertion_hash)
);
CREATE INDEX sso_saml_assertions_expiry ON sso_saml_assertions (expires_at);
