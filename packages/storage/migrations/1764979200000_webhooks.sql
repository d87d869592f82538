-- Per-tenant webhooks and their delivery log. The signing secret is kept as given: the sender needs
-- it to sign every body (unlike an API key, whose hash is enough to check it).

-- Up Migration

CREATE TABLE webhooks (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  url text NOT NULL,
  outcomes text[] NOT NULL,
  cameras text[] NOT NULL,
  subjects text[] NOT NULL,
  secret text NOT NULL,
  created_at text NOT NULL,
  deleted_at text
);
CREATE INDEX webhooks_by_tenant ON webhooks (tenant) WHERE deleted_at IS NULL;

-- One row per attempt: which event, which attempt, the receiver's status or the error.
CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  webhook_id text NOT NULL,
  tenant text NOT NULL,
  delivery_id text NOT NULL,
  event_id text NOT NULL,
  attempt integer NOT NULL,
  status integer,
  error text,
  delivered boolean NOT NULL,
  at text NOT NULL
);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (tenant, webhook_id, id);

-- Down Migration

DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
