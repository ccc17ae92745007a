-- A person's own language for security simulations (and, later, training): the language version of a template
-- they are sent. NULL follows the organisation's setting (simulations.language in organizations.settings).
-- Set by the person on their account page (docs/simulations.md).
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE users ADD COLUMN language text CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$');
