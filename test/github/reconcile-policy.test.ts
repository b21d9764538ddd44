/** The reconciler's decisions, one row a case: what it does with each open attempt it finds. */
import { describe, expect, test } from "vitest";
import { type ObservedAttempt, reconcileAttempt } from "../../src/github/reconcile-policy.ts";

const now = new Date("2026-12-06T12:00:00Z");
const limits = { now, graceMs: 30 * 60_000, maxRequeues: 3, lostAfterMs: 60_000 };
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

const queued: ObservedAttempt = {
  state: "queued",
  startedAt: null,
  worker: null,
  timeoutMinutes: 60,
  requeues: 0,
  job: "waiting",
  finishedEvent: "missing",
  alive: false,
  lostSince: null,
};
/** Seen with no job and no worker by a pass two minutes ago. */
const longLost = { lostSince: minutesAgo(2) };
const running: ObservedAttempt = {
  ...queued,
  state: "in_progress",
  startedAt: minutesAgo(5),
  worker: "w1",
  job: "active",
  alive: true,
};

describe("reconcileAttempt", () => {
  test.each(["waiting", "delayed", "prioritized", "active", "waiting-children"] as const)(
    "an attempt whose job is %s is left alone",
    (job) => {
      expect(reconcileAttempt({ ...queued, job }, limits)).toEqual({ kind: "none" });
      expect(reconcileAttempt({ ...running, job }, limits)).toEqual({ kind: "none" });
    },
  );

  test("a queued attempt without a job is only suspected at first, and queued again once it stays so past lostAfterMs", () => {
    expect(reconcileAttempt({ ...queued, job: "missing" }, limits)).toEqual({ kind: "suspect" });
    expect(
      reconcileAttempt({ ...queued, job: "missing", lostSince: new Date(now.getTime() - 59_000) }, limits),
    ).toEqual({
      kind: "suspect",
    });
    const action = reconcileAttempt({ ...queued, job: "missing", ...longLost }, limits);
    expect(action).toMatchObject({ kind: "requeue", why: expect.stringContaining("no job") });
  });

  test("a running attempt whose job is gone is left to its worker while the worker keeps it alive", () => {
    expect(reconcileAttempt({ ...running, job: "missing", alive: true, ...longLost }, limits)).toEqual({
      kind: "none",
    });
    expect(reconcileAttempt({ ...running, job: "missing", alive: false, ...longLost }, limits)).toMatchObject({
      kind: "requeue",
      why: expect.stringContaining("no worker"),
    });
  });

  test("a finished job of an attempt a worker still runs (queued twice) waits for that worker", () => {
    expect(reconcileAttempt({ ...running, job: "completed", alive: true }, limits)).toEqual({ kind: "none" });
  });

  test("a lost attempt queued again as often as allowed ends as a failure naming how often", () => {
    const action = reconcileAttempt({ ...queued, job: "missing", requeues: 3, ...longLost }, limits);
    expect(action).toMatchObject({ kind: "conclude", conclusion: "failure", title: "Failed: lost 4 times" });
  });

  test("a job BullMQ failed after its workers died concludes failure, saying how often and that the code is not to blame", () => {
    const action = reconcileAttempt(
      { ...running, job: "failed", failedReason: "job stalled more than allowable limit", stalls: 3, alive: false },
      limits,
    );
    expect(action).toMatchObject({
      kind: "conclude",
      conclusion: "failure",
      title: "Failed: its worker died 3 times",
      cancel: true,
    });
    expect(action.kind === "conclude" && action.summary).toContain("This says nothing of the code");
  });

  test("any other failed job concludes failure with its reason", () => {
    const action = reconcileAttempt({ ...queued, job: "failed", failedReason: "boom" }, limits);
    expect(action).toMatchObject({ kind: "conclude", conclusion: "failure" });
    expect(action.kind === "conclude" && action.summary).toContain("boom");
  });

  test("a finished job waits for its report, retries a report that failed for good, and runs again when the report is lost", () => {
    const done = { ...running, job: "completed" as const, alive: false };
    expect(reconcileAttempt({ ...done, finishedEvent: "pending" }, limits)).toEqual({ kind: "none" });
    expect(reconcileAttempt({ ...done, finishedEvent: "failed" }, limits)).toEqual({ kind: "retry-event" });
    expect(reconcileAttempt({ ...done, finishedEvent: "missing" }, limits)).toMatchObject({
      kind: "requeue",
      why: expect.stringContaining("result was lost"),
    });
  });

  test("in progress past its limit plus the grace: timed out and cancelled, whatever its job says", () => {
    const stuck = { ...running, timeoutMinutes: 1, startedAt: minutesAgo(31.5) };
    expect(reconcileAttempt(stuck, limits)).toMatchObject({
      kind: "conclude",
      conclusion: "timed_out",
      title: "Timed out: no result 31 min after it started",
      cancel: true,
    });
    // A minute earlier it is within 1 min + 30 min of grace.
    expect(reconcileAttempt({ ...stuck, startedAt: minutesAgo(30.5) }, limits)).toEqual({ kind: "none" });
    // Handed back to its queue by a stopping worker, it waits for another: not stuck.
    expect(reconcileAttempt({ ...stuck, job: "waiting" }, limits)).toEqual({ kind: "none" });
    // The grace is the caller's: with none, a minute past the limit is stuck.
    expect(reconcileAttempt({ ...stuck, startedAt: minutesAgo(1.5) }, { ...limits, graceMs: 0 })).toMatchObject({
      kind: "conclude",
      conclusion: "timed_out",
    });
  });
});
