-- Training modules in the person's language (decision 0224, docs/training.md "Languages"). A module version
-- may exist in several languages: the rows of one key and version, one per language. The player shows the
-- language matching the person's choice and falls back to the version they were assigned; an attempt records
-- which language version's quiz graded it. Existing rows are English, as every module was written until now.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE training_modules ADD COLUMN language text NOT NULL DEFAULT 'en';
DROP INDEX training_modules_shipped;
DROP INDEX training_modules_own;
CREATE UNIQUE INDEX training_modules_shipped ON training_modules (key, version, language) WHERE org_id IS NULL;
CREATE UNIQUE INDEX training_modules_own ON training_modules (org_id, key, version, language) WHERE org_id IS NOT NULL;

ALTER TABLE training_attempts ADD COLUMN module_id uuid REFERENCES training_modules (id);
