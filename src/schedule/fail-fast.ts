/**
 * fail_fast: the first cell of a build that fails or runs out of time ends the
 * others. Pure: which conclusions stop a build, and the words every cancelled
 * cell says, the same on a check run (github/attempt-end.ts) and in
 * `heimdall-build run`'s report (local-run.ts).
 */

/** The conclusions that stop a fail_fast build. A cancel stops nothing (it is the stop), nor does a neutral pass. */
export type StoppingConclusion = "failure" | "timed_out";

export function stopsBuild(conclusion: string | null): conclusion is StoppingConclusion {
  return conclusion === "failure" || conclusion === "timed_out";
}

/** Why the others were cancelled, naming the cell: "linux / gcc-12 / c++20 / Release failed (fail_fast)". */
export function failFastReason(cellName: string, conclusion: StoppingConclusion): string {
  return `${cellName} ${conclusion === "timed_out" ? "timed out" : "failed"} (fail_fast)`;
}

/** A cancelled cell's check run: its title names the cell that failed, its summary says what fail_fast did. */
export function failFastCancel(
  cellName: string,
  conclusion: StoppingConclusion,
): { readonly title: string; readonly summary: string } {
  const what = conclusion === "timed_out" ? "timed out" : "failed";
  return {
    title: `Cancelled: ${failFastReason(cellName, conclusion)}`,
    summary:
      `Cancelled: **${cellName}** ${what}, and this build has \`fail_fast: true\`, so its cells still queued or ` +
      "running were stopped; those that had finished keep their result. Use **Re-run** to build this cell again.",
  };
}

/** What fail_fast makes of a cell's end: the words its build's other cells are stopped with, or null when the build goes on. */
export interface FailFastStop {
  /** `run`'s reason for each stopped cell: "linux / gcc-12 / c++20 / Release failed (fail_fast)". */
  readonly reason: string;
  /** The stopped cells' check runs. */
  readonly title: string;
  readonly summary: string;
}

/**
 * Whether a cell's end stops its build: the build has `fail_fast: true` and
 * the cell failed or timed out. The server (github/attempt-end.ts) and `run`
 * (local-run.ts) both ask this.
 */
export function failFastStop(failFast: boolean, cellName: string, conclusion: string | null): FailFastStop | null {
  if (!failFast || !stopsBuild(conclusion)) return null;
  return { reason: failFastReason(cellName, conclusion), ...failFastCancel(cellName, conclusion) };
}
