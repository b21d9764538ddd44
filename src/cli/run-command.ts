/**
 * `heimdall-build run [DIR]`: the repository's matrix on this machine, the
 * way the server would run it, with no server: Docker when an engine
 * answers, else the compilers installed here. Exit 0 when no cell failed, 1
 * when one did, 2 for a usage or config error, 130 when interrupted.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { lstat, mkdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import type { Cell } from "../config/matrix.ts";
import { DEFAULT_CONFIG_FILE, parseConfig } from "../config/parse.ts";
import { formatProblem } from "../config/problems.ts";
import type { BuildSettings } from "../executor/cell-script.ts";
import { removeLabelledContainers } from "../executor/docker/container.ts";
import { LocalSourceError, localIdentity, sourceFiles } from "../executor/local-source.ts";
import { removeTree } from "../executor/remove-tree.ts";
import { type LocalCellResult, runLabels } from "../local-run.ts";
import type { Annotation } from "../report/annotations.ts";
import { type StandardCheck, standardCheckJson } from "../report/standard-check.ts";
import { runLanes } from "../schedule/max-parallel.ts";
import { readConfigText } from "./config-file.ts";
import { namedImageNotices, namedImagePresence, namedImages } from "./named-images.ts";
import type { CliIo } from "./program.ts";
import { cliBase, overBase } from "./resolve-base.ts";
import { RunProgress } from "./run-progress.ts";

export interface RunCommandOptions {
  readonly dir: string;
  readonly config?: string;
  /** Glob patterns (comma-separated, repeatable) on cell ids and names. */
  readonly cells: readonly string[];
  readonly executor?: string;
  readonly jobs?: string;
  readonly json?: string;
}

/** What the command needs of its process: its terminal, signals, environment. */
export interface RunEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly isTTY: boolean;
  readonly columns?: number;
  readonly rows?: number;
  /** Calls back on the first and any later interrupt (Ctrl-C); returns a function that stops listening. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** A Docker engine client, or null when none answers. */
  readonly docker: () => Promise<Docker | null>;
}

export const RUNS_DIR = ".heimdall-build";

export async function runCommand(options: RunCommandOptions, io: CliIo, environment: RunEnvironment): Promise<number> {
  const usage = (message: string) => {
    io.stderr(`heimdall-build run: ${message}\n`);
    return 2;
  };
  const dir = path.resolve(io.cwd, options.dir);
  const file = options.config ? path.resolve(io.cwd, options.config) : path.join(dir, DEFAULT_CONFIG_FILE);
  const shown = path.relative(io.cwd, file) || file;

  if (options.executor !== undefined && options.executor !== "docker" && options.executor !== "host") {
    return usage(`--executor is docker or host, not '${options.executor}'`);
  }
  const cores = os.availableParallelism();
  const jobs = options.jobs === undefined ? cores : Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) return usage("--jobs is a whole number from 1 to 64");

  const text = await readConfigText(file);
  if (typeof text !== "string") {
    io.stderr(`${shown}:1:1: error: ${text.error}\n`);
    return 2;
  }
  const base = await cliBase(text, environment.env);
  const parsed = parseConfig(text, { file: shown, ...(base ? { base } : {}) });
  if (!parsed.ok) {
    for (const problem of parsed.problems) io.stderr(`${formatProblem(problem)}\n`);
    return 2;
  }
  for (const warning of parsed.warnings) io.stderr(`${formatProblem(warning)}\n`);
  const { matrix: _matrix, ...rest } = parsed.config;
  const settings = rest as BuildSettings;

  const cells = selectCells(parsed.cells, options.cells);
  if (typeof cells === "string") return usage(cells);

  // The executor: the one asked for, or Docker when an engine answers, else this machine's compilers.
  const docker = options.executor === "host" ? null : await environment.docker();
  if (options.executor === "docker" && !docker) {
    return usage(
      "no Docker engine answers (start dockerd, or set DOCKER_HOST); --executor host builds with the compilers installed here",
    );
  }
  const executor = docker ? "docker" : "host";
  if (!docker && options.executor === undefined) {
    io.stderr(
      "heimdall-build run: no Docker engine answers, so cells build on this host with its own compilers, without a container's isolation (--executor docker insists on Docker)\n",
    );
  }
  // Before anything runs: a config's image this engine lacks fails its cells (they still run, and say so).
  const images = docker ? namedImages(cells) : [];
  if (images.length > 0) {
    const presence = await namedImagePresence(images, docker);
    for (const notice of namedImageNotices(cells, presence)) io.stderr(`heimdall-build run: ${notice}\n`);
  }

  let files: string[];
  try {
    const buildDir = settings.build.kind === "cmake" ? settings.build.cmake.build_dir : "build";
    const listing = await sourceFiles(dir, buildDir);
    files = listing.files;
    // A checkout on a worker would have their files: say plainly this run does not.
    for (const submodule of listing.uninitialisedSubmodules) {
      io.stderr(
        `heimdall-build run: submodule ${submodule} is not initialised, so its files are not in the source (git submodule update --init --recursive)\n`,
      );
    }
  } catch (error) {
    return usage(
      error instanceof LocalSourceError ? error.message : `cannot list the files of ${dir}: ${String(error)}`,
    );
  }

  // One folder per run under DIR/.heimdall-build (which ignores itself), the latest linked.
  const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-")}-${randomBytes(3).toString("hex")}`;
  const runsRoot = path.join(dir, RUNS_DIR);
  const runDir = path.join(runsRoot, "runs", runId);
  // The folder is the repository's to name: a link there would send the outputs elsewhere.
  const existing = await lstat(runsRoot).catch(() => null);
  if (existing && !existing.isDirectory()) {
    return usage(
      `${path.relative(io.cwd, runsRoot) || runsRoot} is not a folder (a link?); remove it to let run keep its outputs there`,
    );
  }
  await mkdir(runDir, { recursive: true });
  const realRuns = await realpath(runsRoot);
  if (realRuns !== path.join(await realpath(dir), RUNS_DIR)) {
    return usage(`${path.relative(io.cwd, runsRoot) || runsRoot} leads out of ${dir}`);
  }
  await writeFile(path.join(runsRoot, ".gitignore"), "# heimdall-build run's outputs\n*\n");
  await rm(path.join(runsRoot, "latest"), { force: true });
  await symlink(path.join("runs", runId), path.join(runsRoot, "latest")).catch(() => undefined);
  const workDir = path.join(os.tmpdir(), `heimdall-run-${runId}`);

  const live = environment.isTTY && !isCi(environment.env);
  const progress = new RunProgress({
    output: {
      write: io.stdout,
      isTTY: environment.isTTY,
      ...(environment.columns ? { columns: environment.columns } : {}),
      ...(environment.rows ? { rows: environment.rows } : {}),
    },
    cells: cells.map((c) => ({ id: c.id, name: c.name })),
    live,
    color: live && !environment.env.NO_COLOR,
  });
  const lanes = runLanes(jobs, settings.max_parallel, cells.length);
  const bound = settings.max_parallel !== undefined && settings.max_parallel < Math.min(jobs, cells.length);
  io.stdout(
    `${shown}${overBase(base)}: ${cells.length} cells, ${executor === "docker" ? "in containers" : `on this ${os.platform()} host`}, ${lanes} at a time${bound ? ` (max_parallel: ${settings.max_parallel})` : ""}${settings.fail_fast ? ", fail_fast" : ""}; outputs in ${path.relative(io.cwd, runDir) || runDir}\n`,
  );

  const controller = new AbortController();
  let interrupts = 0;
  const stopListening = environment.onInterrupt(() => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr("\nheimdall-build run: interrupted; stopping the running cells (Ctrl-C again to force)\n");
      controller.abort();
    } else {
      rmSync(workDir, { recursive: true, force: true });
      if (docker) void removeLabelledContainers(docker, runLabels(runId)).finally(() => process.exit(130));
      else process.exit(130);
    }
  });
  const ticker = live ? setInterval(() => progress.tick(), 250) : null;

  const { runLocalMatrix } = await import("../local-run.ts");
  let results: LocalCellResult[];
  try {
    results = await runLocalMatrix({
      dir,
      files,
      ...(await localIdentity(dir)),
      cells,
      settings,
      executor,
      ...(docker ? { docker } : {}),
      jobs,
      buildJobs: Math.max(1, Math.floor(cores / lanes)),
      runDir,
      workDir,
      runId,
      ...(environment.env.HEIMDALL_APT_OPTIONS ? { aptOptions: environment.env.HEIMDALL_APT_OPTIONS } : {}),
      signal: controller.signal,
      onState: (id, state, detail) => progress.update(id, state, detail),
    });
  } finally {
    if (ticker) clearInterval(ticker);
    progress.finish();
    stopListening();
    // Whatever happened, nothing of the run is left running.
    if (docker) await removeLabelledContainers(docker, runLabels(runId));
    await removeTree(workDir).catch(() => undefined);
  }

  const { renderRunReport } = await import("../report/run-grid.ts");
  const outcomes = results.map((r) => r.outcome);
  io.stdout(`\n${renderRunReport(outcomes, { color: live && !environment.env.NO_COLOR })}`);
  const report = `${JSON.stringify(jsonReport(results), null, 2)}\n`;
  await writeFile(path.join(runDir, "report.json"), report);
  if (options.json) await writeFile(path.resolve(io.cwd, options.json), report);
  io.stdout(`\nlogs, artifacts and summaries: ${path.relative(io.cwd, runDir) || runDir}\n`);
  if (outcomes.every((o) => o.conclusion === "skipped")) {
    io.stderr("heimdall-build run: every cell was skipped: nothing was built\n");
  }

  if (controller.signal.aborted) return 130;
  return outcomes.some(
    (o) => o.conclusion === "failure" || o.conclusion === "timed_out" || o.conclusion === "cancelled",
  )
    ? 1
    : 0;
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.toLowerCase();
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

/** The cells the patterns select (all without patterns); a message when a pattern selects none. */
export function selectCells(cells: readonly Cell[], patterns: readonly string[]): Cell[] | string {
  const globs = patterns
    .flatMap((p) => p.split(","))
    .map((p) => p.trim())
    .filter(Boolean);
  if (globs.length === 0) return [...cells];
  const selected = new Set<Cell>();
  for (const glob of globs) {
    const matches = globMatcher(glob);
    const hit = cells.filter((c) => matches(c.id) || matches(c.name));
    if (hit.length === 0) {
      return `--cells '${glob}' matches no cell; the cells are: ${cells.map((c) => c.id).join(", ")}`;
    }
    for (const cell of hit) selected.add(cell);
  }
  return cells.filter((c) => selected.has(c));
}

/** A shell-like pattern on a whole id or name: `*` any characters (`/` too), `?` one; case ignored. */
function globMatcher(glob: string): (text: string) => boolean {
  const source = [...glob]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  const pattern = new RegExp(`^${source}$`, "i");
  return (text) => pattern.test(text);
}

/** `--json`: the run, cell by cell, with the same annotation objects as `diagnostics --json`. */
export function jsonReport(results: readonly LocalCellResult[]): {
  cells: {
    id: string;
    name: string;
    conclusion: string;
    reason: string | null;
    duration_s: number | null;
    errors: number;
    warnings: number;
    tests: { passed: number; failed: number; skipped: number } | null;
    failed_tests: readonly string[];
    standard_check: ReturnType<typeof standardCheckJson> | null;
    c_standard_check?: ReturnType<typeof standardCheckJson> | null;
    annotations: readonly Annotation[];
  }[];
} {
  return {
    cells: results.map(({ outcome, report }) => ({
      id: outcome.cell.id,
      name: outcome.cell.name,
      conclusion: outcome.conclusion,
      reason: outcome.reason,
      duration_s: outcome.durationMs === null ? null : Math.round(outcome.durationMs / 100) / 10,
      errors: outcome.annotations.filter((a) => a.annotation_level === "failure").length,
      warnings: outcome.annotations.filter((a) => a.annotation_level === "warning").length,
      tests: outcome.tests,
      failed_tests: outcome.failedTests,
      ...standardCheckFields(outcome.cell, report?.standards.checks ?? null),
      annotations: outcome.annotations,
    })),
  };
}

/**
 * `standard_check`: the check of the cell's C++ standard, or of its C one in a
 * C cell; a cell with both has the C one in `c_standard_check`. null: not checked.
 */
function standardCheckFields(cell: Cell, checks: readonly StandardCheck[] | null) {
  const of = (language: "c" | "c++") => {
    const check = checks?.find((c) => c.language === language);
    return check ? standardCheckJson(check) : null;
  };
  if (cell.cxxStandard === null) return { standard_check: of("c") };
  return { standard_check: of("c++"), ...(cell.cStandard !== null ? { c_standard_check: of("c") } : {}) };
}
