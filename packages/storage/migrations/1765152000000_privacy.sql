-- Privacy: each tenant's policy, one row a version (the newest in force), and each subject's consent
-- record (basis, time, notice version, the tenant's evidence reference).

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

-- Down Migration

ALTER TABLE subjects DROP COLUMN consent;
DROP TABLE tenant_policies;
