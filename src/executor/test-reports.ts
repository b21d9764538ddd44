/**
 * An attempt's test results: ctest's JUnit (the file the test phase has it
 * write), or the JUnit XML files the project's own test command writes, which
 * the config's `tests.junit` globs name (googletest's `--gtest_output=xml:`,
 * ctest's `--output-junit`), merged into one count.
 *
 * The project's files were written by the build, so they are found as
 * artifacts are (artifacts.ts: no link followed, only regular files inside the
 * workspace, bounded in number and size), read again without following a
 * link, and parsed by the strict, bounded JUnit reader (junit.ts).
 *
 * Globs that name no readable report after a test step that passed fail the
 * cell: the config says where the results are, and a pass without them could
 * be tests that never ran.
 */
import { isJunitError, MAX_JUNIT_BYTES, mergeTestResults, parseJunit, type TestResults } from "../report/junit.ts";
import { collectArtifacts, type RefusedPath } from "./artifacts.ts";
import type { BuildSettings } from "./cell-script.ts";
import type { CellRunResult } from "./executor.ts";
import { readResultFile } from "./result-file.ts";

/** The project's reports read at most: files, and bytes in all (each at most MAX_JUNIT_BYTES). */
export const TEST_REPORT_LIMITS = { maxFiles: 1000, maxBytes: 64 * 1024 * 1024 } as const;

export interface AttemptTests {
  /** The counts and failed tests; null when no report was read. */
  readonly tests: TestResults | null;
  /** The project's reports that were not read, each with why (or its globs, when they named no file). */
  readonly notRead: readonly RefusedPath[];
  /** Why a cell whose test step passed cannot pass: its reports are missing. */
  readonly problem: string | null;
}

const NOTHING: AttemptTests = { tests: null, notRead: [], problem: null };

export async function attemptTests(
  workspace: string,
  settings: Pick<BuildSettings, "tests">,
  result: Pick<CellRunResult, "conclusion" | "junitXml" | "phases">,
): Promise<AttemptTests> {
  const globs = settings.tests.junit;
  if (!globs) {
    const parsed = result.junitXml ? parseJunit(result.junitXml) : null;
    return { ...NOTHING, tests: parsed && !isJunitError(parsed) ? parsed : null };
  }
  // Not run (the build failed first), or nobody waits for it (cancelled): no report is looked for.
  if (!result.phases.test || result.conclusion === "cancelled") return NOTHING;
  const { tests, notRead, matched } = await readProjectReports(workspace, globs);
  const named = globs.join(", ");
  if (matched === 0) notRead.push({ path: named, reason: "matched no file" });
  if (tests !== null || result.phases.test.status !== 0) return { tests, notRead, problem: null };
  return {
    tests,
    notRead,
    problem:
      matched === 0
        ? `the tests passed, but tests.junit (${named}) matched no JUnit report: their results are unknown`
        : `the tests passed, but no JUnit report tests.junit (${named}) matched could be read: their results are unknown`,
  };
}

/** The reports the globs name, each parsed, merged; those not read with why; how many files were found. */
export async function readProjectReports(
  workspace: string,
  globs: readonly string[],
): Promise<{ tests: TestResults | null; notRead: RefusedPath[]; matched: number }> {
  const collected = await collectArtifacts(workspace, globs, { ...TEST_REPORT_LIMITS, noun: "test report" });
  const notRead: RefusedPath[] = [...collected.refused];
  const reports: TestResults[] = [];
  for (const file of collected.artifacts) {
    const read = await readResultFile(workspace, file.path, MAX_JUNIT_BYTES);
    if (read === null) {
      notRead.push({ path: file.path, reason: "could not be read (not a regular file inside the workspace)" });
    } else if (read.cut) {
      notRead.push({ path: file.path, reason: `larger than ${MAX_JUNIT_BYTES / 1024 / 1024} MiB: not read` });
    } else {
      const parsed = parseJunit(read.text);
      if (isJunitError(parsed)) notRead.push({ path: file.path, reason: parsed.error });
      else reports.push(parsed);
    }
  }
  return {
    tests: reports.length > 0 ? mergeTestResults(reports) : null,
    notRead,
    matched: collected.artifacts.length + collected.refused.length,
  };
}
