-- heimdall-build's state: what GitHub told us, what we built, every attempt.
-- Applied in order by `heimdall-build migrate` (kysely's Migrator, one
-- transaction a file, recorded in kysely_migration).

CREATE TABLE installations (
  id            BIGINT PRIMARY KEY,            -- GitHub's installation id
  account_login TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE repositories (
  id              BIGINT PRIMARY KEY,          -- GitHub's repository id
  installation_id BIGINT NOT NULL REFERENCES installations (id),
  full_name       TEXT NOT NULL,
  clone_url       TEXT NOT NULL,
  private         BOOLEAN NOT NULL DEFAULT false,
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Each webhook delivery once: GitHub redelivers, and may deliver twice.
CREATE TABLE deliveries (
  id          TEXT PRIMARY KEY,                -- X-GitHub-Delivery
  event       TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One build per repository, commit and configuration: a push and a pull request
-- for the same commit and config share it (and its check runs).
CREATE TABLE builds (
  id              BIGSERIAL PRIMARY KEY,
  repository_id   BIGINT NOT NULL REFERENCES repositories (id),
  head_sha        TEXT NOT NULL,
  config_digest   TEXT NOT NULL,
  event           TEXT NOT NULL,               -- push | pull_request
  branch          TEXT,                        -- the pushed branch, when pushed
  pull_number     INTEGER,                     -- the pull request, when there is one
  head_repository TEXT NOT NULL,               -- where the commit lives (a fork's name for fork PRs)
  clone_url       TEXT NOT NULL,
  fork            BOOLEAN NOT NULL DEFAULT false,
  settings        JSONB NOT NULL,              -- the parsed config, for the workers
  state           TEXT NOT NULL DEFAULT 'active', -- active | superseded | completed
  superseded_by   BIGINT REFERENCES builds (id),
  matrix_check_run_id BIGINT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (repository_id, head_sha, config_digest)
);
CREATE INDEX builds_by_branch ON builds (repository_id, branch) WHERE branch IS NOT NULL;
CREATE INDEX builds_by_pull ON builds (repository_id, pull_number) WHERE pull_number IS NOT NULL;
CREATE INDEX builds_by_sha ON builds (repository_id, head_sha);

-- A cell of the matrix; `key` is its stable id (linux-gcc-12-cxx17-release).
CREATE TABLE cells (
  id          BIGSERIAL PRIMARY KEY,
  build_id    BIGINT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  name        TEXT NOT NULL,
  platform    TEXT NOT NULL,
  spec        JSONB NOT NULL,                  -- the expanded cell
  skip_reason TEXT,                            -- set when the catalog skips it
  UNIQUE (build_id, key)
);

-- Every run of a cell. Its id is the check run's external_id and the job's id.
CREATE TABLE attempts (
  id           BIGSERIAL PRIMARY KEY,
  cell_id      BIGINT NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
  number       INTEGER NOT NULL,
  state        TEXT NOT NULL,                  -- waiting_approval | queued | in_progress | completed
  conclusion   TEXT,                           -- success | failure | cancelled | timed_out | skipped | action_required
  check_run_id BIGINT,
  synced       TEXT,                           -- what GitHub was last told: state[:conclusion]:annotations sent
  worker       TEXT,
  summary      TEXT,
  log_key      TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at   TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  UNIQUE (cell_id, number)
);
CREATE INDEX attempts_by_check_run ON attempts (check_run_id);

-- Diagnostics kept per attempt, to compare a pull request with its base.
CREATE TABLE annotations (
  attempt_id  BIGINT NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  path        TEXT NOT NULL,
  start_line  INTEGER NOT NULL,
  end_line    INTEGER NOT NULL,
  level       TEXT NOT NULL,
  code        TEXT,
  message     TEXT NOT NULL,
  body        JSONB NOT NULL,                  -- the whole annotation, as sent to GitHub
  PRIMARY KEY (attempt_id, fingerprint, start_line)
);

-- A configuration that failed to parse, reported once per commit and file content.
CREATE TABLE config_failures (
  repository_id BIGINT NOT NULL REFERENCES repositories (id),
  head_sha      TEXT NOT NULL,
  config_digest TEXT NOT NULL,
  check_run_id  BIGINT,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, head_sha, config_digest)
);

-- A fork's commit approved to run by someone with write access.
CREATE TABLE approvals (
  repository_id BIGINT NOT NULL REFERENCES repositories (id),
  head_sha      TEXT NOT NULL,
  approved_by   TEXT NOT NULL,
  approved_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, head_sha)
);
