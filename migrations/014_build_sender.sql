-- Who a build is for (issue 14: the dashboard's "who"): the GitHub login that
-- sent the push or pull request event (`sender.login`). NULL for a build made
-- through the API (requested_by says which token) and for builds made before.
ALTER TABLE builds ADD COLUMN sender text;
