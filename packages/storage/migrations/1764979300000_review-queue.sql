-- The review queue: unknown faces kept for an operator to name or dismiss, grouped in clusters. A
-- cluster keeps the sum of its faces' embeddings and their number, from which any replica places the
-- next face under the tenant's lock.

-- Up Migration

CREATE TABLE review_items (
  tenant text NOT NULL,
  id text NOT NULL,
  camera text NOT NULL,
  model text NOT NULL,
  time text NOT NULL,
  vector bytea NOT NULL,
  quality double precision NOT NULL,
  candidates jsonb NOT NULL,
  cluster text NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX review_items_by_cluster ON review_items (tenant, cluster);
CREATE INDEX review_items_by_time ON review_items (time);

CREATE TABLE review_clusters (
  tenant text NOT NULL,
  model text NOT NULL,
  id text NOT NULL,
  sum bytea NOT NULL,
  count integer NOT NULL,
  -- The partition's version when the cluster was last written: a replica holding the clusters as of
  -- version v reads only the rows written after v (and the ids, to drop the ones that went).
  version bigint NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX review_clusters_by_version ON review_clusters (tenant, model, version);

-- Each tenant and model's version, raised by every write to its clusters (under the tenant's lock).
CREATE TABLE review_heads (
  tenant text NOT NULL,
  model text NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (tenant, model)
);

-- Down Migration

DROP TABLE review_heads;
DROP TABLE review_clusters;
DROP TABLE review_items;
