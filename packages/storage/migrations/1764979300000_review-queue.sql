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
  PRIMARY KEY (tenant, id)
);

-- Down Migration

DROP TABLE review_clusters;
DROP TABLE review_items;
