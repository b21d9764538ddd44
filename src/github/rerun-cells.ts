/**
 * Re-runs: new attempts of a build's chosen cells, as GitHub's "Re-run" and the
 * API's POST /builds/{id}/rerun make them. The attempts are added in the
 * caller's transaction (a webhook's with its delivery's record, so a duplicate
 * delivery adds none); once committed, each gets its job and its check run.
 */
import type { Cell } from "../config/matrix.ts";
import type { Db } from "../db/connect.ts";
import type { Attempt, Build } from "../db/schema.ts";
import { addAttemptIn, attemptContext, type CellAttempt, latestAttempts } from "../db/store.ts";
import { isApproved } from "../db/webhook-records.ts";
import type { Queues } from "../queue/queues.ts";
import { cellJob } from "./cell-job.ts";
import { releaseHeldCells } from "./release-cells.ts";

export interface NewAttempt {
  readonly build: Build;
  readonly attempt: Attempt;
}

export interface RerunDeps {
  readonly db: Db;
  readonly queues: Queues;
}

/** Conclusions a "re-run what failed" runs again (the matrix check's Re-run, the API's failed_only). */
export const RERUN_CONCLUSIONS: readonly string[] = ["failure", "cancelled", "timed_out"];

/** Whether a cell's latest attempt ended in a way "re-run what failed" runs again. */
export function failedCell({ attempt }: CellAttempt): boolean {
  return attempt.state === "completed" && RERUN_CONCLUSIONS.includes(attempt.conclusion ?? "");
}

/**
 * The state of a re-run's new attempt: a fork's commit that nobody approved waits
 * for approval again (unless the default branch said `fork_prs: run`), however
 * its earlier attempt ended (cancelled by a newer commit, say): a re-run is no approval.
 */
export async function newAttemptState(db: Db, build: Build): Promise<"queued" | "waiting_approval"> {
  if (!build.fork || (build.settings as { fork_prs?: string }).fork_prs === "run") return "queued";
  return (await isApproved(db, build.repository_id, build.head_sha)) ? "queued" : "waiting_approval";
}

/** A new attempt of each cell of `build` that `pick` chooses by its latest attempt, in the caller's transaction. */
export async function addAttemptsIn(tx: Db, build: Build, pick: (cell: CellAttempt) => boolean): Promise<NewAttempt[]> {
  const attempts: NewAttempt[] = [];
  const state = await newAttemptState(tx, build);
  for (const latest of await latestAttempts(tx, build.id)) {
    if (pick(latest)) attempts.push({ build, attempt: await addAttemptIn(tx, latest.cell.id, state) });
  }
  return attempts;
}

/** New attempts committed: each queued one gets its job (a held one when its build has a place), each its check run. */
export async function startAttempts(deps: RerunDeps, attempts: readonly NewAttempt[]): Promise<void> {
  const limited = new Set<string>();
  for (const { build, attempt } of attempts) {
    const context = await attemptContext(deps.db, attempt.id);
    if (!context) continue;
    if (attempt.held) limited.add(build.id);
    else if (attempt.state === "queued") {
      await deps.queues.enqueueCell(cellJob(build, context.cell.spec as Cell, attempt.id, context.installationId));
    }
    await deps.queues.requestSync({ kind: "attempt", attemptId: attempt.id });
  }
  for (const buildId of limited) await releaseHeldCells(deps, buildId);
}
