-- The dashboard's signed-in users (issue 14): a session per sign-in with
-- GitHub, found by the SHA-256 of its cookie. What the user may see and
-- change is read from GitHub once, at sign-in: the repositories the app is
-- installed on that the user can read (`read`) or push to (`write`). A session
-- lasts as long as GitHub's user token would (8 hours); then one signs in again.
CREATE TABLE dashboard_sessions (
  hash text PRIMARY KEY,
  login text NOT NULL,
  user_id bigint NOT NULL,
  name text,
  avatar_url text,
  admin boolean NOT NULL DEFAULT false,
  repositories jsonb NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
