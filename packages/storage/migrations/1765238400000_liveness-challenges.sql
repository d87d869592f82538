-- Active liveness challenges while they are open: what was asked, of which tenant, until when, the
-- subject the answer is checked against (if any), and the pose read off each frame with, where a
-- subject is named, its score against them (never the frame, never an embedding). Any gateway can
-- take any call of a challenge; a result deletes its row, and starting one deletes the expired.

-- Up Migration

CREATE TABLE liveness_challenges (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  actions text[] NOT NULL,
  subject_id text,
  expires_at bigint NOT NULL,
  frames jsonb NOT NULL DEFAULT '[]'
);

CREATE INDEX liveness_challenges_expiry ON liveness_challenges (expires_at);

-- Down Migration

DROP TABLE liveness_challenges;
