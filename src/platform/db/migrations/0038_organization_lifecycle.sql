-- Organisations as tenants of one installation: a short unique slug for the
-- operator's commands, and a lifecycle status. A suspended organisation keeps
-- its data but takes no sign-in, no API token and no inbound mail, chat or
-- portal request; a deleted one is a tombstone whose keys are destroyed and
-- whose rows are removed (decision 0202).

ALTER TABLE organizations ADD COLUMN slug text;
ALTER TABLE organizations ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted'));
ALTER TABLE organizations ADD COLUMN suspended_at timestamptz;
ALTER TABLE organizations ADD COLUMN deleted_at timestamptz;

-- The slug an organisation gets when none is given: its name in lower case,
-- runs of other characters as one hyphen, and a piece of its id when taken.
CREATE FUNCTION organization_default_slug(org_name text, org_id uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  base text;
BEGIN
  base := trim(both '-' from left(regexp_replace(lower(org_name), '[^a-z0-9]+', '-', 'g'), 40));
  IF base = '' THEN base := 'org'; END IF;
  IF EXISTS (SELECT 1 FROM organizations WHERE slug = base AND id <> org_id) THEN
    base := base || '-' || substr(replace(org_id::text, '-', ''), 1, 8);
  END IF;
  RETURN base;
END;
$$;

DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT id, name FROM organizations ORDER BY created_at, id LOOP
    UPDATE organizations SET slug = organization_default_slug(r.name, r.id) WHERE id = r.id;
  END LOOP;
END;
$$;

CREATE FUNCTION organizations_fill_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.slug IS NULL THEN
    -- Two organisations of the same name inserted at once would both find the slug free: one waits for the other.
    PERFORM pg_advisory_xact_lock(7470202);
    NEW.slug := organization_default_slug(NEW.name, NEW.id);
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER organizations_fill_slug_on_insert BEFORE INSERT ON organizations
  FOR EACH ROW EXECUTE FUNCTION organizations_fill_slug();

ALTER TABLE organizations ALTER COLUMN slug SET NOT NULL;
ALTER TABLE organizations ADD CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$');
CREATE UNIQUE INDEX organizations_slug ON organizations (slug);
