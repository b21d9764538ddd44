/**
 * An attempt ends: its conclusion written once; under fail_fast, a failure (or
 * a time-out) cancels the build's other cells in the same transaction, so no
 * crash can leave the failure written and the others running; then the build's
 * held cells get the places that freed. A worker's `finished` (cell-events.ts)
 * and the reconciler's conclusion (reconciler.ts) both end attempts here.
 */
import type { Logger } from "pino";
import { lockBuild } from "../db/build-places.ts";
import type { Db } from "../db/connect.ts";
import { type AttemptCounts, markCompleted } from "../db/store.ts";
import type { Queues } from "../queue/queues.ts";
import { failFastStop } from "../schedule/fail-fast.ts";
import { type CancelledAttempt, cancelOpenCellsIn, type StopDeps, stopCancelled } from "./cancel-cells.ts";
import { releaseHeldCells } from "./release-cells.ts";

export interface AttemptEndDeps extends StopDeps {
  readonly db: Db;
  readonly queues: Queues;
  /** Says when fail_fast stopped a build. */
  readonly log?: Pick<Logger, "info">;
}

export interface AttemptEnding {
  readonly attemptId: string;
  readonly buildId: string;
  /** The cell's name, which the cells fail_fast cancels give as their reason. */
  readonly cellName: string;
  readonly conclusion: string;
  readonly summary: string | null;
  readonly title: string | null;
  readonly at: Date;
  readonly standards?: { readonly check: unknown; readonly mismatch: boolean } | null;
  /** The worker's counts (errors, warnings, tests); null: none reported (the reconciler's ends, older workers). */
  readonly counts?: AttemptCounts | null;
}

export interface AttemptEnded {
  /** False when the attempt had already ended (a cancel overtook its worker's report): nothing of it changed. */
  readonly completed: boolean;
  /** The cells fail_fast cancelled. */
  readonly cancelled: readonly CancelledAttempt[];
  /** The held cells given a place. */
  readonly released: readonly string[];
}

export async function endAttempt(deps: AttemptEndDeps, ending: AttemptEnding): Promise<AttemptEnded> {
  const { completed, cancelled } = await deps.db.transaction().execute(async (tx) => {
    // The build's row first, as every release and cancel of it takes it: they take turns, never deadlock.
    const build = await lockBuild(tx, ending.buildId);
    const completed = await markCompleted(
      tx,
      ending.attemptId,
      ending.conclusion,
      ending.summary,
      ending.at,
      ending.title,
      ending.standards ?? null,
      ending.counts ?? null,
    );
    const stop = completed && build ? failFastStop(build.fail_fast, ending.cellName, ending.conclusion) : null;
    if (!stop) return { completed, cancelled: [] };
    return { completed, cancelled: await cancelOpenCellsIn(tx, ending.buildId, stop) };
  });
  if (cancelled.length > 0) {
    deps.log?.info(
      {
        buildId: ending.buildId,
        attemptId: ending.attemptId,
        conclusion: ending.conclusion,
        cancelled: cancelled.length,
      },
      "fail_fast: a cell failed; the build's other cells are cancelled",
    );
  }
  await stopCancelled(deps, cancelled);
  // Whether or not this call ended it: a release lost when an earlier try was cut short is made now.
  const released = await releaseHeldCells(deps, ending.buildId);
  return { completed, cancelled, released };
}
