-- The review queue also keeps low-margin matches (outcome 'match', with the subject they were matched
-- to), and each face's aligned crop where crop retention is on.

-- Up Migration

ALTER TABLE review_items ADD COLUMN outcome text NOT NULL DEFAULT 'unknown';
ALTER TABLE review_items ADD COLUMN subject_id text;
ALTER TABLE review_items ADD COLUMN crop bytea;

-- Down Migration

ALTER TABLE review_items DROP COLUMN crop;
ALTER TABLE review_items DROP COLUMN subject_id;
ALTER TABLE review_items DROP COLUMN outcome;
