-- Stored configurations (issue 13): named `.heimdall-build.yml` documents a
-- repository's file may `extends`. Every write is a new version; none is ever
-- overwritten or removed, so a build can always be traced to the text it used.

-- One row a name. `latest_version` is the last version ever written, kept
-- through a delete: a name written again after its delete goes on from there,
-- so `name@vN` always means one text.
CREATE TABLE configurations (
  name           TEXT PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  latest_version INTEGER NOT NULL DEFAULT 0,   -- 0: a name being made, no version yet
  deleted_at     TIMESTAMPTZ,                  -- set by DELETE; the versions stay
  deleted_by     TEXT
);

CREATE TABLE configuration_versions (
  name       TEXT NOT NULL REFERENCES configurations (name),
  version    INTEGER NOT NULL CHECK (version >= 1),
  document   TEXT NOT NULL,
  created_by TEXT NOT NULL,                    -- the API token's name
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);
