/**
 * A script build's tests in real containers, never skipped: ctest run in the
 * config's test_dir after the script (its JUnit read, so the summary names the
 * failed test), ctest_args reaching ctest, a test_dir without tests failing;
 * a test command's own JUnit files (ctest's and googletest's) read and merged,
 * a link among them refused; a command that passes without writing the
 * reports tests.junit names failing the cell with why.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { DockerExecutor } from "../../src/executor/docker/docker-executor.ts";
import { attemptFirstCell, copyExample, failCountsWordsInCxx20, gcc12Setup } from "../support/executor.ts";
import { GTEST_REPORT } from "../support/junit-reports.ts";

const setup = gcc12Setup("heimdall-script-tests-");

/** examples/hello-cpp with greeting.counts_words failing in C++20, built by its own CMake calls from a script. */
function config(tests: string, commands = ["cmake -S . -B build -G Ninja", "cmake --build build"]): string {
  return `version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\nbuild:\n  script:\n    commands: ${JSON.stringify(commands)}\n${tests}cache: false\nsbom: false\n`;
}

async function attempt(name: string, yaml: string, edit?: (dir: string) => Promise<void>) {
  const { docker, image, scratch } = setup;
  const workspace = await copyExample(path.join(scratch, name), async (dir) => {
    await failCountsWordsInCxx20(dir);
    await edit?.(dir);
  });
  return attemptFirstCell(yaml, workspace, new DockerExecutor({ docker, network: false }).inImage(image));
}

describe("a script build's ctest, in test_dir", () => {
  test("runs after the script and finds the failing test by name", async () => {
    const { report, log } = await attempt(
      "ctest",
      config("tests:\n  test_dir: build\n  ctest_args: [--timeout, '60']\n"),
    );
    expect(report.result.failedPhase, log.slice(-3000)).toBe("test");
    expect(report.conclusion).toBe("failure");
    expect(report.tests).toMatchObject({ passed: 1, failed: 1, skipped: 0 });
    expect(report.tests?.failures.map((f) => f.name)).toEqual(["greeting.counts_words"]);
    // The example's deliberate warning (an unused variable in src/main.cpp) is found in the script's output too.
    expect(report.summary.title).toBe("Failed: 1 warning, 1 of 2 tests failed");
    expect(report.summary.summary).toContain("### Failed tests (1 of 2)");
    expect(report.summary.summary).toContain("greeting.counts_words");
  }, 600_000);

  test("ctest_args reach ctest: only the test they select runs", async () => {
    const { report, log } = await attempt(
      "ctest-args",
      config("tests:\n  test_dir: build\n  ctest_args: [-R, says_hello]\n"),
    );
    expect(report.conclusion, log.slice(-3000)).toBe("success");
    expect(report.tests).toMatchObject({ passed: 1, failed: 0 });
    expect(report.summary.title).toBe("Passed: 1 test, 1 warning");
  }, 600_000);

  test("a test_dir that holds no tests fails the test step instead of passing", async () => {
    const { report, log } = await attempt("no-tests", config("tests:\n  test_dir: empty\n", ["mkdir -p empty"]));
    expect(report.conclusion).toBe("failure");
    expect(report.result.failedPhase).toBe("test");
    expect(log).toContain("No tests were found");
  }, 600_000);
});

describe("a test command's own JUnit files", () => {
  // ctest's JUnit from the project's own call, a googletest report beside it (the project's test program's),
  // and a link to a host file the globs also match.
  const COMMAND = [
    "mkdir -p build/test-results",
    "cp parser-report.xml build/test-results/parser.xml",
    "ln -s /etc/passwd build/test-results/passwd.xml",
    "cd build && ctest --output-junit test-results/ctest.xml",
  ].join(" && ");

  test("read and merged: counts and failed tests from both, the link not read and told", async () => {
    const { report, log } = await attempt(
      "junit",
      config(`tests:\n  command: ${JSON.stringify(COMMAND)}\n  junit: [build/test-results/*.xml]\n`),
      (dir) => writeFile(path.join(dir, "parser-report.xml"), GTEST_REPORT),
    );
    expect(report.result.failedPhase, log.slice(-3000)).toBe("test");
    expect(report.tests).toMatchObject({ passed: 2, failed: 2, skipped: 1 });
    expect(report.tests?.failures.map((f) => f.name)).toEqual(["greeting.counts_words", "RejectsGarbage"]);
    expect(report.summary.title).toBe("Failed: 1 warning, 2 of 5 tests failed");
    expect(report.summary.summary).toContain("<code>Parser.RejectsGarbage</code>");
    expect(report.summary.summary).toContain(
      "### Test reports not read (1)\n\n- `build/test-results/passwd.xml` — a symbolic link\\: not followed",
    );
  }, 600_000);

  test("a command that passes without writing the reports the globs name fails the cell, saying so", async () => {
    const { report } = await attempt(
      "no-junit",
      config("tests:\n  command: 'echo all good'\n  junit: [build/test-results/*.xml]\n", ["true"]),
    );
    expect(report.result.conclusion).toBe("success");
    expect(report.conclusion).toBe("failure");
    expect(report.tests).toBeNull();
    expect(report.summary.title).toBe(
      "Failed: the tests passed, but tests.junit (build/test-results/*.xml) matched no JUnit report: their results are unknown",
    );
    expect(report.summary.summary).toContain("- `build/test-results/*.xml` — matched no file");
  }, 600_000);
});
