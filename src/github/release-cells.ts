/**
 * max_parallel across every worker: a limited build's cells start held (queued,
 * no job), and the server releases them to `cells-<platform>` while the build
 * has free places: when the build is made, when one of its cells ends (a worker's
 * `finished`, the reconciler's conclusion, a cancel), and on every reconciler
 * pass, which makes up for a release lost between a cell's end and the next
 * one's job (a server killed there). Workers never see a held cell.
 */
import type { Cell } from "../config/matrix.ts";
import { buildPlaces, markReleased } from "../db/build-places.ts";
import type { Db } from "../db/connect.ts";
import type { Queues } from "../queue/queues.ts";
import { cellsToRelease } from "../schedule/max-parallel.ts";
import { cellJob } from "./cell-job.ts";

export interface ReleaseDeps {
  readonly db: Db;
  readonly queues: Queues;
}

/** Releases what the build's free places allow; the attempts released. Safe to repeat and to run beside another. */
export async function releaseHeldCells(deps: ReleaseDeps, buildId: string): Promise<string[]> {
  return deps.db.transaction().execute(async (tx) => {
    const places = await buildPlaces(tx, buildId);
    if (!places || places.held.length === 0) return [];
    const chosen = cellsToRelease(places.build.max_parallel, places.taken, places.held);
    if (chosen.length === 0) return [];
    await markReleased(
      tx,
      chosen.map((c) => c.attemptId),
    );
    // Queued before the commit, while the build's row is locked: a cancel of the build (a newer
    // commit, fail_fast) waits for this transaction and then finds these jobs to take off their
    // queue. Should the commit fail, an attempt stays held with a job: its worker's `started`
    // gives it its place (markStarted), and a later release adds no second job (one id an attempt).
    for (const { attemptId, cell } of chosen) {
      await deps.queues.enqueueCell(cellJob(places.build, cell.spec as Cell, attemptId, places.installationId));
    }
    return chosen.map((c) => c.attemptId);
  });
}
