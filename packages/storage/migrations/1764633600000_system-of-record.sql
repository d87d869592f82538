-- The distributed mode's system of record: every gateway, matcher and job reads and writes these
-- tables, so every replica sees the same gallery, keys and audit trail.

-- Up Migration

CREATE TABLE subjects (
  tenant text NOT NULL,
  id text NOT NULL,
  name text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at text NOT NULL,
  PRIMARY KEY (tenant, id)
);

-- One row per template: the embedding (float32, little-endian) and, only where crops are retained,
-- the aligned crop. Erasing the subject removes them with it.
CREATE TABLE templates (
  tenant text NOT NULL,
  id text NOT NULL,
  subject text NOT NULL,
  model text NOT NULL,
  quality double precision NOT NULL,
  created_at text NOT NULL,
  embedding bytea NOT NULL,
  crop bytea,
  PRIMARY KEY (tenant, id),
  FOREIGN KEY (tenant, subject) REFERENCES subjects (tenant, id) ON DELETE CASCADE
);
CREATE INDEX templates_by_subject ON templates (tenant, subject);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  name text NOT NULL,
  scopes text[] NOT NULL,
  secret_sha256 text NOT NULL,
  created_at text NOT NULL,
  revoked_at text
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant);

-- What changed, in commit order (writers take one lock, so a sequence never commits after a higher
-- one): a replica reads the rows after the last sequence it applied and re-reads what they name. A
-- subject's rows are replaced by one tombstone when it is erased, which names nothing but its id.
CREATE TABLE changes (
  sequence bigserial PRIMARY KEY,
  kind text NOT NULL,
  tenant text NOT NULL,
  ref text NOT NULL,
  erased boolean NOT NULL DEFAULT false
);
CREATE INDEX changes_by_ref ON changes (kind, tenant, ref);

-- The audit trail: one hash chain per tenant. The entry is kept as the exact JSON that was hashed;
-- the other columns are copies for filtering.
CREATE TABLE audit_entries (
  tenant text NOT NULL,
  sequence bigint NOT NULL,
  time text NOT NULL,
  operation text NOT NULL,
  subject_id text,
  decision text NOT NULL,
  dedupe_key text,
  hash text NOT NULL,
  entry text NOT NULL,
  PRIMARY KEY (tenant, sequence)
);
CREATE UNIQUE INDEX audit_entries_dedupe ON audit_entries (tenant, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX audit_entries_by_time ON audit_entries (tenant, time);

-- Each tenant's last sequence and hash: the row writers lock to extend the chain, and what verify
-- checks the chain's end against (so entries cut off the end are found).
CREATE TABLE audit_heads (
  tenant text PRIMARY KEY,
  sequence bigint NOT NULL,
  hash text NOT NULL
);

-- Down Migration

DROP TABLE audit_heads;
DROP TABLE audit_entries;
DROP TABLE changes;
DROP TABLE api_keys;
DROP TABLE templates;
DROP TABLE subjects;
