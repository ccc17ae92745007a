-- Foundation: organisations, the keyring, the tamper-evident audit log, and
-- the first encrypted table (customers; the helpdesk adds its other fields).
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A data key (DEK) belongs to one owner. Its versions are wrapped by a
-- key-encryption key (KEK) that never enters the database.
CREATE TABLE data_keys (
  id               uuid PRIMARY KEY,
  owner_type       text NOT NULL CHECK (owner_type IN ('customer', 'organization')),
  owner_id         uuid NOT NULL,
  purpose          text NOT NULL CHECK (purpose IN ('fields', 'blind-index')),
  current_version  integer NOT NULL CHECK (current_version >= 1),
  created_at       timestamptz NOT NULL DEFAULT now(),
  destroyed_at     timestamptz,
  UNIQUE (owner_type, owner_id, purpose)
);

CREATE TABLE data_key_versions (
  key_id      uuid NOT NULL REFERENCES data_keys (id),
  version     integer NOT NULL CHECK (version >= 1),
  -- NULL once destroyed (crypto-shredding): nothing can unwrap it again.
  wrapped     bytea,
  kek_id      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  retired_at  timestamptz,
  PRIMARY KEY (key_id, version)
);

-- Installation-wide secrets (audit signing key, audit MAC key, subject-hash
-- key), wrapped by the KEK like data keys.
CREATE TABLE system_keys (
  name        text PRIMARY KEY,
  wrapped     bytea NOT NULL,
  kek_id      text NOT NULL,
  public_key  bytea,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Background re-encryption after a data key rotation, with progress.
CREATE TABLE key_rotations (
  id            uuid PRIMARY KEY,
  key_id        uuid REFERENCES data_keys (id),
  to_version    integer NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  total         integer NOT NULL DEFAULT 0,
  done          integer NOT NULL DEFAULT 0,
  error         text,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX key_rotations_running ON key_rotations (status) WHERE status = 'running';

CREATE TABLE customers (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  name_enc    bytea,
  email_enc   bytea,
  email_bidx  bytea,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_email_bidx ON customers (org_id, email_bidx);

-- The audit log. Rows are appended inside the transaction of the action they
-- record (idx NULL, "pending"); the sequencer later gives each its position in
-- the Merkle tree (idx), stores its leaf hash and a keyed MAC over
-- (idx, leaf hash), and signs a checkpoint. Entries hold no raw PII: customer
-- subjects are keyed hashes.
CREATE TABLE audit_log (
  seq          bigserial PRIMARY KEY,
  idx          bigint UNIQUE,
  id           uuid NOT NULL UNIQUE,
  ts           timestamptz NOT NULL,
  org_id       uuid,
  actor_type   text NOT NULL,
  actor_id     text,
  action       text NOT NULL,
  object_type  text,
  object_id    text,
  subject      text,
  purpose      text,
  result       text NOT NULL,
  request_id   text,
  source_ip    text,
  details      jsonb,
  leaf_hash    bytea,
  mac          bytea
);
CREATE INDEX audit_log_pending ON audit_log (seq) WHERE idx IS NULL;
CREATE INDEX audit_log_org_ts ON audit_log (org_id, ts);
CREATE INDEX audit_log_subject ON audit_log (subject) WHERE subject IS NOT NULL;

CREATE TABLE audit_checkpoints (
  tree_size   bigint PRIMARY KEY,
  root_hash   bytea NOT NULL,
  note        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Defence in depth: the application can only append entries and fill in the
-- sequencing columns once. (An attacker who owns the database can drop this
-- trigger; the Merkle tree, MACs and signed checkpoints are what detect that.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'audit_log is append-only';
  END IF;
  IF OLD.idx IS NOT NULL
     OR (NEW.seq, NEW.id, NEW.ts, NEW.org_id, NEW.actor_type, NEW.actor_id, NEW.action, NEW.object_type,
         NEW.object_id, NEW.subject, NEW.purpose, NEW.result, NEW.request_id, NEW.source_ip, NEW.details::text)
        IS DISTINCT FROM
        (OLD.seq, OLD.id, OLD.ts, OLD.org_id, OLD.actor_type, OLD.actor_id, OLD.action, OLD.object_type,
         OLD.object_id, OLD.subject, OLD.purpose, OLD.result, OLD.request_id, OLD.source_ip, OLD.details::text) THEN
    RAISE EXCEPTION 'audit_log entries cannot be changed';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_append_only_rows BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_append_only_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only';
END;
$$;
CREATE TRIGGER audit_checkpoints_append_only_rows BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
