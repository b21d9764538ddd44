/**
 * `heimdall-build worker`: takes cells from its platform's queue and runs them,
 * reporting `started` and `finished` on the events queue (workers never call
 * GitHub). A cell whose worker dies is taken again by another (BullMQ's
 * stalled-job recovery); closing finishes the running cells first.
 */
import os from "node:os";
import { type Job, Worker } from "bullmq";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { findCompiler, imageTag, type Platform } from "./config/catalog.ts";
import type { BuildSettings } from "./executor/cell-script.ts";
import { ensureImage, imageSpec } from "./executor/images.ts";
import { runCell } from "./executor/run-cell.ts";
import { SourceCache } from "./executor/source.ts";
import { type CellEvent, type CellJob, cancelChannel, cellQueueName, Queues } from "./queue/queues.ts";
import { cellSummary } from "./report/cell-summary.ts";
import { parseJunit } from "./report/junit.ts";

export interface WorkerOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly platform: Platform;
  readonly concurrency?: number;
  readonly docker: Docker;
  /** Git mirrors and checkouts. */
  readonly cacheDir: string;
  /** This worker's name in check runs and logs. */
  readonly name?: string;
  /** Extra apt options for image recipes (HEIMDALL_APT_OPTIONS). */
  readonly aptOptions?: string;
  /** Lets tests clone file:// repositories. */
  readonly allowFileUrls?: boolean;
  /** Parallel jobs inside one build. */
  readonly buildJobs?: number;
}

export interface RunningWorker {
  readonly name: string;
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const prefix = options.prefix ?? "heimdall";
  const name = options.name ?? `${os.hostname()}-${process.pid}`;
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const subscriber = new Redis(options.redisUrl);
  const queues = new Queues({ connection, prefix });
  const source = new SourceCache({
    cacheDir: options.cacheDir,
    ...(options.allowFileUrls ? { allowFileUrls: true } : {}),
  });
  const running = new Map<string, AbortController>();

  // A superseded or cancelled cell: whichever worker holds it stops its container.
  await subscriber.subscribe(cancelChannel(prefix));
  subscriber.on("message", (_channel, attemptId: string) => running.get(attemptId)?.abort());

  const report = (event: CellEvent) =>
    queues.events.add(event.type, event, { removeOnComplete: 1000, removeOnFail: 1000 });

  const worker = new Worker<CellJob>(
    cellQueueName(options.platform),
    async (job: Job<CellJob>) => {
      const data = job.data;
      const controller = new AbortController();
      running.set(data.attemptId, controller);
      try {
        await report({ type: "started", attemptId: data.attemptId, worker: name, at: new Date().toISOString() });
        const finished = await runJob(options, source, data, controller.signal);
        await report({ ...finished, type: "finished", attemptId: data.attemptId, at: new Date().toISOString() });
      } finally {
        running.delete(data.attemptId);
      }
    },
    {
      connection,
      prefix,
      concurrency: options.concurrency ?? Math.max(1, Math.floor(os.availableParallelism() / 2)),
      // A worker that dies mid-build leaves its job stalled; another takes it again.
      maxStalledCount: 2,
    },
  );

  return {
    name,
    async close() {
      await worker.close();
      await queues.close();
      subscriber.disconnect();
      connection.disconnect();
    },
  };
}

type Finished = Omit<Extract<CellEvent, { type: "finished" }>, "type" | "attemptId" | "at">;

async function runJob(
  options: WorkerOptions,
  source: SourceCache,
  job: CellJob,
  signal: AbortSignal,
): Promise<Finished> {
  const { cell } = job;
  const settings = job.settings as BuildSettings;
  const label = `${cell.compiler.family}-${cell.compiler.version}`;
  const failed = (summary: string): Finished => ({ conclusion: "failure", summary, annotations: [] });

  const image = await resolveImage(options, job).catch((error: unknown) => ({ error: String(error) }));
  if (typeof image !== "string") return failed(`The image could not be made: ${image.error}`);

  const checkout = await source
    .checkout({ cloneUrl: job.cloneUrl, sha: job.headSha, trust: job.fork ? "fork" : "trusted" })
    .catch((error: unknown) => ({ error: String(error) }));
  if (typeof checkout !== "string") return failed(`The source could not be fetched: ${checkout.error}`);
  const workspace = await source.workspace(checkout, `attempt-${job.attemptId}`);
  try {
    const result = await runCell({
      docker: options.docker,
      image,
      workspace: workspace.path,
      cell,
      settings,
      timeoutMs: settings.timeout_minutes * 60_000,
      signal,
      // Forks never get the network, whatever their config says.
      network: settings.network && !job.fork,
      jobs: options.buildJobs ?? 2,
      label,
    });
    const tests = result.junitXml ? parseJunit(result.junitXml) : null;
    const summary = cellSummary({
      cell: {
        name: cell.name,
        compiler: label,
        stdFlag: cell.stdFlag,
        buildType: cell.buildType,
        sanitizers: cell.sanitizers,
        image,
      },
      conclusion: result.conclusion,
      durations: {
        ...(result.phases.configure ? { configure: result.phases.configure.ms } : {}),
        ...(result.phases.build ? { build: result.phases.build.ms } : {}),
        ...(result.phases.test ? { test: result.phases.test.ms } : {}),
      },
      cacheHitRate: null,
      annotations: result.diagnostics.annotations,
      dropped: result.diagnostics.dropped,
      tests: tests && !("error" in tests) ? tests : null,
      links: {},
      ...(result.conclusion === "timed_out" ? { reason: `timed out after ${settings.timeout_minutes} min` } : {}),
    });
    return {
      conclusion: result.conclusion,
      title: summary.title,
      summary: summary.summary,
      annotations: result.diagnostics.annotations,
    };
  } finally {
    await workspace.release();
  }
}

/** The catalog's image, built on first use; or the config's own, which must be on this host. */
async function resolveImage(options: WorkerOptions, job: CellJob): Promise<string> {
  const { cell } = job;
  const release = findCompiler(cell.compiler.family, cell.compiler.version);
  if (!cell.image) throw new Error(`${cell.name} has no image`);
  if (release && imageTag(release) === cell.image) {
    return ensureImage(options.docker, imageSpec(release, { aptOptions: options.aptOptions ?? "" }));
  }
  await options.docker
    .getImage(cell.image)
    .inspect()
    .catch(() => {
      throw new Error(`image ${cell.image} is not on this worker (no registry is pulled from)`);
    });
  return cell.image;
}
