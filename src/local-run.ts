/**
 * `heimdall-build run`'s engine: a repository's matrix on this machine, with
 * no server. Each cell goes through the same attempt pipeline as a worker's
 * job (executor/cell-attempt.ts): image, hardened container or host,
 * diagnostics, tests, log, artifacts and SBOM, summary. Outputs go under the
 * run's folder.
 */

import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import type { Cell } from "./config/matrix.ts";
import { buildNetwork } from "./config/trust.ts";
import { DEPLOYMENT_LABEL, LOCAL_RUN_DEPLOYMENT } from "./deployment.ts";
import type { AttemptReport } from "./executor/attempt.ts";
import { runCellAttempt } from "./executor/cell-attempt.ts";
import type { BuildSettings, Phase } from "./executor/cell-script.ts";
import { cacheVolumeName } from "./executor/docker/cache-volume.ts";
import { DockerExecutor } from "./executor/docker/docker-executor.ts";
import type { Executor } from "./executor/executor.ts";
import { HostExecutor } from "./executor/host/host-executor.ts";
import { copySource } from "./executor/local-source.ts";
import { formatLimit } from "./report/format.ts";
import type { RunCellOutcome } from "./report/run-grid.ts";
import { mismatches, mismatchWords } from "./report/standard-check.ts";
import { failFastStop } from "./schedule/fail-fast.ts";
import { runLanes } from "./schedule/max-parallel.ts";
import { FsStore } from "./storage/fs-store.ts";

/** What a cell is doing, for progress. */
export type LocalCellState = "queued" | "image" | "source" | Phase | RunCellOutcome["conclusion"];

export interface LocalRunOptions {
  /** The repository's folder (absolute). */
  readonly dir: string;
  /** Its files to build, relative to dir (executor/local-source.ts). */
  readonly files: readonly string[];
  /** What the SBOM names: `owner/name` and the commit (HEAD, for a git work tree). */
  readonly repository: string;
  readonly headSha: string;
  readonly cells: readonly Cell[];
  readonly settings: BuildSettings;
  readonly executor: "docker" | "host";
  readonly docker?: Docker;
  /** Cells built at once (--jobs); the config's max_parallel bounds it too. */
  readonly jobs: number;
  /** Parallel jobs inside each build. */
  readonly buildJobs: number;
  /** Where logs, artifacts, SBOMs and summaries go (absolute). */
  readonly runDir: string;
  /** Where the cells' workspaces are made (removed after each cell). */
  readonly workDir: string;
  /** Labels the run's containers, so that an interrupted run can remove them. */
  readonly runId: string;
  readonly aptOptions?: string;
  readonly signal: AbortSignal;
  readonly onState: (cellId: string, state: LocalCellState, detail?: string) => void;
}

export interface LocalCellResult {
  readonly outcome: RunCellOutcome;
  /** The attempt's report (null for a skipped cell, or one that failed before it built). */
  readonly report: AttemptReport | null;
}

/** The Docker label of every container a local run starts. */
export const RUN_LABEL = "dev.heimdall-build.run";

/** A local run's container labels: its run, and a deployment no worker has (so no worker removes them). */
export function runLabels(runId: string): Record<string, string> {
  return { [DEPLOYMENT_LABEL]: LOCAL_RUN_DEPLOYMENT, [RUN_LABEL]: runId };
}

export async function runLocalMatrix(options: LocalRunOptions): Promise<LocalCellResult[]> {
  const executor = localExecutor(options);
  const results = new Array<LocalCellResult>(options.cells.length);
  // What cannot be built here is said at once, not when its turn comes.
  const runnable: number[] = [];
  options.cells.forEach((cell, index) => {
    const reason = cell.skipped ? cell.skipReason : executor.unavailableReason(cell);
    if (reason === null) {
      runnable.push(index);
      return;
    }
    results[index] = { outcome: outcomeOf(cell, { conclusion: "skipped", reason }), report: null };
    options.onState(cell.id, "skipped", reason);
  });
  // fail_fast: the first cell that fails stops the others, by a signal of its own (Ctrl-C's stays the user's).
  const failFast = new AbortController();
  let stoppedBy: string | null = null;
  const cellOptions = { ...options, signal: AbortSignal.any([options.signal, failFast.signal]) };
  let next = 0;
  const lane = async () => {
    while (next < runnable.length) {
      const index = runnable[next++] as number;
      const cell = options.cells[index] as Cell;
      // One cell's trouble is its own: the others run on, unless fail_fast says otherwise.
      let result =
        stoppedBy !== null && !options.signal.aborted
          ? { outcome: outcomeOf(cell, { conclusion: "cancelled", reason: stoppedBy }), report: null }
          : await runOne(cellOptions, executor, cell).catch((error: unknown) => ({
              outcome: outcomeOf(cell, { conclusion: "failure", reason: `heimdall-build failed: ${String(error)}` }),
              report: null,
            }));
      const { conclusion } = result.outcome;
      if (conclusion === "cancelled" && stoppedBy !== null && !options.signal.aborted) {
        result = { ...result, outcome: { ...result.outcome, reason: stoppedBy } };
      } else if (stoppedBy === null) {
        const stop = failFastStop(options.settings.fail_fast, cell.name, conclusion);
        if (stop) {
          stoppedBy = stop.reason;
          failFast.abort();
        }
      }
      results[index] = result;
      options.onState(cell.id, conclusion, result.outcome.reason ?? undefined);
    }
  };
  const lanes = runLanes(options.jobs, options.settings.max_parallel, runnable.length);
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}

/** The run's executor: Docker's with the run's labels and its project's own cache, or this machine's. */
function localExecutor(options: LocalRunOptions): Executor {
  if (options.executor === "host" || !options.docker) return new HostExecutor();
  return new DockerExecutor({
    docker: options.docker,
    aptOptions: options.aptOptions ?? "",
    labels: runLabels(options.runId),
    network: buildNetwork(options.settings, false),
    // One cache per image and project folder: warm rebuilds across runs, and no project writing
    // entries another compiles in (":" is in no GitHub owner's name: no worker's cache is shared).
    cache: (image) => ({ volume: cacheVolumeName(image, "trusted", `local:${os.userInfo().username}:${options.dir}`) }),
  });
}

function outcomeOf(cell: Cell, fields: Partial<RunCellOutcome> & Pick<RunCellOutcome, "conclusion">): RunCellOutcome {
  return { cell, reason: null, durationMs: null, annotations: [], tests: null, failedTests: [], ...fields };
}

async function runOne(options: LocalRunOptions, executor: Executor, cell: Cell): Promise<LocalCellResult> {
  const started = Date.now();
  const store = new FsStore(options.runDir);
  const attempt = await runCellAttempt({
    executor,
    cell,
    signal: options.signal,
    onPreparing: (line) => options.onState(cell.id, "image", line.slice(0, 200)),
    workspace: () => {
      options.onState(cell.id, "source");
      return copySource(options.dir, options.files, options.workDir, cell.id);
    },
    settings: options.settings,
    repository: options.repository,
    headSha: options.headSha,
    jobs: options.buildJobs,
    onPhase: (phase) => options.onState(cell.id, phase),
    outputs: {
      store,
      keys: {
        log: `${cell.id}/build.log`,
        sbom: `${cell.id}/sbom.cdx.json`,
        compileCommands: `${cell.id}/compile_commands.json`,
        artifact: (file) => `${cell.id}/artifacts/${file}`,
        projectSbom: (file) => `${cell.id}/project-sbom/${file}`,
      },
      // Relative to the cell's folder, where its summary.md is.
      link: async (key) =>
        path.relative(path.join(options.runDir, cell.id), store.pathOf(key)).split(path.sep).join("/"),
    },
  });
  if (!attempt.built) {
    return {
      outcome: attempt.cancelled
        ? outcomeOf(cell, { conclusion: "cancelled", reason: "interrupted before it started" })
        : outcomeOf(cell, {
            conclusion: "failure",
            reason: attempt.reason.split("\n")[0] ?? "",
            durationMs: Date.now() - started,
          }),
      report: null,
    };
  }
  const { report } = attempt;
  // What a check run's page shows above its summary: the cell's name and its title ("Passed: 7 tests").
  await writeFile(
    path.join(options.runDir, cell.id, "summary.md"),
    `# ${cell.name}\n\n**${report.summary.title}**\n\n${report.summary.summary}\n`,
  );
  const { result, tests } = report;
  return {
    outcome: outcomeOf(cell, {
      conclusion: report.conclusion,
      standardMismatch: report.standardMismatch,
      reason: reasonOf(report),
      durationMs: Date.now() - started,
      annotations: result.diagnostics.annotations,
      tests: tests ? { passed: tests.passed, failed: tests.failed, skipped: tests.skipped } : null,
      failedTests: tests?.failures.map((f) => f.name) ?? [],
    }),
    report,
  };
}

function reasonOf(report: AttemptReport): string | null {
  const { result } = report;
  // Its tests passed, but left no report where tests.junit says: failed for that.
  if (report.testsProblem !== null && result.conclusion === "success") return report.testsProblem;
  const [offStandard] = mismatches(report.standards.checks);
  // Passed, but not with its standard (neutral), or failed only for that (standard_mismatch: fail).
  if (offStandard && result.conclusion === "success" && report.conclusion !== "success")
    return mismatchWords(offStandard);
  switch (result.conclusion) {
    case "success":
      return null;
    case "timed_out":
      return `timed out after ${report.timeLimit}`;
    case "cancelled":
      return "interrupted";
    case "failure":
      if (result.oomKilled) {
        return report.memoryLimit === null
          ? "killed: out of memory"
          : `killed: out of memory (limit ${formatLimit(report.memoryLimit)})`;
      }
      if (result.failedPhase === "test") return "tests failed";
      // The cell's compiler is missing or another one: what the image has instead, as the check run says.
      if (result.compilerProblem) return result.compilerProblem;
      return result.failedPhase ? `${result.failedPhase} failed (exit ${result.exitCode})` : `exit ${result.exitCode}`;
  }
}
