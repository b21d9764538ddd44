-- What an attempt found, kept as numbers for the API (GET /builds/{id}, /metrics):
-- its distinct diagnostics by level (the check run's title counts the same) and its
-- tests' results. NULL: not known (an attempt ended by the server, an older worker's
-- report, or, for the tests, no test results read).
ALTER TABLE attempts
  ADD COLUMN errors        INTEGER,
  ADD COLUMN warnings      INTEGER,
  ADD COLUMN tests_passed  INTEGER,
  ADD COLUMN tests_failed  INTEGER,
  ADD COLUMN tests_skipped INTEGER;

-- /metrics reads the attempts that ended in a window.
CREATE INDEX attempts_completed_at ON attempts (completed_at) WHERE state = 'completed';
