-- Builds asked for and cancelled through the API (issue 13).
-- `event` takes a third value, 'api'; such a build's config_digest holds a
-- random part, so each POST /builds is a build of its own.
ALTER TABLE builds ADD COLUMN requested_by TEXT;   -- the API token's name; NULL for a webhook's build
ALTER TABLE builds ADD COLUMN cancelled_by TEXT;   -- the API token's name that cancelled it (DELETE /builds/{id})
