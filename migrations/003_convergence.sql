-- Convergence (issue 10): the reconciler brings the database, the queues and
-- GitHub into agreement; these columns let it do so without guessing.

-- How often an attempt was put back on its queue because its job or its report
-- was lost (Redis restarted, a worker died): bounded, so a cell that keeps being
-- lost ends with the reason instead of looping.
ALTER TABLE attempts ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;

-- Attempts still to be run or concluded: what the reconciler reads each pass.
CREATE INDEX attempts_open ON attempts (id) WHERE state IN ('queued', 'in_progress');

-- Attempts whose check run does not say what the database says (a sync that was
-- lost or gave up): the reconciler asks for their sync again.
CREATE INDEX attempts_unsynced ON attempts (id)
  WHERE synced IS DISTINCT FROM (state || ':' || coalesce(conclusion, ''));

-- What the matrix check last told GitHub (status:conclusion:title), to skip
-- writes that change nothing and to find matrix checks left behind.
ALTER TABLE builds ADD COLUMN matrix_synced TEXT;

-- Failed deliveries the redelivery job asked GitHub to send again, by the
-- delivery's guid (X-GitHub-Delivery): bounded tries, never a loop.
CREATE TABLE redelivery_requests (
  guid         TEXT PRIMARY KEY,
  delivery_id  BIGINT NOT NULL,                -- the attempt asked for again
  event        TEXT NOT NULL,
  tries        INTEGER NOT NULL DEFAULT 1,
  requested_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- When the commit reached its branch or pull request, as GitHub said (a push's
-- pushed_at, a pull request's updated_at): which of two commits supersedes the
-- other, whatever order their deliveries (or redeliveries) arrive in.
ALTER TABLE builds ADD COLUMN event_at TIMESTAMPTZ;
