/**
 * The queues between the server and the workers, on one Redis:
 *   cells-<platform>  a job per runnable cell attempt (workers take them)
 *   cell-events       what workers report: started, finished
 *   check-sync        the server's own work: bring a check run up to date
 *   maintenance       scheduled work of the servers: reconcile, redeliver
 */
import { type ConnectionOptions, type Job, Queue } from "bullmq";
import type { Platform } from "../config/catalog.ts";
import type { Cell } from "../config/matrix.ts";
import type { Annotation } from "../report/annotations.ts";

export const CELL_EVENTS_QUEUE = "cell-events";
export const CHECK_SYNC_QUEUE = "check-sync";
export const MAINTENANCE_QUEUE = "maintenance";

/**
 * A worker's event is tried until it is applied: through a database outage of
 * an hour and more (100 tries, 1 s doubling to at most a minute between them).
 * Its consumer names this strategy (see cellEventBackoff).
 */
export const CELL_EVENT_TRIES = 100;
export const CELL_EVENT_BACKOFF = "cell-event";

/** Delay before try `attemptsMade + 1` of a cell event: 1 s doubling, a minute at most. */
export function cellEventBackoff(attemptsMade: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attemptsMade - 1));
}

/** A cell's job: its attempt's id as the job's (added twice, it is one job), kept a while once done. */
const CELL_JOB_OPTIONS = (job: CellJob) => ({
  jobId: attemptJobId(job.attemptId),
  removeOnComplete: 1000,
  removeOnFail: 1000,
});

export function cellQueueName(platform: Platform): string {
  return `cells-${platform}`;
}

/** Everything a worker needs to run one attempt of a cell; no token, no secret. */
export interface CellJob {
  readonly attemptId: string;
  readonly buildId: string;
  readonly repository: string;
  readonly cloneUrl: string;
  readonly headSha: string;
  readonly installationId: string;
  readonly fork: boolean;
  readonly cell: Cell;
  readonly settings: unknown;
}

export type CellEvent =
  | { readonly type: "started"; readonly attemptId: string; readonly worker: string; readonly at: string }
  /** A stopping worker handed the attempt back to its queue, unconcluded. */
  | { readonly type: "returned"; readonly attemptId: string; readonly worker: string; readonly at: string }
  | {
      readonly type: "finished";
      readonly attemptId: string;
      /** neutral: passed, but built with another standard than its name says (standard_mismatch: warn). */
      readonly conclusion: "success" | "failure" | "cancelled" | "timed_out" | "neutral";
      /** The check run's title, e.g. "Failed: 2 errors, 1 of 12 tests failed". */
      readonly title?: string;
      /** The report's standard_check per language (null: not checked); absent from older workers. */
      readonly standardCheck?: readonly unknown[] | null;
      /** Built with another standard and the config does not ignore it: the grids mark the cell. */
      readonly standardMismatch?: boolean;
      /** Distinct diagnostics by level, as the title counts them; absent from older workers. */
      readonly errors?: number;
      readonly warnings?: number;
      /** The tests' results (null: none read); absent from older workers. */
      readonly tests?: { readonly passed: number; readonly failed: number; readonly skipped: number } | null;
      readonly summary: string;
      readonly annotations: readonly Annotation[];
      readonly at: string;
    };

/** The servers' scheduled work: one pass of the reconciler, or of the redelivery of failed deliveries. */
export interface MaintenanceJob {
  readonly task: "reconcile" | "redeliver";
}

export type SyncRequest =
  | { readonly kind: "attempt"; readonly attemptId: string }
  | { readonly kind: "matrix"; readonly buildId: string };

/** The Redis channel that says an attempt (`attempt-<id>`) or a build (`matrix-<id>`) changed: the dashboard's live feed. */
export function changesChannel(prefix: string): string {
  return `${prefix}:changes`;
}

/** The Redis channel on which the server tells workers to stop a running attempt. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

/** An event's job id: the reconciler looks a worker's `finished` up by it. */
export function cellEventJobId(type: CellEvent["type"], attemptId: string): string {
  return `${type}-${attemptId}`;
}

/**
 * The key a worker keeps alive (a few seconds' TTL, renewed) while it runs an
 * attempt: the reconciler's sign that an attempt whose job is gone (Redis lost
 * its data) is still being built and must not be queued again.
 */
export function attemptAliveKey(prefix: string, attemptId: string): string {
  return `${prefix}:alive:attempt-${attemptId}`;
}

/** How long a running attempt's alive key lasts unrenewed, and how often its worker renews it. */
export const ALIVE_TTL_MS = 30_000;
export const ALIVE_RENEW_MS = 10_000;

/** When the reconciler first found an attempt with no job and no worker (it looks again before queueing it). */
export function attemptLostKey(prefix: string, attemptId: string): string {
  return `${prefix}:lost:attempt-${attemptId}`;
}

/** A job's id from an attempt's: BullMQ refuses bare integers as custom ids. */
export function attemptJobId(attemptId: string): string {
  return `attempt-${attemptId}`;
}

export interface QueueOptions {
  readonly connection: ConnectionOptions;
  /** Redis key prefix of every queue (tests use their own). */
  readonly prefix?: string;
  /** Tells the servers' live feed what changed (`attempt-<id>`, `matrix-<id>`): the server publishes it on changesChannel. */
  readonly announce?: (change: string) => Promise<unknown>;
}

export class Queues {
  readonly events: Queue<CellEvent>;
  readonly sync: Queue<SyncRequest>;
  readonly maintenance: Queue<MaintenanceJob>;
  private readonly cells = new Map<Platform, Queue<CellJob>>();
  private readonly options: QueueOptions;

  constructor(options: QueueOptions) {
    this.options = options;
    const base = { connection: options.connection, ...(options.prefix ? { prefix: options.prefix } : {}) };
    this.events = new Queue<CellEvent>(CELL_EVENTS_QUEUE, base);
    this.sync = new Queue<SyncRequest>(CHECK_SYNC_QUEUE, base);
    this.maintenance = new Queue<MaintenanceJob>(MAINTENANCE_QUEUE, base);
  }

  /**
   * A worker's event, tried until the server applies it (a database outage
   * leaves it waiting, not lost). One job per attempt and kind: a second
   * identical report while the first waits is the same job.
   */
  async reportEvent(event: CellEvent): Promise<void> {
    await this.events.add(event.type, event, {
      jobId: cellEventJobId(event.type, event.attemptId),
      attempts: CELL_EVENT_TRIES,
      backoff: { type: CELL_EVENT_BACKOFF },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  cellQueue(platform: Platform): Queue<CellJob> {
    let queue = this.cells.get(platform);
    if (!queue) {
      queue = new Queue<CellJob>(cellQueueName(platform), {
        connection: this.options.connection,
        ...(this.options.prefix ? { prefix: this.options.prefix } : {}),
      });
      this.cells.set(platform, queue);
    }
    return queue;
  }

  /** Queues an attempt for the workers; the same attempt twice is one job. */
  async enqueueCell(job: CellJob): Promise<Job<CellJob>> {
    return this.cellQueue(job.cell.platform).add("cell", job, CELL_JOB_OPTIONS(job));
  }

  /** Many attempts at once: one call (a Redis transaction) per platform, the jobs in their order. */
  async enqueueCells(jobs: readonly CellJob[]): Promise<void> {
    const byPlatform = new Map<Platform, CellJob[]>();
    for (const job of jobs) byPlatform.set(job.cell.platform, [...(byPlatform.get(job.cell.platform) ?? []), job]);
    for (const [platform, list] of byPlatform) {
      await this.cellQueue(platform).addBulk(
        list.map((job) => ({ name: "cell", data: job, opts: CELL_JOB_OPTIONS(job) })),
      );
    }
  }

  /** Takes a waiting attempt off its queue; false when a worker already has it. */
  async dequeueCell(platform: Platform, attemptId: string): Promise<boolean> {
    const job = await this.cellQueue(platform).getJob(attemptJobId(attemptId));
    if (!job) return false;
    const state = await job.getState();
    if (state !== "waiting" && state !== "delayed" && state !== "prioritized") return false;
    await job.remove();
    return true;
  }

  /**
   * Asks the reporter to bring a check run up to date. Requests for one attempt
   * (or one build's matrix) coalesce while waiting, and do not run side by side
   * (short of a live server losing its job lock, which BullMQ cannot tell from a dead one):
   * a request made while its sync is running is kept and runs after it, so a
   * state change that lands after the running sync read the database is never
   * lost (a plain job id would drop it until the running job is removed).
   */
  async requestSync(request: SyncRequest, delayMs = 0): Promise<void> {
    const id = request.kind === "attempt" ? `attempt-${request.attemptId}` : `matrix-${request.buildId}`;
    // Every change a check run must show is a change the dashboard shows: told at once, not after the debounce.
    await this.options.announce?.(id);
    await this.sync.add(request.kind, request, {
      deduplication: { id, keepLastIfActive: true },
      delay: delayMs,
      removeOnComplete: true,
      removeOnFail: true,
      // A sync that fails takes the requests that joined it down with it: its tries
      // (2 s doubling, about 68 min in all) outlast a GitHub outage of an hour.
      attempts: 12,
      backoff: { type: "exponential", delay: 2000 },
    });
  }

  async close(): Promise<void> {
    await Promise.all([
      this.events.close(),
      this.sync.close(),
      this.maintenance.close(),
      ...[...this.cells.values()].map((q) => q.close()),
    ]);
  }
}
