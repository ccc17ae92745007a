-- Each organisation may sign its customer mail with its own DKIM key (docs/organizations.md "Mail signing",
-- decision 0237). The private key is encrypted under the organisation's own data key, so deleting the organisation
-- destroys it with everything else; the public key is kept in clear to print the DNS record again.
-- Frozen: never edit an applied migration; add a new file instead.
ALTER TABLE organizations ADD COLUMN dkim_domain text;
ALTER TABLE organizations ADD COLUMN dkim_selector text;
ALTER TABLE organizations ADD COLUMN dkim_key_enc bytea;
ALTER TABLE organizations ADD COLUMN dkim_public_key text;
ALTER TABLE organizations ADD CONSTRAINT organizations_dkim_whole
  CHECK ((dkim_domain IS NULL) = (dkim_selector IS NULL) AND (dkim_domain IS NULL) = (dkim_key_enc IS NULL) AND (dkim_domain IS NULL) = (dkim_public_key IS NULL));
