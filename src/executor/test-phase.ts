/**
 * A cell's test step, as shell text for its `test` phase: ctest in the folder
 * the tests were built in (the config's `test_dir`, else a CMake build's
 * build_dir), writing its JUnit where the worker reads it; or the config's
 * own command, from the repository's root. Pure.
 */
import type { Cell } from "../config/matrix.ts";
import type { BuildSettings } from "./cell-script.ts";
import { shellQuote } from "./shell-quote.ts";

/**
 * The test phase's command, or null when the cell runs no tests. `junitFile`
 * is where ctest writes its JUnit (an absolute path: ctest runs elsewhere).
 */
export function testCommand(cell: Cell, settings: BuildSettings, junitFile: string): string | null {
  // The cell's own say (an include entry's `tests`), which defaults to the top level's.
  if (!cell.tests) return null;
  const { tests } = settings;
  if (tests.command !== undefined) return tests.command;
  const dir = tests.test_dir ?? (settings.build.kind === "cmake" ? settings.build.cmake.build_dir : null);
  if (dir === null) {
    // The config check refuses this; a job made before it existed still never passes untested.
    return `echo ${shellQuote("heimdall-build: tests are on, but a script build runs them only with tests: {test_dir: ...} or tests: {command: ...}")} >&2; exit 2`;
  }
  const ctest = [
    "ctest",
    "--output-on-failure",
    // A folder the config names must hold tests: ctest finding none there would pass (ctest's args may say otherwise).
    ...(tests.test_dir !== undefined ? ["--no-tests=error"] : []),
    "--output-junit",
    junitFile,
    ...(tests.ctest_args ?? []),
  ];
  return `cd ${shellQuote(dir)} && ${ctest.map(shellQuote).join(" ")}`;
}
