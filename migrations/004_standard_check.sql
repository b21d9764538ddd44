-- What an attempt's compile commands said of its cell's standards (the
-- report's standard_check: expected, seen, ok; one per language), and whether
-- the grids mark it as built with another standard (a mismatch the config does
-- not ignore).
ALTER TABLE attempts ADD COLUMN standard_check JSONB;
ALTER TABLE attempts ADD COLUMN standard_mismatch BOOLEAN NOT NULL DEFAULT false;
