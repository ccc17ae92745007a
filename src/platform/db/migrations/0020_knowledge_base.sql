-- Knowledge base: categories, articles (a working copy people edit) and their
-- published versions (immutable history; the article points at the one in
-- force). Articles are written by staff for everyone to read, hold no
-- customer data and are stored in clear, so PostgreSQL full-text search runs
-- over them directly (decision 0152; customer text keeps the keyed-token
-- index of decision 0080). Every body passed the sensitive-data scanner
-- before it was published.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE kb_categories (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  position    integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE kb_articles (
  id                    uuid PRIMARY KEY,
  org_id                uuid NOT NULL REFERENCES organizations (id),
  category_id           uuid REFERENCES kb_categories (id) ON DELETE SET NULL,
  -- The address on the portal: lower-case ASCII words joined by single hyphens.
  slug                  text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
  -- 'internal': staff only; 'public': also the portal. Takes effect at once.
  visibility            text NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'public')),
  -- The working copy (sanitised HTML and its text twin).
  title                 text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body_html             text NOT NULL,
  body_text             text NOT NULL,
  -- The working copy differs from the published version (or nothing is published).
  has_draft             boolean NOT NULL DEFAULT true,
  published_version_id  uuid,
  created_by            uuid REFERENCES users (id),
  updated_by            uuid REFERENCES users (id),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  -- Deleted articles keep their history for the audit trail; their slug is free again.
  deleted_at            timestamptz
);
CREATE UNIQUE INDEX kb_articles_slug ON kb_articles (org_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX kb_articles_org ON kb_articles (org_id, updated_at DESC) WHERE deleted_at IS NULL;

CREATE TABLE kb_article_versions (
  id            uuid PRIMARY KEY,
  article_id    uuid NOT NULL REFERENCES kb_articles (id),
  org_id        uuid NOT NULL REFERENCES organizations (id),
  version       integer NOT NULL,
  title         text NOT NULL,
  body_html     text NOT NULL,
  body_text     text NOT NULL,
  published_by  uuid REFERENCES users (id),
  published_at  timestamptz NOT NULL DEFAULT now(),
  -- Title weighs more than text in the ranking.
  search        tsvector GENERATED ALWAYS AS (
                  setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body_text), 'B')
                ) STORED,
  UNIQUE (article_id, version)
);
CREATE INDEX kb_article_versions_search ON kb_article_versions USING gin (search);

ALTER TABLE kb_articles ADD CONSTRAINT kb_articles_published_version
  FOREIGN KEY (published_version_id) REFERENCES kb_article_versions (id);

-- Team leads and administrators of existing organisations write and publish
-- articles (new organisations get it from the built-in roles).
INSERT INTO role_permissions (role_id, permission, scope)
SELECT id, 'kb.manage', 'org' FROM roles WHERE built_in AND key IN ('supervisor', 'administrator')
ON CONFLICT DO NOTHING;
