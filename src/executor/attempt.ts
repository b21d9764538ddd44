/**
 * One attempt of a cell, from a prepared workspace to its report, whoever
 * asked for it (a worker's job, `heimdall-build run`): the executor's run,
 * the test results, the log, artifacts and SBOM into a store, the summary.
 * Both callers share this code so a local run reports what the server would.
 */
import { createReadStream } from "node:fs";
import { PassThrough } from "node:stream";
import { settingsForCell } from "../config/cell-settings.ts";
import type { Cell } from "../config/matrix.ts";
import { type CellLinks, type CellSummary, cellSummary, type RefusedArtifact } from "../report/cell-summary.ts";
import type { TestResults } from "../report/junit.ts";
import { cellSbom, type ImagePackage } from "../report/sbom.ts";
import { concludeWithStandards, mismatches, mismatchWords } from "../report/standard-check.ts";
import type { ObjectStore } from "../storage/object-store.ts";
import { collectArtifacts } from "./artifacts.ts";
import type { BuildSettings, Phase } from "./cell-script.ts";
import { type CellStandards, cellStandards } from "./compile-commands-file.ts";
import type { IdentifiedCompiler } from "./compiler-check.ts";
import type { CellRunResult, PreparedExecutor } from "./executor.ts";
import { DEFAULT_MAX_LOG_BYTES } from "./log-sink.ts";
import { attemptTests } from "./test-reports.ts";

export const TOOL = { name: "heimdall-build", version: "0.1.0" } as const;

/** Where an attempt's log, artifacts and SBOMs go, under which keys. */
export interface AttemptOutputs {
  readonly store: ObjectStore;
  readonly keys: {
    readonly log: string;
    readonly sbom: string;
    /** The build's compile_commands.json, kept beside the log. */
    readonly compileCommands: string;
    artifact(path: string): string;
    projectSbom(file: string): string;
  };
  /** A key's link for the summary (a URL, or a path for a local run). */
  link(key: string): Promise<string>;
}

export interface AttemptRequest {
  readonly cell: Cell;
  readonly settings: BuildSettings;
  /** The cell's own copy of the source, which the build writes into. */
  readonly workspace: string;
  /** The backend, made ready for the cell (executor.ts). */
  readonly executor: PreparedExecutor;
  /** The repository and commit the SBOM describes. */
  readonly repository: string;
  readonly headSha: string;
  readonly signal?: AbortSignal;
  /** Parallel jobs inside the build. */
  readonly jobs: number;
  /** The log is cut past this many bytes. */
  readonly logMaxBytes?: number;
  /** Without outputs nothing is kept: the summary has no links. */
  readonly outputs: AttemptOutputs | null;
  readonly onPhase?: (phase: Phase) => void;
  readonly onOutput?: (chunk: string) => void;
  /** The longest the build may run here, whatever its config's timeout_minutes (a worker's HEIMDALL_MAX_CELL_MINUTES). */
  readonly maxCellMs?: number;
}

export interface AttemptReport {
  readonly result: CellRunResult;
  /** The cell's conclusion: the run's, made a failure by missing test reports (tests.junit), neutral or failure by a standard mismatch (standard_mismatch). */
  readonly conclusion: CellRunResult["conclusion"] | "neutral";
  /** What the compile commands say of the cell's standards. */
  readonly standards: CellStandards;
  /** Built with another standard than its name says, and the config does not ignore it: grids mark the cell (`pass≠`). */
  readonly standardMismatch: boolean;
  /** The test results, null when no JUnit file was written or it could not be read. */
  readonly tests: TestResults | null;
  /** Why a cell whose test step passed failed all the same: the reports tests.junit names are missing. */
  readonly testsProblem: string | null;
  readonly links: CellLinks;
  /** What the image or host was, as the summary names it. */
  readonly ranOn: string;
  /** The wall-clock limit it ran under, in words: "60 min", or the worker's lower cap. */
  readonly timeLimit: string;
  /** The container's memory limit in bytes; null on the host, which sets none. */
  readonly memoryLimit: number | null;
  readonly summary: CellSummary;
}

/** An attempt's wall-clock limit: the config's timeout_minutes, or the worker's cap when that is lower. */
export function attemptTimeLimit(settings: Pick<BuildSettings, "timeout_minutes">, maxCellMs?: number) {
  const configured = settings.timeout_minutes * 60_000;
  if (maxCellMs === undefined || maxCellMs >= configured) {
    return { ms: configured, text: `${settings.timeout_minutes} min` };
  }
  const capped = maxCellMs < 60_000 ? `${Math.round(maxCellMs / 1000)} s` : `${Math.round(maxCellMs / 6000) / 10} min`;
  return { ms: maxCellMs, text: `${capped}, this worker's limit (the config allows ${settings.timeout_minutes} min)` };
}

export async function runAttempt(given: AttemptRequest): Promise<AttemptReport> {
  // Its settings as this cell reads them: `${{ matrix.<axis> }}` written in, for the build, tests, artifacts and SBOM.
  const request = { ...given, settings: settingsForCell(given.settings, given.cell) };
  const { cell, settings, executor, outputs } = request;
  const label = `${cell.compiler.family}-${cell.compiler.version}`;
  const { ranOn, memoryLimit } = executor;

  // The log streams into the store as the build prints it, cut at the log limit.
  const log = outputs ? new PassThrough() : null;
  const logStored =
    outputs && log
      ? outputs.store
          .put(outputs.keys.log, log, { contentType: "text/plain; charset=utf-8" })
          .then(() => outputs.keys.log)
          .catch(() => null)
      : Promise.resolve(null);

  const limit = attemptTimeLimit(settings, request.maxCellMs);
  let result: CellRunResult;
  try {
    result = await executor.run({
      workspace: request.workspace,
      cell,
      settings,
      timeoutMs: limit.ms,
      jobs: request.jobs,
      label,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.onPhase ? { onPhase: request.onPhase } : {}),
      ...(request.onOutput ? { onOutput: request.onOutput } : {}),
      ...(log ? { log: { writable: log, maxBytes: request.logMaxBytes ?? DEFAULT_MAX_LOG_BYTES } } : {}),
    });
  } catch (error) {
    // Failed before its output was wired (a volume, the workspace's owner): the upload must not wait forever.
    log?.destroy(error instanceof Error ? error : new Error(String(error)));
    await logStored;
    throw error;
  }
  const storedLog = await logStored;
  // Which standard each translation unit was really built as (not for a cancelled cell: nobody waits for it).
  const standards: CellStandards =
    result.conclusion === "cancelled"
      ? { checks: null, notChecked: null, compileCommands: null }
      : await cellStandards(request.workspace, cell, settings);
  // ctest's JUnit, or the project's own reports; a passing test step that left none of these fails the cell.
  const { tests, notRead, problem: testsProblem } = await attemptTests(request.workspace, settings, result);
  const ran = testsProblem !== null && result.conclusion === "success" ? "failure" : result.conclusion;
  // Jobs queued before the key existed carry no standard_mismatch.
  const policy = settings.standard_mismatch ?? "warn";
  const conclusion = concludeWithStandards(ran, standards.checks, policy);
  const [offStandard] = mismatches(standards.checks);
  // A cancelled cell keeps its log only: whoever cancelled it does not wait for its artifacts and SBOM.
  const links = !outputs
    ? {}
    : result.conclusion === "cancelled"
      ? storedLog
        ? { log: await outputs.link(storedLog) }
        : {}
      : await keepOutputs(
          outputs,
          request,
          ranOn,
          () => executor.packages(),
          storedLog,
          identifiedCxx(result),
          standards.compileCommands,
        );
  const summary = cellSummary({
    cell: {
      name: cell.name,
      compiler: label,
      stdFlag: cell.stdFlag,
      buildType: cell.buildType,
      sanitizers: cell.sanitizers,
      image: ranOn,
      compilerSeen: identifiedCxx(result)?.versionLine ?? null,
    },
    conclusion,
    standards: standards.checks,
    // A cell that ended before its build (its compiler missing, say) has nothing to verify: not said.
    standardNotChecked: result.phases.build ? standards.notChecked : null,
    durations: {
      ...(result.phases.configure ? { configure: result.phases.configure.ms } : {}),
      ...(result.phases.build ? { build: result.phases.build.ms } : {}),
      ...(result.phases.test ? { test: result.phases.test.ms } : {}),
    },
    cacheHitRate: result.cache?.rate ?? null,
    annotations: result.diagnostics.annotations,
    dropped: result.diagnostics.dropped,
    tests,
    testReportsNotRead: notRead,
    links,
    ...(result.conclusion === "timed_out" ? { reason: `timed out after ${limit.text}` } : {}),
    ...(ran === "failure" && testsProblem !== null ? { reason: testsProblem } : {}),
    // The cell's compiler is missing or another one: never a pass, and the title says what the image has instead.
    ...(result.conclusion === "failure" && result.compilerProblem ? { reason: result.compilerProblem } : {}),
    // Failed only because standard_mismatch is fail: the title says what the standard was.
    ...(ran === "success" && conclusion === "failure" && offStandard ? { reason: mismatchWords(offStandard) } : {}),
    ...(result.oomKilled && memoryLimit !== null ? { outOfMemory: { limitBytes: memoryLimit } } : {}),
  });
  const standardMismatch = policy !== "ignore" && offStandard !== undefined;
  return {
    result,
    conclusion,
    standards,
    standardMismatch,
    tests,
    testsProblem,
    links,
    ranOn,
    timeLimit: limit.text,
    memoryLimit,
    summary,
  };
}

/**
 * The cell's artifacts (its config's globs; links and anything outside the
 * workspace refused) and its SBOM, into the object store; their links for the summary.
 */
async function keepOutputs(
  outputs: AttemptOutputs,
  request: AttemptRequest,
  ranOn: string,
  packages: () => Promise<ImagePackage[]>,
  storedLog: string | null,
  compiler: IdentifiedCompiler | null,
  compileCommands: string | null,
): Promise<CellLinks> {
  const { store, keys, link } = outputs;
  const { settings, workspace, cell } = request;
  const collected = await collectArtifacts(workspace, settings.artifacts);
  const artifacts: { name: string; size: number; url?: string }[] = [];
  // What the globs named and was not kept, with why: told in the summary.
  const refused: RefusedArtifact[] = [...collected.refused];
  for (const artifact of collected.artifacts) {
    const key = keys.artifact(artifact.path);
    // The build has ended: nothing can swap the file the collector checked.
    await store.put(key, createReadStream(artifact.absolute));
    artifacts.push({ name: artifact.path, size: artifact.size, url: await link(key) });
  }
  let sbom: string | undefined;
  if (settings.sbom.enabled) {
    const document = cellSbom({
      repository: request.repository,
      headSha: request.headSha,
      cell: {
        name: cell.name,
        compiler: cell.compiler.family,
        version: cell.compiler.version,
        identified: compiler,
        stdFlag: cell.stdFlag,
        image: ranOn,
      },
      // An image without dpkg (Rocky, Windows, a config's own) still gets an SBOM: artifacts and toolchain.
      imagePackages: await packages().catch(() => []),
      artifacts: collected.artifacts.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
      tool: TOOL,
    });
    await store.put(keys.sbom, document, { contentType: "application/vnd.cyclonedx+json" });
    sbom = await link(keys.sbom);
    // The project's own SBOM script's documents, kept beside ours (links refused like artifacts').
    if (settings.sbom.script) {
      const own = await collectArtifacts(workspace, [".heimdall/sbom/**"]);
      refused.push(...own.refused.map((r) => ({ path: `SBOM from the project: ${r.path}`, reason: r.reason })));
      for (const file of own.artifacts) {
        const name = file.path.replace(/^\.heimdall\/sbom\//, "");
        const fileKey = keys.projectSbom(name);
        await store.put(fileKey, createReadStream(file.absolute), { contentType: "application/json" });
        artifacts.push({ name: `SBOM from the project: ${name}`, size: file.size, url: await link(fileKey) });
      }
    }
  }
  // What each file was really compiled with, for whoever doubts the standard check.
  let commands: string | undefined;
  if (compileCommands !== null) {
    await store.put(keys.compileCommands, compileCommands, { contentType: "application/json" });
    commands = await link(keys.compileCommands);
  }
  return {
    artifacts,
    ...(commands ? { compileCommands: commands } : {}),
    ...(refused.length > 0 ? { refused } : {}),
    ...(sbom ? { sbom } : {}),
    ...(storedLog ? { log: await link(storedLog) } : {}),
  };
}

/** The C++ compiler as the cell identified it (the C one when only it was asked). */
function identifiedCxx(result: CellRunResult): IdentifiedCompiler | null {
  return result.compilers.find((c) => c.language === "c++") ?? result.compilers[0] ?? null;
}
