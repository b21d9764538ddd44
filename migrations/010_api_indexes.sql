-- The API's reads (issue 13): GET /api/v1/builds pages newest first (by id)
-- within a repository, branch or pull request, from a time, or by commit; each
-- build's tally reads its cells (cells' UNIQUE (build_id, key)) and each cell's
-- latest attempt (attempts' UNIQUE (cell_id, number), scanned backwards).
CREATE INDEX builds_by_repository_newest ON builds (repository_id, id DESC);
CREATE INDEX builds_by_branch_newest ON builds (repository_id, branch, id DESC) WHERE branch IS NOT NULL;
CREATE INDEX builds_by_pull_newest ON builds (repository_id, pull_number, id DESC) WHERE pull_number IS NOT NULL;
CREATE INDEX builds_by_commit ON builds (head_sha);
CREATE INDEX builds_by_time ON builds (created_at);
