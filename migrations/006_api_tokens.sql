-- The REST API's tokens and its audit trail (issue 13).

-- A token is shown once, when made; only its SHA-256 is kept (tokens are 32
-- random bytes: a slow hash would add nothing against guessing). `prefix` is
-- its first characters, for people to tell tokens apart in `tokens list`.
CREATE TABLE api_tokens (
  id           BIGSERIAL PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  scopes       TEXT[] NOT NULL,
  repositories TEXT[],                         -- NULL: every repository; else owner/name, lower case
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at   TIMESTAMPTZ,
  revoked_at   TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ
);

-- Every call that changes something: who (the token), what, on what, when, and how it ended.
CREATE TABLE api_audit (
  id          BIGSERIAL PRIMARY KEY,
  token_id    BIGINT REFERENCES api_tokens (id),
  token_name  TEXT NOT NULL,
  method      TEXT NOT NULL,
  route       TEXT NOT NULL,
  target      TEXT,
  status      INTEGER NOT NULL,
  at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX api_audit_by_time ON api_audit (at);
