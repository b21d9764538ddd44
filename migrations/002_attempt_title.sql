-- The check run's title for a finished attempt ("Failed: 2 errors, 1 of 12 tests failed"),
-- as the worker wrote it.
ALTER TABLE attempts ADD COLUMN title TEXT;
