import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { RUN_LABEL } from "../../src/local-run.ts";
import { requireDocker } from "../support/docker.ts";
import { copyExample, failCountsWordsInCxx20, gcc12Image } from "../support/executor.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

let scratch: string;
let docker: Docker;

beforeAll(async () => {
  docker = await requireDocker();
  await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-test-"));
}, 900_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const FAILING_CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
  cxx_standard: [17, 20]
  build_type: [Debug]
  include:
    - compiler: gcc@9
      cxx_standard: 23
build:
  cmake:
    configure_args: [-DHELLO_WARNINGS=ON]
tests:
  ctest_args: [--output-on-failure]
artifacts: [build/hello]
`;

/** The example with one test failing in C++20 only. */
async function failingExample(name: string): Promise<string> {
  return copyExample(path.join(scratch, name), async (repo) => {
    await writeFile(path.join(repo, ".heimdall-build.yml"), FAILING_CONFIG);
    await failCountsWordsInCxx20(repo);
  });
}

describe("heimdall-build run, in containers", () => {
  it("builds the matrix: one cell passes, one fails with its test named, one is skipped; grid, JSON report and outputs", async () => {
    const repo = await failingExample("docker");
    const cli = runHarness({ docker });
    const code = await cli.run(repo, ["--json", "report.json", "--jobs", "2"]);
    expect(code, cli.out + cli.err).toBe(1);

    // Progress: plain lines under CI, never an escape code.
    expect(cli.out).toMatch(/\] linux \/ gcc-12 \/ c\+\+17 \/ Debug: build\n/);
    expect(cli.out).not.toContain("\u001b[");
    // The grid, the failure and the diagnostics, compiler-style with repo-relative paths.
    expect(cli.out).toMatch(/gcc-12 +pass +FAIL +-/);
    expect(cli.out).toMatch(/gcc-9 +- +- +skip/);
    expect(cli.out).toContain("3 cells: 1 passed, 1 failed, 1 skipped");
    expect(cli.out).toContain("greeting.counts_words");
    expect(cli.out).toMatch(/^src\/main\.cpp:7:\d+: warning: unused variable 'unused_answer' \[-Wunused-variable\]$/m);

    const report = JSON.parse(await readFile(path.join(repo, "report.json"), "utf8")) as { cells: JsonCell[] };
    const byId = new Map(report.cells.map((c) => [c.id, c]));
    const passed = byId.get("linux-gcc-12-cxx17-debug");
    const failed = byId.get("linux-gcc-12-cxx20-debug");
    const skipped = byId.get("linux-gcc-9-cxx23-debug");
    expect(passed).toMatchObject({ conclusion: "success", errors: 0, warnings: 1, tests: { failed: 0 } });
    expect(passed?.tests?.passed).toBeGreaterThan(0);
    expect(failed).toMatchObject({
      conclusion: "failure",
      reason: "tests failed",
      failed_tests: ["greeting.counts_words"],
    });
    expect(failed?.tests?.failed).toBe(1);
    expect(skipped).toMatchObject({ conclusion: "skipped", duration_s: null, annotations: [] });
    expect(skipped?.reason).toMatch(/gcc 9 does not support C\+\+23/);

    // The same annotation objects as `diagnostics --json` gives for the cell's own log.
    const runDir = path.join(repo, ".heimdall-build", "latest");
    let diagnosed = "";
    const diagnostics = await runCli(
      [
        "node",
        "heimdall-build",
        "diagnostics",
        path.join(runDir, "linux-gcc-12-cxx17-debug", "build.log"),
        "--json",
        "--root",
        "/work/src",
        "--build-dir",
        "/work/src/build",
        "--compiler",
        "gcc",
        "--label",
        "gcc-12",
      ],
      { stdout: (t) => (diagnosed += t), stderr: (t) => (diagnosed += t), cwd: repo },
    );
    expect(diagnostics, diagnosed).toBe(0);
    expect(passed?.annotations).toEqual(JSON.parse(diagnosed));

    // Outputs: one folder per run, the latest linked, git told to ignore them all.
    expect(await readlink(path.join(repo, ".heimdall-build", "latest"))).toMatch(/^runs\/\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(await readFile(path.join(repo, ".heimdall-build", ".gitignore"), "utf8")).toMatch(/^\*$/m);
    for (const file of ["build.log", "artifacts/build/hello", "sbom.cdx.json", "summary.md"]) {
      expect((await lstat(path.join(runDir, "linux-gcc-12-cxx17-debug", file))).isFile(), file).toBe(true);
    }
    expect(await readFile(path.join(runDir, "report.json"), "utf8")).toBe(
      await readFile(path.join(repo, "report.json"), "utf8"),
    );
    const summary = await readFile(path.join(runDir, "linux-gcc-12-cxx20-debug", "summary.md"), "utf8");
    // Headed as the check run's page is: the cell's name, then its title.
    expect(summary.split("\n").slice(0, 3)).toEqual([
      "# linux / gcc-12 / c++20 / Debug",
      "",
      expect.stringMatching(/^\*\*Failed: .*1 of \d+ tests failed.*\*\*$/),
    ]);
    expect(summary).toContain("greeting.counts_words");
    expect(summary).toContain("[Build log](build.log)");
    expect(summary).toContain("(artifacts/build/hello)");
  }, 900_000);

  it("runs only the cells --cells selects", async () => {
    const repo = await failingExample("cells");
    const cli = runHarness({ docker });
    const code = await cli.run(repo, ["--cells", "*c++17*", "--json", "r.json"]);
    expect(code, cli.out + cli.err).toBe(0);
    const report = JSON.parse(await readFile(path.join(repo, "r.json"), "utf8")) as { cells: JsonCell[] };
    expect(report.cells.map((c) => [c.id, c.conclusion])).toEqual([["linux-gcc-12-cxx17-debug", "success"]]);
  }, 600_000);

  it("stops on Ctrl-C: the running containers are removed and the cells cancelled", async () => {
    const repo = await copyExample(path.join(scratch, "interrupt"), async (dir) => {
      await writeFile(
        path.join(dir, ".heimdall-build.yml"),
        "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [17, 20]\nbuild:\n  script:\n    commands: ['echo started; sleep 600']\ntests: false\n",
      );
    });
    const cli = runHarness({ docker });
    const started = Date.now();
    const running = cli.run(repo, ["--json", "r.json"]);
    // This run's containers only: other runs on the engine (another checkout's tests) have their own run id.
    const runId = async () =>
      path.basename(await readlink(path.join(repo, ".heimdall-build", "latest")).catch(() => "not-yet"));
    const mine = async () =>
      docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${await runId()}`] } });
    for (let i = 0; i < 600 && (await mine()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await mine()).length).toBe(2);
    cli.interrupt();
    expect(await running).toBe(130);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await mine()).toEqual([]);
    expect(cli.err).toContain("interrupted");
    const report = JSON.parse(await readFile(path.join(repo, "r.json"), "utf8")) as { cells: JsonCell[] };
    expect(report.cells.map((c) => c.conclusion)).toEqual(["cancelled", "cancelled"]);
  }, 600_000);
});

describe("heimdall-build run, on the host", () => {
  it("builds with the compilers installed here and skips, with the reason, those that are not", async () => {
    const repo = await copyExample(path.join(scratch, "host"), async (dir) => {
      await writeFile(
        path.join(dir, ".heimdall-build.yml"),
        "version: 1\nmatrix:\n  compiler: [gcc@12, clang@19]\n  cxx_standard: [17]\ncache: false\n",
      );
    });
    // No engine answers: the host executor is chosen by itself.
    const cli = runHarness({ docker: null });
    const code = await cli.run(repo, ["--json", "r.json"]);
    expect(code, cli.out + cli.err).toBe(0);
    expect(cli.out).toContain("on this linux host");
    const report = JSON.parse(await readFile(path.join(repo, "r.json"), "utf8")) as { cells: JsonCell[] };
    const byId = new Map(report.cells.map((c) => [c.id, c]));
    expect(byId.get("linux-gcc-12-cxx17-release")?.conclusion).toBe("success");
    expect(byId.get("linux-clang-19-cxx17-release")).toMatchObject({
      conclusion: "skipped",
      reason: "clang-19 is not installed here (no clang++-19 on PATH)",
    });
    const summary = await readFile(
      path.join(repo, ".heimdall-build", "latest", "linux-gcc-12-cxx17-release", "summary.md"),
      "utf8",
    );
    expect(summary).toContain("host");
  }, 300_000);
});

describe("heimdall-build run, a compiler that is not what its name says", () => {
  it("fails the cell and says what the compiler is (here gcc 12 installed as gcc-13)", async () => {
    const bin = path.join(scratch, "fake-gcc-13");
    await mkdir(bin, { recursive: true });
    const renamed: readonly (readonly [string, string])[] = [
      ["gcc-13", "gcc-12"],
      ["g++-13", "g++-12"],
    ];
    for (const [name, real] of renamed) {
      await writeFile(path.join(bin, name), `#!/bin/sh\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    const repo = await copyExample(path.join(scratch, "renamed"), async (dir) => {
      await writeFile(
        path.join(dir, ".heimdall-build.yml"),
        "version: 1\nmatrix:\n  compiler: [gcc@13]\n  cxx_standard: [17]\ncache: false\n",
      );
    });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved ?? ""}`;
    try {
      const cli = runHarness({ docker: null });
      const code = await cli.run(repo, ["--json", "r.json"]);
      expect(code, cli.out + cli.err).toBe(1);
      const report = JSON.parse(await readFile(path.join(repo, "r.json"), "utf8")) as { cells: JsonCell[] };
      expect(report.cells[0]?.conclusion).toBe("failure");
      expect(report.cells[0]?.reason).toMatch(/^gcc-13 is gcc 12\.\d+\.\d+, not gcc 13$/);
      expect(cli.out).toMatch(/gcc-13 is gcc 12\.\d+\.\d+, not gcc 13/);
    } finally {
      process.env.PATH = saved;
    }
  }, 300_000);
});

describe("heimdall-build run, refusing", () => {
  it("a bad config: exit 2 with FILE:LINE:COL, nothing built", async () => {
    const repo = await copyExample(path.join(scratch, "bad"), async (dir) => {
      await writeFile(path.join(dir, ".heimdall-build.yml"), "version: 1\nmatrix:\n  compilr: [gcc@12]\n");
    });
    const cli = runHarness({ docker });
    expect(await cli.run(repo, [])).toBe(2);
    expect(cli.err).toMatch(
      /^\.heimdall-build\.yml:3:3: error: matrix: unknown key 'compilr'; did you mean 'compiler'\?$/m,
    );
    await expect(lstat(path.join(repo, ".heimdall-build"))).rejects.toThrow(/ENOENT/);
  });

  it("a .heimdall-build that is a link: refused, nothing written where it leads", async () => {
    const victim = path.join(scratch, "victim");
    await mkdir(victim, { recursive: true });
    const repo = await copyExample(path.join(scratch, "linked"), async (dir) => {
      await symlink(victim, path.join(dir, ".heimdall-build"));
    });
    const cli = runHarness({ docker });
    expect(await cli.run(repo, [])).toBe(2);
    expect(cli.err).toMatch(/\.heimdall-build is not a folder/);
    expect(await readdir(victim)).toEqual([]);
  });

  it("usage errors: a pattern matching no cell, a bad --jobs or --executor, no engine for --executor docker", async () => {
    const repo = await copyExample(path.join(scratch, "usage"));
    const cli = runHarness({ docker: null });
    expect(await cli.run(repo, ["--cells", "*msvc*"])).toBe(2);
    expect(cli.err).toMatch(/--cells '\*msvc\*' matches no cell; the cells are: linux-gcc-12-cxx17-debug, /);
    expect(await cli.run(repo, ["--jobs", "0"])).toBe(2);
    expect(await cli.run(repo, ["--executor", "vm"])).toBe(2);
    expect(await cli.run(repo, ["--executor", "docker"])).toBe(2);
    expect(cli.err).toContain("no Docker engine answers");
    expect(await cli.run(path.join(scratch, "nowhere"), [])).toBe(2);
    expect(cli.err).toMatch(/\.heimdall-build\.yml:1:1: error: no such file/);
  });
});
