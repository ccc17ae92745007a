-- Each organisation's learned phishing model and the labels it learned from (decision 0174).
-- The model is one encrypted document per organisation (LearnedModel.toJSON under the organisation's
-- key); its tokens are keyed hashes, so neither table holds a customer's words in clear.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE phishing_models (
  org_id      uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  -- NULL until the first label is learned, and again after a reset.
  model_enc   bytea,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  reset_at    timestamptz,
  reset_by    uuid REFERENCES users (id) ON DELETE SET NULL
);

-- One label per message: a new label (a report overturned as "not phishing") replaces the old one,
-- which the model unlearns from the token keys kept here, without reading the message again.
CREATE TABLE phishing_labels (
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- The messages.id (or, for mail that never reached a ticket, the quarantine.id) labelled.
  message_ref  uuid NOT NULL,
  label        text NOT NULL CHECK (label IN ('phish', 'ham')),
  -- Simulations are never a source: their clicks and reports are not the organisation's mail.
  source       text NOT NULL CHECK (source IN ('report', 'confirm', 'not_phishing', 'release', 'delete', 'reply')),
  labeller_id  uuid REFERENCES users (id) ON DELETE SET NULL,
  token_keys   text[] NOT NULL,
  -- False when the model refused it (the labeller's daily cap, or an unreadable model).
  learned      boolean NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, message_ref)
);
CREATE INDEX phishing_labels_by_day ON phishing_labels (org_id, created_at);
