/**
 * The servers' scheduled work, on the maintenance queue: a reconciler pass and
 * a redelivery pass, each on a BullMQ job scheduler shared by every server (so
 * one pass an interval, whichever server runs it), plus a reconciler pass at
 * each server's start.
 */
import { type ConnectionOptions, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Db } from "../db/connect.ts";
import { MAINTENANCE_QUEUE, type MaintenanceJob, type Queues } from "../queue/queues.ts";
import { type ReconcilerOptions, reconcile } from "./reconciler.ts";
import { type DeliveryApi, type DeliveryTry, type RedeliveryOptions, redeliverFailed } from "./redeliver.ts";
import type { InstallationOctokit } from "./reporter.ts";
import type { GitHubWriter } from "./writer.ts";

export interface MaintenanceOptions {
  /** Between reconciler passes (HEIMDALL_RECONCILE_SECONDS). */
  readonly reconcileEveryMs: number;
  /** Between redelivery passes (HEIMDALL_REDELIVER_SECONDS); 0 turns them off. */
  readonly redeliverEveryMs: number;
  readonly reconciler?: Partial<ReconcilerOptions>;
  readonly redelivery?: Partial<RedeliveryOptions>;
}

export const MAINTENANCE_DEFAULTS: MaintenanceOptions = {
  reconcileEveryMs: 60_000,
  redeliverEveryMs: 5 * 60_000,
};

/** A refused maintenance setting, naming the variable. */
export class MaintenanceSettingError extends Error {
  constructor(name: string, value: string, what: string) {
    super(`${name}=${value}: ${what}`);
    this.name = "MaintenanceSettingError";
  }
}

/**
 * The schedules from the environment: HEIMDALL_RECONCILE_SECONDS (between
 * reconciler passes, default 60), HEIMDALL_REDELIVER_SECONDS (between
 * redelivery passes, default 300; 0 turns them off) and
 * HEIMDALL_STUCK_GRACE_MINUTES (time past a cell's limit before it counts as
 * stuck, default 30).
 */
export function maintenanceOptionsOf(env: NodeJS.ProcessEnv): MaintenanceOptions {
  const number = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min)
      throw new MaintenanceSettingError(name, raw, `must be a number, at least ${min}`);
    return value;
  };
  return {
    reconcileEveryMs: number("HEIMDALL_RECONCILE_SECONDS", 60, 1) * 1000,
    redeliverEveryMs: number("HEIMDALL_REDELIVER_SECONDS", 300, 0) * 1000,
    reconciler: { graceMs: number("HEIMDALL_STUCK_GRACE_MINUTES", 30, 0) * 60_000 },
  };
}

export interface MaintenanceDeps {
  readonly db: Db;
  readonly queues: Queues;
  readonly redis: Redis;
  readonly prefix: string;
  readonly writer: GitHubWriter;
  /** An Octokit authenticated as the App itself (Probot's `auth()` with no installation). */
  readonly appOctokit: () => Promise<InstallationOctokit>;
  readonly cancelRunning: (attemptId: string) => Promise<void>;
  readonly log: Pick<Logger, "info" | "warn" | "error">;
}

/** Starts the maintenance worker and its schedules; one reconciler pass is queued at once. */
export async function startMaintenance(
  deps: MaintenanceDeps,
  connection: ConnectionOptions,
  options: MaintenanceOptions = MAINTENANCE_DEFAULTS,
): Promise<Worker<MaintenanceJob>> {
  const { queues } = deps;
  const worker = new Worker<MaintenanceJob>(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.data.task === "reconcile") {
        const report = await reconcile(
          { ...deps, ...(options.reconciler ? { options: options.reconciler } : {}) },
          new Date(),
        );
        const repaired = report.requeued.length + report.concluded.length + report.eventsRetried.length;
        if (repaired + report.released.length > 0) {
          deps.log.info({ ...report }, "reconciler: repaired what was left behind");
        }
        return report;
      }
      const report = await redeliverFailed(deps.db, deliveryApi(deps), new Date(), options.redelivery);
      if (report.requested.length > 0) deps.log.info({ ...report }, "redelivery: asked GitHub for failed deliveries");
      return report;
    },
    { connection, prefix: deps.prefix, concurrency: 1 },
  );
  worker.on("failed", (job, error) => deps.log.warn({ task: job?.data.task, err: error }, "maintenance pass failed"));

  const template = (task: MaintenanceJob["task"]) => ({
    name: task,
    data: { task },
    opts: { removeOnComplete: 10, removeOnFail: 10 },
  });
  const schedule = async () => {
    await queues.maintenance.upsertJobScheduler(
      "reconcile",
      { every: options.reconcileEveryMs },
      template("reconcile"),
    );
    if (options.redeliverEveryMs > 0) {
      await queues.maintenance.upsertJobScheduler(
        "redeliver",
        { every: options.redeliverEveryMs },
        template("redeliver"),
      );
    } else {
      await queues.maintenance.removeJobScheduler("redeliver");
    }
    // A pass now: what a crash of every server, or a Redis that lost its data, left behind is repaired at once.
    // One such pass at a time whichever servers ask: two side by side would race each other.
    await queues.maintenance.add(
      "reconcile",
      { task: "reconcile" },
      { removeOnComplete: 10, removeOnFail: 10, deduplication: { id: "reconcile-now" } },
    );
  };
  await schedule();
  // A Redis that comes back without its data has lost the schedules too: they are made again on reconnection.
  let connected = true;
  deps.redis.on("close", () => {
    connected = false;
  });
  deps.redis.on("ready", () => {
    if (connected) return;
    connected = true;
    schedule().catch((error: unknown) => deps.log.warn({ err: error }, "maintenance: could not schedule"));
  });
  return worker;
}

/** GitHub's delivery API through the App's JWT; each redelivery request is a write, limited as the others. */
function deliveryApi(deps: MaintenanceDeps): DeliveryApi {
  return {
    async *list() {
      const octokit = await deps.appOctokit();
      for await (const page of octokit.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 })) {
        yield page.data as DeliveryTry[];
      }
    },
    async redeliver(deliveryId, installationId) {
      const octokit = await deps.appOctokit();
      const request = () =>
        octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId });
      // Only deliveries the app handles are asked for (a few after an outage): in their installation's lane.
      await (installationId ? deps.writer.write(installationId, request) : request());
    },
  };
}
