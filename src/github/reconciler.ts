/**
 * The reconciler: one pass brings the database, the queues and GitHub into
 * agreement. It runs at every server start and on a schedule shared by all
 * servers (a BullMQ job scheduler on the maintenance queue), so whatever a
 * fault left behind (a Redis that lost its data, a worker killed for good, a
 * sync that gave up while GitHub was down) converges:
 *   - every open attempt has a live job, or is queued again, or ends with the reason;
 *   - nothing stays in progress past its time limit plus a grace period;
 *   - a limited build's held cells get the places that are free (a release lost to a crash is made);
 *   - every check run (cells and matrix) is brought to what the database says.
 */
import type { Redis } from "ioredis";
import type { Cell } from "../config/matrix.ts";
import { buildsWithHeldAttempts } from "../db/build-places.ts";
import type { Db } from "../db/connect.ts";
import { openAttempts, requeueAttempt, unfinishedMatrices, unsyncedAttempts } from "../db/convergence.ts";
import {
  ALIVE_TTL_MS,
  attemptAliveKey,
  attemptJobId,
  attemptLostKey,
  cellEventJobId,
  type Queues,
} from "../queue/queues.ts";
import { endAttempt } from "./attempt-end.ts";
import { MATRIX_DEBOUNCE_MS } from "./cell-events.ts";
import { cellJob } from "./cell-job.ts";
import { type JobState, type ObservedAttempt, reconcileAttempt } from "./reconcile-policy.ts";
import { releaseHeldCells } from "./release-cells.ts";

export interface ReconcilerOptions {
  /** Time past a cell's limit before an attempt in progress counts as stuck (image, source, outputs). */
  readonly graceMs: number;
  /** Times a lost attempt is queued again before it ends as lost. */
  readonly maxRequeues: number;
  /** Attempts younger than this are left alone: the app may still be queueing them. */
  readonly minAgeMs: number;
  /** How long an attempt stays with no job and no worker before it is queued again. */
  readonly lostAfterMs: number;
  /** How far back check runs are brought up to date. */
  readonly lookbackMs: number;
}

export const RECONCILER_DEFAULTS: ReconcilerOptions = {
  graceMs: 30 * 60_000,
  maxRequeues: 3,
  minAgeMs: 60_000,
  // Longer than an alive key lives unrenewed (ALIVE_TTL_MS): after a Redis loss, workers set theirs again first.
  lostAfterMs: 2 * ALIVE_TTL_MS,
  lookbackMs: 3 * 24 * 3600_000,
};

export interface ReconcilerDeps {
  readonly db: Db;
  readonly queues: Queues;
  readonly redis: Redis;
  readonly prefix: string;
  /** Tells whichever worker holds an attempt to stop it. */
  readonly cancelRunning: (attemptId: string) => Promise<void>;
  readonly options?: Partial<ReconcilerOptions>;
}

/** What one pass did, for its log line and the tests. */
export interface ReconcileReport {
  readonly requeued: string[];
  readonly concluded: { attemptId: string; conclusion: string }[];
  readonly eventsRetried: string[];
  /** Attempts whose check run was synced again. */
  readonly resynced: string[];
  /** Held attempts given a place of their build's max_parallel. */
  readonly released: string[];
}

export async function reconcile(deps: ReconcilerDeps, now: Date = new Date()): Promise<ReconcileReport> {
  const options = { ...RECONCILER_DEFAULTS, ...deps.options };
  const { db, queues } = deps;
  const report: ReconcileReport = { requeued: [], concluded: [], eventsRetried: [], resynced: [], released: [] };
  const touchedBuilds = new Set<string>();

  for (const open of await openAttempts(db, new Date(now.getTime() - options.minAgeMs))) {
    const { attempt, cell, build, installationId } = open;
    const queue = queues.cellQueue(cell.platform as Cell["platform"]);
    const job = await queue.getJob(attemptJobId(attempt.id));
    const jobState = job ? ((await job.getState()) as JobState | "unknown") : "missing";
    const finished = await queues.events.getJob(cellEventJobId("finished", attempt.id));
    const finishedState = finished ? await finished.getState() : "missing";
    const lostKey = attemptLostKey(deps.prefix, attempt.id);
    const lost = await deps.redis.get(lostKey);
    const seen: ObservedAttempt = {
      state: attempt.state as ObservedAttempt["state"],
      startedAt: attempt.started_at,
      worker: attempt.worker,
      timeoutMinutes: timeoutOf(build.settings),
      requeues: attempt.requeues,
      job: jobState === "unknown" ? "missing" : jobState,
      failedReason: job?.failedReason,
      stalls: job?.stalledCounter,
      finishedEvent: finishedState === "failed" ? "failed" : finishedState === "missing" ? "missing" : "pending",
      alive: (await deps.redis.exists(attemptAliveKey(deps.prefix, attempt.id))) === 1,
      lostSince: lost === null ? null : new Date(Number(lost)),
    };
    const action = reconcileAttempt(seen, {
      now,
      graceMs: options.graceMs,
      maxRequeues: options.maxRequeues,
      lostAfterMs: options.lostAfterMs,
    });
    if (action.kind === "suspect") {
      if (lost === null) await deps.redis.set(lostKey, String(now.getTime()), "PX", 24 * 3600_000, "NX");
      continue;
    }
    if (lost !== null) await deps.redis.del(lostKey);
    switch (action.kind) {
      case "none":
        break;
      case "retry-event":
        await finished?.retry("failed");
        report.eventsRetried.push(attempt.id);
        break;
      case "requeue": {
        // Only from what this pass saw: another server's pass that requeued it first wins.
        const requeued = await requeueAttempt(db, attempt.id, attempt.requeues, options.maxRequeues);
        if (!requeued) break;
        // A finished or failed job keeps its id: it goes, so the new one is not taken for it.
        if (job && (jobState === "completed" || jobState === "failed")) await job.remove().catch(() => undefined);
        await queues.enqueueCell(cellJob(build, cell.spec as Cell, attempt.id, installationId));
        await queues.requestSync({ kind: "attempt", attemptId: attempt.id });
        touchedBuilds.add(build.id);
        report.requeued.push(attempt.id);
        break;
      }
      case "conclude": {
        // As a worker's report would end it: fail_fast and the build's held cells follow.
        const ended = await endAttempt(deps, {
          attemptId: attempt.id,
          buildId: build.id,
          cellName: cell.name,
          conclusion: action.conclusion,
          summary: action.summary,
          title: action.title,
          at: now,
        });
        report.released.push(...ended.released);
        if (ended.completed) {
          if (action.cancel) await deps.cancelRunning(attempt.id);
          await queues.requestSync({ kind: "attempt", attemptId: attempt.id });
          touchedBuilds.add(build.id);
          report.concluded.push({ attemptId: attempt.id, conclusion: action.conclusion });
        }
        break;
      }
    }
  }

  // Places freed with no release after them (a server killed between a cell's end and the next one's job).
  for (const buildId of await buildsWithHeldAttempts(db)) {
    const released = await releaseHeldCells(deps, buildId);
    report.released.push(...released);
    if (released.length > 0) touchedBuilds.add(buildId);
  }

  // Check runs GitHub was not told of (a sync that gave up, or was lost with Redis's data).
  const since = new Date(now.getTime() - options.lookbackMs);
  for (const { attemptId, buildId } of await unsyncedAttempts(db, since)) {
    await queues.requestSync({ kind: "attempt", attemptId });
    touchedBuilds.add(buildId);
    report.resynced.push(attemptId);
  }
  for (const buildId of await unfinishedMatrices(db, since)) touchedBuilds.add(buildId);
  for (const buildId of touchedBuilds) {
    await queues.requestSync({ kind: "matrix", buildId }, MATRIX_DEBOUNCE_MS);
  }
  return report;
}

function timeoutOf(settings: unknown): number {
  const minutes = (settings as { timeout_minutes?: unknown } | null)?.timeout_minutes;
  return typeof minutes === "number" && minutes > 0 ? minutes : 60;
}
