-- Imports from other helpdesks (Zendesk, FreeScout): which source record became
-- which Trustdesk record, so that a second run skips what the first imported and
-- an interrupted run resumes where it stopped. Decision 0161.
-- Frozen: never edit an applied migration; add a new file instead.

-- external_id is the source's own identifier (a Zendesk or FreeScout number),
-- never personal data: the importer refuses anything but a short token. A row
-- is written in the same transaction as the ticket (with its messages and
-- files) or the customer it names, so a row exists exactly when its record does.
CREATE TABLE import_items (
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  source       text NOT NULL CHECK (source IN ('zendesk', 'freescout')),
  kind         text NOT NULL CHECK (kind IN ('ticket', 'customer')),
  external_id  text NOT NULL CHECK (external_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  local_id     uuid NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, source, kind, external_id)
);
