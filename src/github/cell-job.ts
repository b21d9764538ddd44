/** A queued attempt as its worker's job: what the app and the reconciler put on a cell queue. */
import type { Cell } from "../config/matrix.ts";
import type { Build } from "../db/schema.ts";
import type { CellJob } from "../queue/queues.ts";

export function cellJob(build: Build, cell: Cell, attemptId: string, installationId: number | string): CellJob {
  return {
    attemptId,
    buildId: build.id,
    repository: build.head_repository,
    cloneUrl: build.clone_url,
    headSha: build.head_sha,
    installationId: String(installationId),
    fork: build.fork,
    cell,
    settings: build.settings,
  };
}
