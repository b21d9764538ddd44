/**
 * max_parallel: at most N cells of one build run at once. Pure, so the server
 * (github/release-cells.ts, which releases a build's held cells to their
 * queue) and `heimdall-build run` (local-run.ts, its lanes) count alike.
 */

/**
 * The held cells to release now, first held first: as many as the build has
 * free places. `taken` counts the cells holding a place (released and not yet
 * ended: waiting on their queue, or running).
 */
export function cellsToRelease<T>(limit: number | null, taken: number, held: readonly T[]): T[] {
  if (limit === null) return [...held];
  return held.slice(0, Math.max(0, limit - taken));
}

/** How many cells `run` builds at once: its --jobs, within max_parallel, never more than there are cells (one at least). */
export function runLanes(jobs: number, limit: number | null | undefined, cells: number): number {
  return Math.max(1, Math.min(jobs, limit ?? jobs, cells));
}

/** The words a queued cell of a limited build says while it waits. */
export function placesWords(limit: number): string {
  return `at most ${limit} of this build's cells run at once (max_parallel)`;
}
