/**
 * `heimdall-build worker`: takes cells from its platform's queue and runs them,
 * reporting `started` and `finished` on the events queue (workers never call
 * GitHub). A cell whose worker dies is taken again by another (BullMQ's
 * stalled-job recovery); closing finishes the running cells first.
 */

import { createReadStream } from "node:fs";
import os from "node:os";
import { PassThrough } from "node:stream";
import { type Job, Worker } from "bullmq";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { findCompiler, imageTag, type Platform } from "./config/catalog.ts";
import { collectArtifacts } from "./executor/artifacts.ts";
import type { BuildSettings } from "./executor/cell-script.ts";
import { ensureImage, imageSpec } from "./executor/images.ts";
import { cacheVolumeName, runCell } from "./executor/run-cell.ts";
import { runCellOnHost } from "./executor/run-cell-host.ts";
import { SourceCache } from "./executor/source.ts";
import { type CellEvent, type CellJob, cancelChannel, cellQueueName, Queues } from "./queue/queues.ts";
import { cellSummary } from "./report/cell-summary.ts";
import { parseJunit } from "./report/junit.ts";
import { cellSbom, type ImagePackage, imagePackagesOf } from "./report/sbom.ts";
import { artifactKey, logKey, projectSbomKey, sbomKey } from "./storage/keys.ts";
import type { ObjectStore } from "./storage/object-store.ts";

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
  /** Lets tests clone file:// repositories. */
  readonly allowFileUrls?: boolean;
  /** Parallel jobs inside one build. */
  readonly buildJobs?: number;
  /** Where artifacts, SBOMs and logs go; without one they are not kept. */
  readonly store?: ObjectStore;
  /** Where the API is, to make a filesystem store's paths into links (PUBLIC_URL). */
  readonly publicUrl?: string;
  /** How long a job's lock lasts unrenewed (BullMQ's lockDuration, default 30 s): a dead worker's cells wait this long. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for (BullMQ's stalledInterval, default 30 s). */
  readonly stalledIntervalMs?: number;
  /** A cell's log is cut past this many bytes (default 512 MiB). */
  readonly logMaxBytes?: number;
  /** The size cap of each shared compiler cache (CCACHE_MAXSIZE, e.g. `5G`; 5G by default). */
  readonly cacheMaxSize?: string;
}

const TOOL = { name: "heimdall-build", version: "0.1.0" } as const;

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
  const packages = new Map<string, Promise<ImagePackage[]>>();
  const packagesOf = (image: string) => {
    let known = packages.get(image);
    if (!known) {
      known = options.docker ? imagePackagesOf(options.docker, image) : Promise.resolve([]);
      known.catch(() => packages.delete(image));
      packages.set(image, known);
    }
    return known;
  };

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
        // A worker that died here left its container running: stop it before building again.
        if (options.docker) await removeContainersOf(options.docker, data.attemptId);
        await report({ type: "started", attemptId: data.attemptId, worker: name, at: new Date().toISOString() });
        const finished = await runJob(options, source, data, controller.signal, packagesOf);
        await report({ ...finished, type: "finished", attemptId: data.attemptId, at: new Date().toISOString() });
      } finally {
        running.delete(data.attemptId);
      }
    },
    {
      connection,
      prefix,
      concurrency: options.concurrency ?? Math.max(1, Math.floor(os.availableParallelism() / 2)),
      // A worker that dies mid-build stops renewing its job's lock: the job is
      // stalled and another worker takes it again (twice at most).
      maxStalledCount: 2,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
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
  packagesOf: (image: string) => Promise<ImagePackage[]>,
): Promise<Finished> {
  const { cell } = job;
  const settings = job.settings as BuildSettings;
  const label = `${cell.compiler.family}-${cell.compiler.version}`;
  const failed = (summary: string): Finished => ({ conclusion: "failure", summary, annotations: [] });

  const host = options.executor === "host";
  if (host && job.fork) {
    return failed("A fork's commit runs only in a container; this worker builds on its host, which isolates nothing.");
  }
  const docker = options.docker;
  if (!host && !docker) return failed("This worker has no Docker engine.");
  const image =
    host || !docker
      ? `host ${os.hostname()}`
      : await resolveImage(docker, options, job).catch((error: unknown) => ({ error: String(error) }));
  if (typeof image !== "string") return failed(`The image could not be made: ${image.error}`);

  const checkout = await source
    .checkout({ cloneUrl: job.cloneUrl, sha: job.headSha, trust: job.fork ? "fork" : "trusted" })
    .catch((error: unknown) => ({ error: String(error) }));
  if (typeof checkout !== "string") return failed(`The source could not be fetched: ${checkout.error}`);
  const workspace = await source.workspace(checkout, `attempt-${job.attemptId}`);
  // The log streams into the store as the build prints it, cut at the log limit.
  const store = options.store;
  const log = store ? new PassThrough() : null;
  const logUpload =
    store && log
      ? store
          .put(logKey(job.buildId, cell.id, Number(job.attemptId)), log, { contentType: "text/plain; charset=utf-8" })
          .then(() => logKey(job.buildId, cell.id, Number(job.attemptId)))
          .catch(() => null)
      : Promise.resolve(null);
  try {
    const common = {
      workspace: workspace.path,
      cell,
      settings,
      timeoutMs: settings.timeout_minutes * 60_000,
      signal,
      jobs: options.buildJobs ?? 2,
      label,
      ...(log ? { log: { writable: log, maxBytes: options.logMaxBytes ?? 512 * 1024 * 1024 } } : {}),
    };
    const result =
      host || !docker
        ? await runCellOnHost(common)
        : await runCell({
            ...common,
            docker,
            labels: { [ATTEMPT_LABEL]: job.attemptId },
            image,
            // Forks never get the network, whatever their config says.
            network: settings.network && !job.fork,
            // One cache per image, owner and trust: a fork's build never shares one with trusted builds.
            cache: settings.cache
              ? {
                  volume: cacheVolumeName(image, job.fork ? "fork" : "trusted", job.repository.split("/")[0] ?? ""),
                  ...(options.cacheMaxSize ? { maxSize: options.cacheMaxSize } : {}),
                }
              : null,
          });
    const logStored = await logUpload;
    const tests = result.junitXml ? parseJunit(result.junitXml) : null;
    const links = store
      ? await keepOutputs(
          store,
          job,
          workspace.path,
          image,
          host ? async () => [] : packagesOf,
          options.publicUrl ?? "",
          logStored,
        )
      : {};
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
      cacheHitRate: result.cache?.rate ?? null,
      annotations: result.diagnostics.annotations,
      dropped: result.diagnostics.dropped,
      tests: tests && !("error" in tests) ? tests : null,
      links,
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

/**
 * The cell's artifacts (its config's globs; links and anything outside the
 * workspace refused) and its SBOM, into the object store; their links for the summary.
 */
async function keepOutputs(
  store: ObjectStore,
  job: CellJob,
  workspace: string,
  image: string,
  packagesOf: (image: string) => Promise<ImagePackage[]>,
  publicUrl: string,
  storedLog: string | null,
) {
  // A filesystem store's URLs are paths of the API: links need its address.
  const link = async (key: string) => {
    const url = await store.url(key);
    return url.startsWith("/") ? `${publicUrl.replace(/\/$/, "")}${url}` : url;
  };
  const settings = job.settings as BuildSettings;
  const attempt = Number(job.attemptId);
  const collected = await collectArtifacts(workspace, settings.artifacts);
  const artifacts: { name: string; size: number; url?: string }[] = [];
  for (const artifact of collected.artifacts) {
    const key = artifactKey(job.buildId, job.cell.id, attempt, artifact.path);
    // The container is gone: nothing can swap the file the collector checked.
    await store.put(key, createReadStream(artifact.absolute));
    artifacts.push({ name: artifact.path, size: artifact.size, url: await link(key) });
  }
  let sbom: string | undefined;
  if (settings.sbom.enabled) {
    const document = cellSbom({
      repository: job.repository,
      headSha: job.headSha,
      cell: {
        name: job.cell.name,
        compiler: job.cell.compiler.family,
        version: job.cell.compiler.version,
        stdFlag: job.cell.stdFlag,
        image,
      },
      imagePackages: await packagesOf(image),
      artifacts: collected.artifacts.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
      tool: TOOL,
    });
    const key = sbomKey(job.buildId, job.cell.id, attempt);
    await store.put(key, document, { contentType: "application/vnd.cyclonedx+json" });
    sbom = await link(key);
    // The project's own SBOM script's documents, kept beside ours (links refused like artifacts').
    if (settings.sbom.script) {
      const own = await collectArtifacts(workspace, [".heimdall/sbom/**"]);
      for (const file of own.artifacts) {
        const name = file.path.replace(/^\.heimdall\/sbom\//, "");
        const fileKey = projectSbomKey(job.buildId, job.cell.id, attempt, name);
        await store.put(fileKey, createReadStream(file.absolute), { contentType: "application/json" });
        artifacts.push({ name: `SBOM from the project: ${name}`, size: file.size, url: await link(fileKey) });
      }
    }
  }
  return { artifacts, ...(sbom ? { sbom } : {}), ...(storedLog ? { log: await link(storedLog) } : {}) };
}

/** Marks a build container with its attempt, so a later worker can find it. */
export const ATTEMPT_LABEL = "dev.heimdall-build.attempt";

async function removeContainersOf(docker: Docker, attemptId: string): Promise<void> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${ATTEMPT_LABEL}=${attemptId}`] } });
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** The catalog's image, built on first use; or the config's own, which must be on this host. */
async function resolveImage(docker: Docker, options: WorkerOptions, job: CellJob): Promise<string> {
  const { cell } = job;
  const release = findCompiler(cell.compiler.family, cell.compiler.version);
  if (!cell.image) throw new Error(`${cell.name} has no image`);
  if (release && imageTag(release) === cell.image) {
    return ensureImage(docker, imageSpec(release, { aptOptions: options.aptOptions ?? "" }));
  }
  await docker
    .getImage(cell.image)
    .inspect()
    .catch(() => {
      throw new Error(`image ${cell.image} is not on this worker (no registry is pulled from)`);
    });
  return cell.image;
}
