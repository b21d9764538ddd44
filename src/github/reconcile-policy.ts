/**
 * What the reconciler does with one attempt that is neither waiting for approval
 * nor concluded, from what it saw of it in the database and in Redis. Pure, so
 * every case is a table row in the tests; `reconciler.ts` does the seeing and
 * the doing.
 *
 * The invariant it restores: every attempt ends concluded, every queued attempt
 * has exactly one job, and nothing stays in progress past its time limit.
 */

/** A cell job's state as BullMQ reports it, or `missing` when Redis has no such job. */
export type JobState =
  | "waiting"
  | "delayed"
  | "prioritized"
  | "waiting-children"
  | "active"
  | "completed"
  | "failed"
  | "missing";

export interface ObservedAttempt {
  readonly state: "queued" | "in_progress";
  readonly startedAt: Date | null;
  readonly worker: string | null;
  /** The cell's time limit (timeout_minutes). */
  readonly timeoutMinutes: number;
  /** Times the reconciler already put it back on its queue. */
  readonly requeues: number;
  readonly job: JobState;
  /** Why BullMQ failed the job (a failed job). */
  readonly failedReason?: string | undefined;
  /** How often the job was found stalled: its worker died while running it. */
  readonly stalls?: number | undefined;
  /** The worker's `finished` event: waiting to be applied, failed for good, or none. */
  readonly finishedEvent: "pending" | "failed" | "missing";
  /** A worker renews the attempt's alive key while it runs it. */
  readonly alive: boolean;
  /**
   * When an earlier pass first found it with no job and no worker (null: not
   * yet). A Redis that has just lost its data has lost the alive keys too, until
   * their workers renew them: one sighting is not enough to queue a cell again.
   */
  readonly lostSince: Date | null;
}

export interface ReconcileLimits {
  readonly now: Date;
  /** Time on top of the cell's limit for its image, source and outputs before it counts as stuck. */
  readonly graceMs: number;
  /** Times an attempt is put back on its queue before it ends as lost. */
  readonly maxRequeues: number;
  /** How long an attempt must stay with no job and no worker before it counts as lost (longer than an alive key lives). */
  readonly lostAfterMs: number;
}

export type ReconcileAction =
  | { readonly kind: "none" }
  | { readonly kind: "requeue"; readonly why: string }
  | { readonly kind: "retry-event" }
  /** Seen with no job and no worker: remember since when, and look again next pass. */
  | { readonly kind: "suspect" }
  | {
      readonly kind: "conclude";
      readonly conclusion: "failure" | "timed_out";
      readonly title: string;
      readonly summary: string;
      /** Tell whichever worker may still hold it to stop its container. */
      readonly cancel: boolean;
    };

const LIVE: ReadonlySet<JobState> = new Set(["waiting", "delayed", "prioritized", "waiting-children", "active"]);

const RERUN = "Use **Re-run** to build it again.";

export function reconcileAttempt(seen: ObservedAttempt, limits: ReconcileLimits): ReconcileAction {
  // Stuck in a worker, or with no worker at all; a job back on its queue (a worker handed it back) is not stuck.
  if (seen.state === "in_progress" && seen.startedAt !== null && (seen.job === "active" || seen.job === "missing")) {
    const limitMs = seen.timeoutMinutes * 60_000;
    const ranMs = limits.now.getTime() - seen.startedAt.getTime();
    if (ranMs > limitMs + limits.graceMs) {
      const minutes = Math.floor(ranMs / 60_000);
      return {
        kind: "conclude",
        conclusion: "timed_out",
        title: `Timed out: no result ${minutes} min after it started`,
        summary:
          `This cell started at ${seen.startedAt.toISOString()}${seen.worker ? ` on worker \`${seen.worker}\`` : ""} ` +
          `and had not ended ${minutes} minutes later: its limit is ${seen.timeoutMinutes} min ` +
          `(timeout_minutes), plus ${Math.round(limits.graceMs / 60_000)} min for its image, source and outputs. ` +
          `heimdall-build ended it; its worker may have died or lost its connection. ${RERUN}`,
        cancel: true,
      };
    }
  }
  if (LIVE.has(seen.job)) return { kind: "none" };
  // BullMQ gave it up (a dead worker's alive key may outlive it by a few seconds: no matter).
  if (seen.job === "failed") return failedJob(seen);
  // A worker runs it (its job lost with Redis's data, or this run a second one): its end is on its way.
  if (seen.alive) return { kind: "none" };
  if (seen.job === "completed") {
    // The worker finished; its report is on its way, failed for good, or was lost with Redis's data.
    if (seen.finishedEvent === "pending") return { kind: "none" };
    if (seen.finishedEvent === "failed") return { kind: "retry-event" };
    return requeue(seen, limits, "its worker finished it, but the result was lost before the server applied it");
  }
  // No job and no worker: lost with Redis's data (a restart without persistence), or never queued
  // (Redis away at delivery). Only when it stays so past an alive key's life: a worker renews it meanwhile.
  if (seen.lostSince === null || limits.now.getTime() - seen.lostSince.getTime() < limits.lostAfterMs) {
    return { kind: "suspect" };
  }
  return requeue(
    seen,
    limits,
    seen.state === "queued"
      ? "it had no job on its queue (Redis lost it, or was away when the cell was queued)"
      : "its job was lost and no worker is running it",
  );
}

function requeue(seen: ObservedAttempt, limits: ReconcileLimits, why: string): ReconcileAction {
  if (seen.requeues < limits.maxRequeues) return { kind: "requeue", why };
  return {
    kind: "conclude",
    conclusion: "failure",
    title: `Failed: lost ${seen.requeues + 1} times`,
    summary:
      `heimdall-build queued this cell again ${seen.requeues} times and lost it each time; the last time ${why}. ` +
      `It gave up rather than keep it queued for ever. ${RERUN}`,
    cancel: true,
  };
}

function failedJob(seen: ObservedAttempt): ReconcileAction {
  const reason = seen.failedReason ?? "unknown";
  // BullMQ fails a job whose worker died (stopped renewing its lock) more often than allowed.
  if (/stalled/i.test(reason)) {
    const times = (seen.stalls ?? 0) > 0 ? `${seen.stalls} times` : "too often";
    return {
      kind: "conclude",
      conclusion: "failure",
      title: `Failed: its worker died ${times}`,
      summary:
        `Each worker that took this cell stopped while building it (killed, crashed, or out of memory on its host), ` +
        `${times}; heimdall-build gave up so the check does not stay in progress. ` +
        `This says nothing of the code: ${RERUN}`,
      cancel: true,
    };
  }
  return {
    kind: "conclude",
    conclusion: "failure",
    title: "Failed: heimdall-build could not run this cell",
    summary: `The worker's job failed: ${reason.slice(0, 2000)}. ${RERUN}`,
    cancel: true,
  };
}
