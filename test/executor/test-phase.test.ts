/**
 * The test step a cell's script runs, as text and run by bash with stand-ins:
 * ctest where the config says (test_dir) or in a CMake build's build folder,
 * the config's command, each cell's own `tests`; and a script cell's CMake
 * sent through ccache by the launcher variables.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { cellScript } from "../../src/executor/cell-script.ts";
import { testCommand } from "../../src/executor/test-phase.ts";
import { configured } from "../support/executor.ts";

const JUNIT = "/work/src/.heimdall/junit.xml";
const SCRIPT = "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: [./build.sh]\n";

/** The first cell of a config, and the test command its script runs (null: none). */
function testOf(yaml: string, index = 0): string | null {
  const { cells, settings } = configured(yaml);
  const cell = cells[index];
  if (!cell) throw new Error("no such cell");
  return testCommand(cell, settings, JUNIT);
}

describe("the test step", () => {
  test("a script build's ctest runs in test_dir with its JUnit where the worker reads it, and fails when it finds no tests", () => {
    expect(testOf(`${SCRIPT}tests: {test_dir: build, ctest_args: [-R, unit]}\n`)).toBe(
      `cd 'build' && 'ctest' '--output-on-failure' '--no-tests=error' '--output-junit' '${JUNIT}' '-R' 'unit'`,
    );
    const { cells, settings } = configured(`${SCRIPT}tests: {test_dir: build}\n`);
    const script = cellScript({ cell: cells[0] as (typeof cells)[number], settings, nonce: "n", jobs: 2 });
    expect([...script.matchAll(/^phase (\w+) /gm)].map((m) => m[1])).toEqual(["compiler", "build", "test"]);
  });

  test("a CMake build's ctest runs in its build folder, or in the test_dir it names (which must hold tests)", () => {
    expect(testOf("version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  cmake: {build_dir: out}\n")).toBe(
      `cd 'out' && 'ctest' '--output-on-failure' '--output-junit' '${JUNIT}'`,
    );
    expect(
      testOf("version: 1\nmatrix:\n  compiler: [gcc@12]\ntests: {test_dir: build/unit, ctest_args: [-j2]}\n"),
    ).toBe(`cd 'build/unit' && 'ctest' '--output-on-failure' '--no-tests=error' '--output-junit' '${JUNIT}' '-j2'`);
  });

  test("a command runs as written, from the repository's root", () => {
    expect(testOf(`${SCRIPT}tests: {command: 'make check || exit 7', junit: [out/*.xml]}\n`)).toBe(
      "make check || exit 7",
    );
  });

  test("each cell's own tests: an include entry turns them off, or on under a top-level false", () => {
    const yaml =
      "version: 1\nmatrix:\n  compiler: [gcc@12, gcc@13]\n  include:\n    - {compiler: gcc@13, tests: false}\nbuild:\n  script:\n    commands: [./build.sh]\ntests: {test_dir: build}\n";
    expect(testOf(yaml, 0)).toContain("'ctest'");
    expect(testOf(yaml, 1)).toBeNull();
    // A CMake build: ctest in the build folder for the one cell that asks.
    const on =
      "version: 1\nmatrix:\n  compiler: [gcc@12, gcc@13]\n  include:\n    - {compiler: gcc@13, tests: true}\ntests: false\n";
    expect(testOf(on, 0)).toBeNull();
    expect(testOf(on, 1)).toContain("cd 'build' && 'ctest'");
  });

  test("a script cell that asks for tests with nothing to run them (a job made before the config check) fails its test step", () => {
    const { cells, settings } = configured(`${SCRIPT}tests: false\n`);
    const cell = { ...(cells[0] as (typeof cells)[number]), tests: true };
    const command = testCommand(cell, { ...settings, tests: { enabled: true } }, JUNIT) ?? "";
    let status = 0;
    let stderr = "";
    try {
      execFileSync("bash", ["-c", command], { stdio: "pipe" });
    } catch (error) {
      ({ status, stderr } = error as { status: number; stderr: string });
    }
    expect(status).toBe(2);
    expect(String(stderr)).toContain(
      "a script build runs them only with tests: {test_dir: ...} or tests: {command: ...}",
    );
  });
});

describe("ccache for a script cell", () => {
  /** The launcher variables the script's preamble leaves, with `ccache` on PATH or not. */
  function launchers(yaml: string, withCcache: boolean): string {
    const { cells, settings } = configured(yaml);
    const script = cellScript({ cell: cells[0] as (typeof cells)[number], settings, nonce: "n", jobs: 2 });
    const line = script.split("\n").find((l) => l.includes("COMPILER_LAUNCHER")) ?? "";
    const dir = mkdtempSync(path.join(tmpdir(), "heimdall-launcher-"));
    try {
      const bin = path.join(dir, "bin");
      mkdirSync(bin);
      if (withCcache) {
        writeFileSync(path.join(bin, "ccache"), "#!/bin/sh\n");
        chmodSync(path.join(bin, "ccache"), 0o755);
      }
      return execFileSync(
        "/bin/bash",
        ["-c", `${line}\necho "c=\${CMAKE_C_COMPILER_LAUNCHER-unset} cxx=\${CMAKE_CXX_COMPILER_LAUNCHER-unset}"`],
        { encoding: "utf8", env: { PATH: bin } },
      ).trim();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("cache: true exports CMAKE_C/CXX_COMPILER_LAUNCHER=ccache where ccache is, and prints its counters", () => {
    const yaml = `${SCRIPT}tests: false\n`;
    expect(launchers(yaml, true)).toBe("c=ccache cxx=ccache");
    // An image without ccache: CMake would fail to configure with a launcher it cannot find.
    expect(launchers(yaml, false)).toBe("c=unset cxx=unset");
    const { cells, settings } = configured(yaml);
    const script = cellScript({ cell: cells[0] as (typeof cells)[number], settings, nonce: "n", jobs: 2 });
    expect(script).toContain("ccache_stats before");
    expect(script).toContain(`trap 'ccache_stats after; rm -f "$CCACHE_STATSLOG"' EXIT`);
    // CC and CXX stay the compiler's own name: the compiler phase checks them, scripts pass them on.
    expect(script).toContain("export CC='gcc-12' CXX='g++-12'");
    expect(script).not.toMatch(/CC=.?ccache/);
  });

  test("cache: false: no launcher, no counters", () => {
    const { cells, settings } = configured(`${SCRIPT}tests: false\ncache: false\n`);
    const script = cellScript({ cell: cells[0] as (typeof cells)[number], settings, nonce: "n", jobs: 2 });
    expect(script).not.toContain("ccache");
  });
});
