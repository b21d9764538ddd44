/**
 * `heimdall-build worker`: takes cells from its platform's queue and runs them,
 * reporting `started` and `finished` on the events queue (workers never call
 * GitHub). A cell whose worker dies is taken again by another (BullMQ's
 * stalled-job recovery). Closing finishes the running cells first, or, given
 * a deadline, hands back those still running when it comes: they are stopped
 * and their jobs go back to the queue, to be built again by another worker.
 */

import os from "node:os";
import { type Job, WaitingError, Worker } from "bullmq";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import type { Platform } from "./config/catalog.ts";
import { settledWithin } from "./deadline.ts";
import { attemptLabels, DEPLOYMENT_LABEL, deploymentIdOf } from "./deployment.ts";
import { removeLabelledContainers } from "./executor/docker/container.ts";
import { rememberedImagePackages } from "./executor/docker/image-packages.ts";
import { SourceCache } from "./executor/source.ts";
import type { CloneTokens } from "./github/clone-tokens.ts";
import { type RunningCell, startHeartbeat } from "./queue/heartbeats.ts";
import { LiveLogPublisher } from "./queue/live-log.ts";
import {
  ALIVE_RENEW_MS,
  ALIVE_TTL_MS,
  attemptAliveKey,
  type CellEvent,
  type CellJob,
  cancelChannel,
  cellQueueName,
  Queues,
} from "./queue/queues.ts";
import type { ObjectStore } from "./storage/object-store.ts";
import type { UrlSigner } from "./storage/url-signer.ts";
import { type Finished, runJob } from "./worker-job.ts";

export interface WorkerOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly platform: Platform;
  readonly concurrency?: number;
  /** Where cells run: in containers (the default), or natively on this host (macOS, Windows: trusted builds only). */
  readonly executor?: "docker" | "host";
  /** The engine, for the docker executor. */
  readonly docker?: Docker;
  /** Git mirrors and checkouts. */
  readonly cacheDir: string;
  /** This worker's name in check runs and logs. */
  readonly name?: string;
  /** Extra apt options for image recipes (HEIMDALL_APT_OPTIONS). */
  readonly aptOptions?: string;
  /** The git to run (default: git on PATH). */
  readonly gitBinary?: string;
  /** Lets tests clone file:// repositories. */
  readonly allowFileUrls?: boolean;
  /** Parallel jobs inside one build. */
  readonly buildJobs?: number;
  /** Where artifacts, SBOMs and logs go; without one they are not kept. */
  readonly store?: ObjectStore;
  /** Where the API is, to make a filesystem store's paths into links (PUBLIC_URL). */
  readonly publicUrl?: string;
  /** Signs the summary's links to the API (HEIMDALL_URL_SECRET, shared with the servers). */
  readonly signer?: UrlSigner | null;
  /** How long a job's lock lasts unrenewed (BullMQ's lockDuration, default 30 s): a dead worker's cells wait this long. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for (BullMQ's stalledInterval, default 30 s). */
  readonly stalledIntervalMs?: number;
  /** A cell's log is cut past this many bytes (default 512 MiB). */
  readonly logMaxBytes?: number;
  /**
   * Mints a clone token per job (the app's installation token for the one
   * repository, contents: read). Without it repositories are cloned anonymously:
   * public ones only.
   */
  readonly cloneTokens?: CloneTokens;
  /** The size cap of each shared compiler cache (CCACHE_MAXSIZE, e.g. `5G`; 5G by default). */
  readonly cacheMaxSize?: string;
  /**
   * The longest a cell's build (its container's or host script's run, as
   * timeout_minutes counts) may take on this worker, whatever its config asks
   * (HEIMDALL_MAX_CELL_MINUTES): an operator's bound on what one repository can hold.
   */
  readonly maxCellMs?: number;
  /**
   * This deployment's id on the Docker host (HEIMDALL_DEPLOYMENT_ID); by default
   * one kept in Redis under the prefix (see deployment.ts). Its containers carry
   * it, and only its containers are removed.
   */
  readonly deploymentId?: string;
  /** `host[:port]` of a GitHub Enterprise Server spoken to over plain http (GHE_PROTOCOL=http, GHE_HOST). */
  readonly plainHttpHost?: string;
  /** The heartbeat (queue/heartbeats.ts): every 10 s by default; tests give their own rate and clock. */
  readonly heartbeat?: { readonly intervalMs?: number; readonly now?: () => Date };
}

export interface RunningWorker {
  readonly name: string;
  /** The deployment whose containers this worker labels and removes. */
  readonly deployment: string;
  /**
   * Takes no more cells and waits for the running ones; with `handBackAfterMs`, those still
   * running then are handed back: stopped, their jobs returned to the queue unconcluded.
   */
  close(options?: { readonly handBackAfterMs?: number }): Promise<void>;
}

/** The abort reason of a cell stopped by its worker's shutdown, not by a user's cancel. */
const HAND_BACK = "heimdall-build: the worker is stopping";
/** How long handed-back cells get to stop their containers and return their jobs. */
const HAND_BACK_MS = 3000;

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const prefix = options.prefix ?? "heimdall";
  const name = options.name ?? `${os.hostname()}-${process.pid}`;
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const subscriber = new Redis(options.redisUrl);
  // The live tail is best effort: while Redis is away its writes fail at once instead of queueing.
  const liveConnection = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  liveConnection.on("error", () => undefined);
  const deployment = await deploymentIdOf(connection, prefix, options.deploymentId).catch((error: unknown) => {
    for (const client of [connection, subscriber, liveConnection]) client.disconnect();
    throw error;
  });
  const queues = new Queues({ connection, prefix });
  const source = new SourceCache({
    cacheDir: options.cacheDir,
    ...(options.gitBinary ? { gitBinary: options.gitBinary } : {}),
    ...(options.allowFileUrls ? { allowFileUrls: true } : {}),
    ...(options.plainHttpHost ? { plainHttpHost: options.plainHttpHost } : {}),
  });
  const running = new Map<string, AbortController>();
  const concurrency = options.concurrency ?? Math.max(1, Math.floor(os.availableParallelism() / 2));
  // The heartbeat writes on the live tail's connection (it fails at once while Redis is away): its first
  // beat waits until that connection is up, so the worker is shown as soon as it starts.
  await settledWithin(
    new Promise((resolve) =>
      liveConnection.status === "ready" ? resolve(true) : liveConnection.once("ready", resolve),
    ),
    5000,
  );
  const heartbeat = await startHeartbeat({
    redis: liveConnection,
    prefix,
    worker: {
      name,
      host: os.hostname(),
      platform: options.platform,
      executor: options.executor ?? "docker",
      concurrency,
    },
    ...(options.heartbeat?.intervalMs ? { intervalMs: options.heartbeat.intervalMs } : {}),
    ...(options.heartbeat?.now ? { now: options.heartbeat.now } : {}),
  });
  // What the heartbeat says this worker runs.
  const cells = new Map<string, RunningCell>();
  // Read once per image for all the worker's attempts, in containers of its deployment.
  const packagesOf = options.docker
    ? rememberedImagePackages(options.docker, { [DEPLOYMENT_LABEL]: deployment })
    : async () => [];

  // A superseded or cancelled cell: whichever worker holds it stops its container.
  await subscriber.subscribe(cancelChannel(prefix));
  subscriber.on("message", (_channel, attemptId: string) => {
    const held = running.get(attemptId);
    if (held) return held.abort();
    // Held by no live worker (the reconciler gave up on a cell whose workers died): a
    // dead worker's container of this deployment is removed by whichever worker hears it.
    if (options.docker) void removeLabelledContainers(options.docker, attemptLabels(deployment, attemptId));
  });

  // Tried until the server applies it: a database outage delays a cell's end, never loses it.
  const report = (event: CellEvent) => queues.reportEvent(event);

  const worker = new Worker<CellJob>(
    cellQueueName(options.platform),
    async (job: Job<CellJob>, token?: string, stopping?: AbortSignal) => {
      const data = job.data;
      // This worker already builds the attempt (the reconciler queued it again while Redis had lost
      // its data): that run gives the answer; a second would remove the first's container.
      if (running.has(data.attemptId)) return;
      const controller = new AbortController();
      running.set(data.attemptId, controller);
      cells.set(data.attemptId, {
        attempt_id: data.attemptId,
        build_id: data.buildId,
        repository: data.repository,
        cell: data.cell.id,
      });
      heartbeat.update([...cells.values()]);
      // close()'s hand-back (BullMQ's cancelAllJobs) stops the cell as a cancel would; see below.
      stopping?.addEventListener("abort", () => controller.abort(HAND_BACK), { once: true });
      const live = new LiveLogPublisher(liveConnection, prefix, data.attemptId);
      const alive = keepAlive(liveConnection, attemptAliveKey(prefix, data.attemptId), name);
      let conclusion = "failure";
      try {
        await live.start();
        // A worker that died here left its container running: stop it before building again
        // (this deployment's only: another's attempt of the same id on this engine is not ours).
        if (options.docker) await removeLabelledContainers(options.docker, attemptLabels(deployment, data.attemptId));
        await report({ type: "started", attemptId: data.attemptId, worker: name, at: new Date().toISOString() });
        // Whatever goes wrong in heimdall-build itself, the check run ends: never left in progress.
        const finished = await runJob(options, deployment, source, data, controller.signal, packagesOf, live).catch(
          (error: unknown): Finished => ({
            conclusion: "failure",
            summary: `heimdall-build could not finish this cell: ${error instanceof Error ? error.message : String(error)}`,
            annotations: [],
          }),
        );
        if (finished.conclusion === "cancelled" && controller.signal.reason === HAND_BACK) {
          // Back to the queue unconcluded (WaitingError: BullMQ leaves the job where it was moved); should
          // Redis refuse, the job stays active until the stalled-job check returns it.
          conclusion = "requeued";
          live.write("[heimdall-build: this worker is stopping; the cell goes back to the queue to be built again]\n");
          // The check run says queued again, not in progress on a worker that left.
          await report({ type: "returned", attemptId: data.attemptId, worker: name, at: new Date().toISOString() });
          await job.moveToWait(token).catch(() => undefined);
          throw new WaitingError();
        }
        conclusion = finished.conclusion;
        await report({ ...finished, type: "finished", attemptId: data.attemptId, at: new Date().toISOString() });
      } finally {
        running.delete(data.attemptId);
        cells.delete(data.attemptId);
        heartbeat.update([...cells.values()]);
        await alive.stop();
        await live.end(conclusion);
      }
    },
    {
      connection,
      prefix,
      concurrency,
      // A worker that dies mid-build stops renewing its job's lock: the job is
      // stalled and another worker takes it again (twice at most).
      maxStalledCount: 2,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    },
  );

  return {
    name,
    deployment,
    async close({ handBackAfterMs } = {}) {
      const closing = worker.close();
      if (handBackAfterMs === undefined) await closing;
      else if (!(await settledWithin(closing, handBackAfterMs))) {
        worker.cancelAllJobs(HAND_BACK);
        // A cell that cannot be stopped (in an image build) keeps its job: once this process is
        // gone, its lock runs out and the stalled-job check returns it.
        await settledWithin(closing, HAND_BACK_MS);
      }
      await queues.close();
      // A clean stop: the worker is no longer shown (a dead one is shown stale, then dropped).
      await settledWithin(heartbeat.stop(), 2000);
      subscriber.disconnect();
      liveConnection.disconnect();
      connection.disconnect();
    },
  };
}

/**
 * Keeps `key` set while an attempt runs (best effort: a Redis away for a while
 * only lets the key lapse, and it is set again when Redis is back, data or not).
 */
function keepAlive(redis: Redis, key: string, worker: string): { stop(): Promise<void> } {
  const renew = () => void redis.set(key, worker, "PX", ALIVE_TTL_MS).catch(() => undefined);
  renew();
  const timer = setInterval(renew, ALIVE_RENEW_MS);
  return {
    async stop() {
      clearInterval(timer);
      await redis.del(key).catch(() => undefined);
    },
  };
}
