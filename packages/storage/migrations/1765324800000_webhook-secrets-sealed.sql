-- Webhook secrets are sealed (AES-256-GCM under FACEREC_WEBHOOK_KEY) by the webhook store, which
-- seals a row an earlier version stored as given the first time it reads it with the key set. A
-- deleted webhook's row keeps no secret: the column may be NULL, and the secrets of webhooks deleted
-- before this version are wiped here.

-- Up Migration

ALTER TABLE webhooks ALTER COLUMN secret DROP NOT NULL;
UPDATE webhooks SET secret = NULL WHERE deleted_at IS NOT NULL;

-- Down Migration

-- The wiped secrets do not come back; a deleted webhook is never delivered to, so '' stands in.
UPDATE webhooks SET secret = '' WHERE secret IS NULL;
ALTER TABLE webhooks ALTER COLUMN secret SET NOT NULL;
