/**
 * Cancelling what is left of a build: the one path for a newer commit that
 * supersedes it (app.ts) and for fail_fast (attempt-end.ts). The database
 * first, in the caller's transaction with the build's row locked, so a release
 * of held cells (release-cells.ts) either ran before, and its jobs are there to
 * be taken off their queue, or runs after and finds the cells ended; then, once
 * committed, each cell's job is taken off its queue or its worker told to stop
 * its container, and its check run synced.
 */
import type { Platform } from "../config/catalog.ts";
import { lockBuild } from "../db/build-places.ts";
import type { Db } from "../db/connect.ts";
import type { AttemptState } from "../db/schema.ts";
import { latestAttempts, markCompleted } from "../db/store.ts";
import type { Queues } from "../queue/queues.ts";

/** What a cancelled cell's check run says (no title: the conclusion's word). */
export interface CancelWords {
  readonly title: string | null;
  readonly summary: string;
}

/** An attempt the database now says is cancelled, and where it was before. */
export interface CancelledAttempt {
  readonly attemptId: string;
  readonly platform: Platform;
  readonly was: AttemptState;
  /** Held for a place of max_parallel: no job, no worker. */
  readonly held: boolean;
}

export interface StopDeps {
  readonly queues: Queues;
  /** Tells whichever worker holds an attempt to stop its container (the cancel channel). */
  readonly cancelRunning: (attemptId: string) => Promise<void>;
}

/** Every cell of the build not yet ended (finished and skipped ones keep their conclusion) concluded cancelled. */
export async function cancelOpenCellsIn(tx: Db, buildId: string, words: CancelWords): Promise<CancelledAttempt[]> {
  await lockBuild(tx, buildId);
  const cancelled: CancelledAttempt[] = [];
  const at = new Date();
  for (const { cell, attempt } of await latestAttempts(tx, buildId)) {
    if (attempt.state === "completed") continue;
    if (await markCompleted(tx, attempt.id, "cancelled", words.summary, at, words.title)) {
      cancelled.push({
        attemptId: attempt.id,
        platform: cell.platform as Platform,
        was: attempt.state,
        held: attempt.held,
      });
    }
  }
  return cancelled;
}

/** After the commit: the cancelled cells' jobs and containers stopped, their check runs synced (the matrix is the caller's). */
export async function stopCancelled(deps: StopDeps, cancelled: readonly CancelledAttempt[]): Promise<void> {
  const { queues } = deps;
  for (const { attemptId, platform, was, held } of cancelled) {
    // Taken off its queue; or, when a worker already took it (its `started` not yet applied) or it
    // runs, whichever worker holds it stops its container. A held cell has neither job nor worker.
    if ((was === "queued" && !held) || was === "in_progress") {
      const dequeued = was === "queued" && (await queues.dequeueCell(platform, attemptId));
      if (!dequeued) await deps.cancelRunning(attemptId);
    }
    await queues.requestSync({ kind: "attempt", attemptId });
  }
}

/** Cancels what is left of a build: `first` (marking it superseded, say) in the same transaction. */
export async function cancelOpenCells(
  deps: StopDeps & { readonly db: Db },
  buildId: string,
  words: CancelWords,
  first?: (tx: Db) => Promise<void>,
): Promise<CancelledAttempt[]> {
  const cancelled = await deps.db.transaction().execute(async (tx) => {
    await first?.(tx);
    return cancelOpenCellsIn(tx, buildId, words);
  });
  await stopCancelled(deps, cancelled);
  return cancelled;
}
