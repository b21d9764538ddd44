/**
 * A project's own JUnit reports (tests.junit), read from a real workspace
 * folder: merged counts and failed tests' names, files refused as artifacts
 * are (links, non-JUnit), and a passing test step whose reports are missing
 * made a failure with why.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { attemptTests, readProjectReports } from "../../src/executor/test-reports.ts";
import { GTEST_REPORT } from "../support/junit-reports.ts";

const CTEST_REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Linux-c++" tests="2" failures="1" disabled="0" skipped="0" hostname="" time="0" timestamp="2024-05-01T10:00:00">
  <testcase name="greeting.says_hello" classname="greeting.says_hello" time="0.01" status="run"><system-out>ok</system-out></testcase>
  <testcase name="greeting.counts_words" classname="greeting.counts_words" time="0.01" status="fail"><failure message="Failed"/><system-out>expected C++20, got C++17</system-out></testcase>
</testsuite>
`;

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "heimdall-test-reports-"));
  await mkdir(path.join(workspace, "build/test-results"), { recursive: true });
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const settings = (junit?: string[]) => ({
  tests: { enabled: true, command: "./run-tests", ...(junit ? { junit } : {}) },
});
const ran = (status: number) =>
  ({ conclusion: status === 0 ? "success" : "failure", junitXml: null, phases: { test: { ms: 5, status } } }) as const;

describe("a project's JUnit reports", () => {
  test("googletest's and ctest's reports merged: counts and failed tests by name", async () => {
    await writeFile(path.join(workspace, "build/test-results/parser.xml"), GTEST_REPORT);
    await writeFile(path.join(workspace, "build/test-results/ctest.xml"), CTEST_REPORT);
    const { tests, notRead, problem } = await attemptTests(workspace, settings(["build/test-results/*.xml"]), ran(1));
    expect(problem).toBeNull();
    expect(notRead).toEqual([]);
    expect(tests).toMatchObject({ passed: 2, failed: 2, skipped: 1 });
    // The files in name order: ctest.xml, then parser.xml.
    expect(tests?.failures.map((f) => [f.classname, f.name])).toEqual([
      ["greeting.counts_words", "greeting.counts_words"],
      ["Parser", "RejectsGarbage"],
    ]);
    expect(tests?.failures[1]?.output).toContain('parse("x")');
  });

  test("a link to a host file and files that is not JUnit are not read, each with why; the rest is", async () => {
    await writeFile(path.join(workspace, "build/test-results/a.xml"), CTEST_REPORT);
    await symlink("/etc/passwd", path.join(workspace, "build/test-results/b.xml"));
    await writeFile(path.join(workspace, "build/test-results/c.xml"), "<project><target/></project>");
    await writeFile(path.join(workspace, "build/test-results/d.xml"), "<testsuite><testcase");
    const { tests, notRead, matched } = await readProjectReports(workspace, ["build/test-results/*.xml"]);
    expect(matched).toBe(4);
    expect(tests).toMatchObject({ passed: 1, failed: 1 });
    expect(notRead).toEqual([
      { path: "build/test-results/b.xml", reason: "a symbolic link: not followed" },
      { path: "build/test-results/c.xml", reason: "the root element is <project>, not <testsuites> or <testsuite>" },
      { path: "build/test-results/d.xml", reason: expect.stringMatching(/^the JUnit report is not well-formed XML/) },
    ]);
  });

  test("tests that passed and left no report the globs match fail the cell, saying so", async () => {
    const missing = await attemptTests(workspace, settings(["build/test-results/*.xml"]), ran(0));
    expect(missing.tests).toBeNull();
    expect(missing.problem).toBe(
      "the tests passed, but tests.junit (build/test-results/*.xml) matched no JUnit report: their results are unknown",
    );
    expect(missing.notRead).toEqual([{ path: "build/test-results/*.xml", reason: "matched no file" }]);

    await writeFile(path.join(workspace, "build/test-results/c.xml"), "<project/>");
    const unreadable = await attemptTests(workspace, settings(["build/test-results/*.xml"]), ran(0));
    expect(unreadable.problem).toBe(
      "the tests passed, but no JUnit report tests.junit (build/test-results/*.xml) matched could be read: their results are unknown",
    );
  });

  test("failed tests without reports: failed already, the missing reports are told; no test step: nothing looked for", async () => {
    const failed = await attemptTests(workspace, settings(["out/*.xml"]), ran(1));
    expect(failed).toEqual({ tests: null, problem: null, notRead: [{ path: "out/*.xml", reason: "matched no file" }] });
    const unbuilt = await attemptTests(workspace, settings(["out/*.xml"]), {
      conclusion: "failure",
      junitXml: null,
      phases: { build: { ms: 5, status: 2 } },
    });
    expect(unbuilt).toEqual({ tests: null, problem: null, notRead: [] });
  });

  test("without junit globs, ctest's JUnit from the test phase is read; its absence is no problem", async () => {
    const ctest = await attemptTests(workspace, settings(), { ...ran(1), junitXml: CTEST_REPORT });
    expect(ctest.tests).toMatchObject({ passed: 1, failed: 1 });
    expect(await attemptTests(workspace, settings(), ran(0))).toEqual({ tests: null, problem: null, notRead: [] });
  });
});
