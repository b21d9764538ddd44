/**
 * Tests asked for with nothing that can run them. A CMake build has its test
 * step (ctest in its build folder); a script build has none of its own, so a
 * script build whose `tests` is on (by default, `true`, or `ctest_args`
 * without the folder to run ctest in) would pass without running a test.
 * That is a config error saying what to write, never a quiet pass. Pure.
 */
import type { ConfigProblem } from "./problems.ts";
import type { Config } from "./schema.ts";

/** What a script build's `tests` can say, in the words of the file. */
const HOW =
  "tests: {test_dir: DIR} to run ctest in the folder your script builds its tests in (relative to the repository), " +
  "tests: {command: CMD, junit: [GLOB]} to run your own tests and read the JUnit XML they write";

/**
 * The problems of a config whose schema is valid. `written` is the file's
 * own top-level `tests` value (undefined when the key is absent: the default,
 * on, was taken).
 */
export function testsProblems(config: Config, written: unknown): ConfigProblem[] {
  if (config.build.kind !== "script") return [];
  const { tests } = config;
  if (tests.command !== undefined || tests.test_dir !== undefined) return [];
  if (tests.enabled) return [topLevelProblem(tests.ctest_args !== undefined, written)];
  // Off at the top level: an include entry that turns tests on for its cells has nothing to run either.
  return (config.matrix.include ?? []).flatMap((entry, index): ConfigProblem[] =>
    entry.tests === true
      ? [
          {
            severity: "error",
            path: ["matrix", "include", index, "tests"],
            message: `true, but the top-level tests is false and a script build has no test step of its own; write ${HOW}, at the top level (then tests: false in the include entries of the cells that run none)`,
          },
        ]
      : [],
  );
}

function topLevelProblem(ctest: boolean, written: unknown): ConfigProblem {
  if (ctest) {
    return {
      severity: "error",
      path: ["tests"],
      message:
        "ctest_args needs test_dir in a script build: the folder ctest runs in, relative to the repository, where your script configures CMake (e.g. test_dir: build)",
    };
  }
  if (written === undefined) {
    return {
      severity: "error",
      path: ["tests"],
      // No `tests` key to point at: the script it is about.
      pointAt: ["build", "script"],
      message: `on by default, but a script build has no test step of its own; write ${HOW}, or tests: false`,
    };
  }
  const said = written === true ? "true asks for tests" : "names neither test_dir nor command";
  return {
    severity: "error",
    path: ["tests"],
    message: `${said}, but a script build has no test step of its own; write ${HOW}, or tests: false`,
  };
}
