/**
 * A build's state and conclusion from its cells' latest attempts: the matrix
 * check's and the API's one rule. While a cell is queued or running the build
 * is not concluded; then any failure (or time-out) fails it, else a cell
 * waiting for approval makes it action_required, else a cancelled one
 * cancelled, else a pass with another standard neutral, else success.
 */

export interface CellTally {
  readonly total: number;
  readonly queued: number;
  readonly inProgress: number;
  readonly waitingApproval: number;
  readonly success: number;
  readonly failure: number;
  readonly timedOut: number;
  readonly cancelled: number;
  readonly skipped: number;
  readonly neutral: number;
  /** Completed attempts that ended action_required (an approved fork's superseded attempt). */
  readonly actionRequired: number;
}

export type BuildStatus = "queued" | "in_progress" | "completed";
export type BuildConclusion = "success" | "failure" | "cancelled" | "action_required" | "neutral";

export interface BuildOutcome {
  readonly status: BuildStatus;
  /** Null until no cell is queued or running. */
  readonly conclusion: BuildConclusion | null;
}

export function buildOutcome(t: CellTally): BuildOutcome {
  const open = t.queued + t.inProgress;
  if (open > 0) {
    const started = t.inProgress + t.success + t.failure + t.timedOut + t.cancelled + t.neutral + t.actionRequired > 0;
    return { status: started ? "in_progress" : "queued", conclusion: null };
  }
  const conclusion: BuildConclusion =
    t.failure + t.timedOut > 0
      ? "failure"
      : t.waitingApproval > 0
        ? "action_required"
        : t.cancelled > 0
          ? "cancelled"
          : t.neutral > 0
            ? "neutral"
            : "success";
  return { status: "completed", conclusion };
}

/** The tally of cells' latest attempts as (state, conclusion) pairs. */
export function tallyOf(
  attempts: readonly { readonly state: string; readonly conclusion: string | null }[],
): CellTally {
  const count = (state: string, conclusion?: string) =>
    attempts.filter((a) => a.state === state && (conclusion === undefined || a.conclusion === conclusion)).length;
  return {
    total: attempts.length,
    queued: count("queued"),
    inProgress: count("in_progress"),
    waitingApproval: count("waiting_approval"),
    success: count("completed", "success"),
    failure: count("completed", "failure"),
    timedOut: count("completed", "timed_out"),
    cancelled: count("completed", "cancelled"),
    skipped: count("completed", "skipped"),
    neutral: count("completed", "neutral"),
    actionRequired: count("completed", "action_required"),
  };
}
