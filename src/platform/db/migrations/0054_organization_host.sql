-- Each organisation may be reached at its own host name (docs/organizations.md "Addresses", decision 0238): its
-- portal, request form and help pages are served there, and the links in its customers' mail point there. One host
-- name belongs to one organisation; names are stored lower-case without a trailing dot.
-- Frozen: never edit an applied migration; add a new file instead.
ALTER TABLE organizations ADD COLUMN host_name text;
CREATE UNIQUE INDEX organizations_host_name ON organizations (host_name) WHERE host_name IS NOT NULL;
ALTER TABLE organizations ADD CONSTRAINT organizations_host_name_form CHECK (host_name IS NULL OR host_name = lower(host_name));
