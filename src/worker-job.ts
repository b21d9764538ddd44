/**
 * One cell job on a worker, from its queue's data to its `finished` event:
 * the worker's rules (a fork only in a container, with no network, no token
 * and a cache of its own), its executor, its source (clone token, checkout),
 * its outputs' keys; the steps between are the shared attempt path
 * (executor/cell-attempt.ts), as for `heimdall-build run`.
 */
import path from "node:path";
import { buildNetwork } from "./config/trust.ts";
import { attemptLabels } from "./deployment.ts";
import { runCellAttempt } from "./executor/cell-attempt.ts";
import type { BuildSettings } from "./executor/cell-script.ts";
import type { Workspace } from "./executor/cell-workspace.ts";
import { cacheVolumeName } from "./executor/docker/cache-volume.ts";
import { DockerExecutor } from "./executor/docker/docker-executor.ts";
import type { Executor } from "./executor/executor.ts";
import { HostExecutor } from "./executor/host/host-executor.ts";
import type { SourceCache } from "./executor/source.ts";
import type { LiveLogPublisher } from "./queue/live-log.ts";
import type { CellEvent, CellJob } from "./queue/queues.ts";
import { diagnosticCounts } from "./report/cell-summary.ts";
import type { ImagePackage } from "./report/sbom.ts";
import { standardCheckJson } from "./report/standard-check.ts";
import { artifactKey, compileCommandsKey, logKey, projectSbomKey, sbomKey } from "./storage/keys.ts";
import { Links } from "./storage/links.ts";
import type { WorkerOptions } from "./worker.ts";

export type Finished = Omit<Extract<CellEvent, { type: "finished" }>, "type" | "attemptId" | "at">;

export async function runJob(
  options: WorkerOptions,
  deployment: string,
  source: SourceCache,
  job: CellJob,
  signal: AbortSignal,
  packagesOf: (image: string) => Promise<ImagePackage[]>,
  live: LiveLogPublisher,
): Promise<Finished> {
  const { cell } = job;
  const settings = job.settings as BuildSettings;
  const notStarted: Finished = { conclusion: "cancelled", summary: "Cancelled before it started.", annotations: [] };
  // Refused or failed while the cell was being cancelled: the cancel is what it reports.
  const failed = (summary: string): Finished =>
    signal.aborted ? notStarted : { conclusion: "failure", summary, annotations: [] };

  const host = options.executor === "host";
  if (host && job.fork) {
    return failed("A fork's commit runs only in a container; this worker builds on its host, which isolates nothing.");
  }
  const docker = options.docker;
  if (!host && !docker) return failed("This worker has no Docker engine.");
  const executor: Executor =
    host || !docker
      ? new HostExecutor()
      : new DockerExecutor({
          docker,
          aptOptions: options.aptOptions ?? "",
          lockDir: path.join(options.cacheDir, "locks"),
          labels: attemptLabels(deployment, job.attemptId),
          // Forks never get the network, whatever their config says.
          network: buildNetwork(settings, job.fork),
          // One cache per image, owner and trust: a fork's build never shares one with trusted builds.
          cache: (image) => ({
            volume: cacheVolumeName(image, job.fork ? "fork" : "trusted", job.repository.split("/")[0] ?? ""),
            ...(options.cacheMaxSize ? { maxSize: options.cacheMaxSize } : {}),
          }),
          packages: packagesOf,
        });

  const attempt = Number(job.attemptId);
  const store = options.store;
  const links = store ? new Links({ store, signer: options.signer ?? null, publicUrl: options.publicUrl ?? "" }) : null;
  const outcome = await runCellAttempt({
    executor,
    cell,
    signal,
    workspace: () => jobWorkspace(options, source, job, signal),
    settings,
    repository: job.repository,
    headSha: job.headSha,
    jobs: options.buildJobs ?? 2,
    ...(options.maxCellMs ? { maxCellMs: options.maxCellMs } : {}),
    ...(options.logMaxBytes ? { logMaxBytes: options.logMaxBytes } : {}),
    onOutput: (chunk) => live.write(chunk),
    outputs:
      store && links
        ? {
            store,
            keys: {
              log: logKey(job.buildId, cell.id, attempt),
              sbom: sbomKey(job.buildId, cell.id, attempt),
              compileCommands: compileCommandsKey(job.buildId, cell.id, attempt),
              artifact: (file) => artifactKey(job.buildId, cell.id, attempt, file),
              projectSbom: (file) => projectSbomKey(job.buildId, cell.id, attempt, file),
            },
            link: (key) => links.object(key),
          }
        : null,
  });
  if (!outcome.built) {
    if (outcome.cancelled) return notStarted;
    // A config's image is looked for, never made: its absence is the reason itself.
    if (outcome.missing !== null) {
      return failed(
        `The image '${outcome.missing}' is not on this worker's host (no registry is pulled from): its operator must pull or build it first.`,
      );
    }
    return failed(sentence(outcome.reason));
  }
  const { report } = outcome;
  const { tests } = report;
  return {
    ...diagnosticCounts(report.result.diagnostics.annotations, report.result.diagnostics.dropped),
    tests: tests ? { passed: tests.passed, failed: tests.failed, skipped: tests.skipped } : null,
    conclusion: report.conclusion,
    standardCheck: report.standards.checks?.map(standardCheckJson) ?? null,
    standardMismatch: report.standardMismatch,
    title: report.summary.title,
    summary: report.summary.summary,
    annotations: report.result.diagnostics.annotations,
  };
}

/**
 * The job's commit checked out and copied for the attempt; or why not, as the
 * check run says it.
 */
async function jobWorkspace(
  options: WorkerOptions,
  source: SourceCache,
  job: CellJob,
  signal: AbortSignal,
): Promise<Workspace | { readonly failed: string }> {
  // A private repository needs a token; a public one is cloned without when the worker has no app credentials.
  // A fork's commit never gets one: the token would be minted for a repository the fork names (a fork
  // renamed after a private repository of the installation would get that one's) and would reach its submodules.
  const token =
    options.cloneTokens && !job.fork
      ? await options.cloneTokens(job.installationId, job.repository, signal).catch((error: unknown) => ({
          error: String(error),
        }))
      : null;
  if (token !== null && typeof token !== "string") {
    return { failed: `No token to clone ${job.repository} with: ${token.error}` };
  }
  const checkout = await source
    .checkout({ cloneUrl: job.cloneUrl, sha: job.headSha, trust: job.fork ? "fork" : "trusted", token })
    .catch((error: unknown) => ({ error: String(error) }));
  if (typeof checkout !== "string") {
    const hint = token
      ? ""
      : job.fork
        ? " (a fork's commit is fetched without a token: a private fork cannot be built)"
        : " (this worker has no app credentials, so a private repository cannot be cloned: set APP_ID and PRIVATE_KEY)";
    return { failed: `The source could not be fetched: ${checkout.error}${hint}` };
  }
  return source.workspace(checkout, `attempt-${job.attemptId}`);
}

/** A reason as the first words of a summary: "the image could not be made: …" → "The image could not be made: …". */
function sentence(reason: string): string {
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}
