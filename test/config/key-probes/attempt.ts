/**
 * What an attempt keeps and concludes: `artifacts`, `sbom`, `standard_mismatch`,
 * `tests.junit`, `timeout_minutes`, read by runAttempt (executor/attempt.ts)
 * after the build. The build here is the test's own executor, which writes the
 * same files into the workspace whatever the config says (a library, a JUnit
 * report, compile commands built as gnu++11, the project's SBOM); the config
 * alone decides what is made of them. The object store is a folder. No Docker:
 * test/executor/artifacts.test.ts, test/report/sbom.test.ts,
 * test/executor/script-tests.test.ts and test/cli/real-projects.test.ts run
 * real builds for these.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AttemptReport, runAttempt } from "../../../src/executor/attempt.ts";
import type { CellRunResult, PreparedExecutor } from "../../../src/executor/executor.ts";
import { CappedLog } from "../../../src/executor/log-sink.ts";
import { FsStore } from "../../../src/storage/fs-store.ts";
import { cellAt, config, type KeyProbe, parsed, phase, probe, scriptOf } from "./probe.ts";

/** What every build here leaves in its workspace. */
const BUILT: Readonly<Record<string, string>> = {
  "out/libdemo.so": "\u007fELF demo",
  "out/demo.o": "object",
  "out/results/unit.xml":
    '<testsuite name="unit" tests="2" failures="0"><testcase classname="unit" name="adds"/><testcase classname="unit" name="parses"/></testsuite>',
  // gcc 12 left to its own default for a C++17 cell: another standard than the cell's.
  "build/compile_commands.json": JSON.stringify([
    {
      directory: "/work/src/build",
      file: "/work/src/a.cpp",
      arguments: ["g++-12", "-std=gnu++11", "-c", "/work/src/a.cpp"],
    },
  ]),
  ".heimdall/sbom/project.cdx.json": '{"bomFormat":"CycloneDX"}',
};

const PASSED: CellRunResult = {
  conclusion: "success",
  exitCode: 0,
  phases: { configure: { ms: 1, status: 0 }, build: { ms: 1, status: 0 }, test: { ms: 1, status: 0 } },
  failedPhase: null,
  diagnostics: { annotations: [], unplaced: [], dropped: { failure: 0, warning: 0, notice: 0 } },
  junitXml: null,
  outputBytes: 0,
  oomKilled: false,
  log: { bytes: 0, kept: 0, truncated: false, tail: "" },
  cache: null,
  compilers: [],
  compilerProblem: null,
};

export interface Attempted {
  readonly report: AttemptReport;
  /** The time limit the executor was given. */
  readonly timeoutMs: number;
  /** The keys the attempt stored. */
  readonly stored: readonly string[];
}

/** One attempt of the config's first cell, built by the test's executor into a fresh workspace, kept in a folder store. */
export async function attempted(text: string): Promise<Attempted> {
  const { settings } = parsed(text);
  const dir = await mkdtemp(path.join(tmpdir(), "heimdall-every-key-"));
  try {
    const workspace = path.join(dir, "workspace");
    const store = new FsStore(path.join(dir, "store"));
    let timeoutMs = Number.NaN;
    const executor: PreparedExecutor = {
      ranOn: "heimdall-build/gcc-12:bookworm",
      memoryLimit: null,
      packages: async () => [],
      run: async (request) => {
        timeoutMs = request.timeoutMs;
        for (const [file, content] of Object.entries(BUILT)) {
          await mkdir(path.dirname(path.join(request.workspace, file)), { recursive: true });
          await writeFile(path.join(request.workspace, file), content);
        }
        // The log is the executor's to end (its output observer's).
        const log = request.log;
        if (log && !(log instanceof CappedLog)) log.writable?.end();
        return PASSED;
      },
    };
    await mkdir(workspace);
    const report = await runAttempt({
      cell: cellAt(text),
      settings,
      workspace,
      executor,
      repository: "octo/lib",
      headSha: "a".repeat(40),
      jobs: 2,
      outputs: {
        store,
        keys: {
          log: "cell/build.log",
          sbom: "cell/sbom.cdx.json",
          compileCommands: "cell/compile_commands.json",
          artifact: (file) => `cell/artifacts/${file}`,
          projectSbom: (file) => `cell/project-sbom/${file}`,
        },
        link: async (key) => key,
      },
    });
    const stored = (await readdir(store.root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(store.root, path.join(e.parentPath, e.name)))
      .sort();
    return { report, timeoutMs, stored };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const GCC12 = ["matrix:", "  compiler: [gcc@12]"];
/** The project's own SBOM script. */
const SBOM_SCRIPT = "./scripts/sbom.sh";

export const ATTEMPT_PROBES: readonly KeyProbe[] = [
  probe({
    key: "timeout_minutes",
    base: config(...GCC12),
    changed: config(...GCC12, "timeout_minutes: 5"),
    // The executor's limit (a worker's HEIMDALL_MAX_CELL_MINUTES may cap it: test/executor/time-limit.test.ts).
    observe: async (text) => {
      const { report, timeoutMs } = await attempted(text);
      return { timeoutMs, timeLimit: report.timeLimit };
    },
    expected: [
      { timeoutMs: 3_600_000, timeLimit: "60 min" },
      { timeoutMs: 300_000, timeLimit: "5 min" },
    ],
  }),
  probe({
    key: "artifacts",
    base: config(...GCC12),
    changed: config(...GCC12, "artifacts: [out/*.so]"),
    observe: async (text) => (await attempted(text)).report.links.artifacts,
    expected: [[], [{ name: "out/libdemo.so", size: 9, url: "cell/artifacts/out/libdemo.so" }]],
  }),
  probe({
    key: "sbom",
    base: config(...GCC12),
    changed: config(...GCC12, "sbom: false"),
    observe: async (text) => (await attempted(text)).stored,
    expected: [
      ["cell/build.log", "cell/compile_commands.json", "cell/sbom.cdx.json"],
      ["cell/build.log", "cell/compile_commands.json"],
    ],
  }),
  probe({
    key: "sbom.enabled",
    base: config(...GCC12, `sbom: {enabled: true, script: ${SBOM_SCRIPT}}`),
    changed: config(...GCC12, `sbom: {enabled: false, script: ${SBOM_SCRIPT}}`),
    // Neither SBOM: the script is not run, nor its documents kept.
    observe: async (text) => ({
      phase: phase(scriptOf(text), "sbom") !== null,
      stored: (await attempted(text)).stored,
    }),
    expected: [
      {
        phase: true,
        stored: [
          "cell/build.log",
          "cell/compile_commands.json",
          "cell/project-sbom/project.cdx.json",
          "cell/sbom.cdx.json",
        ],
      },
      { phase: false, stored: ["cell/build.log", "cell/compile_commands.json"] },
    ],
  }),
  probe({
    key: "sbom.script",
    base: config(...GCC12, "sbom: {enabled: true}"),
    changed: config(...GCC12, `sbom: {enabled: true, script: ${SBOM_SCRIPT}}`),
    // Run last, from the repository's root; what it writes to $HEIMDALL_SBOM_DIR is kept beside ours.
    observe: async (text) => ({ phase: phase(scriptOf(text), "sbom"), stored: (await attempted(text)).stored }),
    expected: [
      { phase: null, stored: ["cell/build.log", "cell/compile_commands.json", "cell/sbom.cdx.json"] },
      {
        phase: `cd '/work/src' && ${SBOM_SCRIPT}`,
        stored: [
          "cell/build.log",
          "cell/compile_commands.json",
          "cell/project-sbom/project.cdx.json",
          "cell/sbom.cdx.json",
        ],
      },
    ],
  }),
  probe({
    key: "standard_mismatch",
    base: config(...GCC12),
    changed: config(...GCC12, "standard_mismatch: fail"),
    // The build passed, but as gnu++11: neutral by default, a failure here (test/cli/real-projects.test.ts: yaml-cpp).
    observe: async (text) => {
      const { report } = await attempted(text);
      return { conclusion: report.conclusion, marked: report.standardMismatch, title: report.summary.title };
    },
    expected: [
      {
        conclusion: "neutral",
        marked: true,
        title: "Passed, but built as gnu++11 (1 TU), not C++17: the project sets its own standard",
      },
      {
        conclusion: "failure",
        marked: true,
        title: "Failed: built as gnu++11 (1 TU), not C++17: the project sets its own standard",
      },
    ],
  }),
  probe({
    key: "tests.junit",
    base: config(...GCC12, "tests: {command: ./run-tests.sh}"),
    changed: config(...GCC12, "tests: {command: ./run-tests.sh, junit: [out/results/*.xml]}"),
    // Without junit the command's status alone decides: no counts.
    observe: async (text) => {
      const { tests } = (await attempted(text)).report;
      return tests && { passed: tests.passed, failed: tests.failed, skipped: tests.skipped };
    },
    expected: [null, { passed: 2, failed: 0, skipped: 0 }],
  }),
];
