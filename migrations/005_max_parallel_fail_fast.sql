-- max_parallel and fail_fast (issue 12): the server, not a worker, keeps a
-- build's running cells within its limit, and a failure under fail_fast ends
-- the build's other cells.

-- The build's own limits, as its config (a fork's: the default branch's
-- max_parallel) said when it was made. NULL: no limit. Older builds had none.
ALTER TABLE builds ADD COLUMN max_parallel INTEGER;
ALTER TABLE builds ADD COLUMN fail_fast BOOLEAN NOT NULL DEFAULT false;

-- A queued attempt of a limited build that has no job yet: it waits for one of
-- the build's places and is released (held = false, job queued) by the server
-- when one frees. Only ever true while the attempt is queued.
ALTER TABLE attempts ADD COLUMN held BOOLEAN NOT NULL DEFAULT false;

-- Held attempts: what a release, and the reconciler's pass, look for.
CREATE INDEX attempts_held ON attempts (cell_id) WHERE held;
