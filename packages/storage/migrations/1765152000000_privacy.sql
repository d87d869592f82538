-- Privacy: each tenant's policy, one row a version (the newest in force), each subject's consent
-- record (basis, time, notice version, the tenant's evidence reference), and each tenant's audit
-- checkpoint: the last pruned entry's sequence and hash, from which the kept chain verifies.

-- Up Migration

CREATE TABLE tenant_policies (
  tenant text NOT NULL,
  version bigint NOT NULL,
  policy jsonb NOT NULL,
  set_at text NOT NULL,
  set_by text NOT NULL,
  PRIMARY KEY (tenant, version)
);

ALTER TABLE subjects ADD COLUMN consent jsonb;

CREATE TABLE audit_checkpoints (
  tenant text PRIMARY KEY,
  sequence bigint NOT NULL,
  hash text NOT NULL,
  pruned bigint NOT NULL,
  at text NOT NULL
);

-- Down Migration

DROP TABLE audit_checkpoints;
ALTER TABLE subjects DROP COLUMN consent;
DROP TABLE tenant_policies;
