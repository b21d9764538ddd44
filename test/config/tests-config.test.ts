/**
 * `tests:` for CMake and script builds: what each key accepts, and tests asked
 * for with nothing that can run them (a script build has no test step of its
 * own) as positioned errors that say what to write, never a config that
 * passes without a test step.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import { formatProblem } from "../../src/config/problems.ts";
import { cellsOf, problemsOf, yaml } from "./helpers.ts";

const SCRIPT = ["version: 1", "matrix:", "  compiler: [gcc@12]", "build:", "  script:", "    commands: [./build.sh]"];
const HOW =
  "write tests: {test_dir: DIR} to run ctest in the folder your script builds its tests in (relative to the repository), tests: {command: CMD, junit: [GLOB]} to run your own tests and read the JUnit XML they write";

/** The only problem of a config, as `validate` prints it. */
function only(text: string): string {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  return formatProblem(problems[0] as (typeof problems)[number]);
}

describe("a script build's tests with nothing to run them", () => {
  it("tests left out (on by default): at the script, saying what to write", () => {
    expect(only(yaml(...SCRIPT)).replace(HOW, "HOW")).toBe(
      ".heimdall-build.yml:5:3: error: tests: on by default, but a script build has no test step of its own; HOW, or tests: false",
    );
  });

  it("tests: true", () => {
    expect(only(yaml(...SCRIPT, "tests: true")).replace(HOW, "HOW")).toBe(
      ".heimdall-build.yml:7:8: error: tests: true asks for tests, but a script build has no test step of its own; HOW, or tests: false",
    );
  });

  it("a mapping without test_dir or command", () => {
    expect(only(yaml(...SCRIPT, "tests: {}"))).toMatch(
      /^\.heimdall-build\.yml:7:8: error: tests: names neither test_dir nor command, but a script build has no test step of its own; write tests: \{test_dir: DIR\}/,
    );
  });

  it("ctest_args without test_dir", () => {
    expect(only(yaml(...SCRIPT, "tests:", "  ctest_args: [--output-on-failure]"))).toBe(
      ".heimdall-build.yml:8:3: error: tests: ctest_args needs test_dir in a script build: the folder ctest runs in, relative to the repository, where your script configures CMake (e.g. test_dir: build)",
    );
  });

  it("an include entry's tests: true under tests: false", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  include:",
      "    - compiler: gcc@13",
      "      tests: true",
      "build:",
      "  script:",
      "    commands: [make]",
      "tests: false",
    );
    expect(only(text)).toMatch(
      /^\.heimdall-build\.yml:6:14: error: matrix\.include\[0\]\.tests: true, but the top-level tests is false and a script build has no test step of its own; write tests: \{test_dir: DIR\} .* at the top level \(then tests: false in the include entries of the cells that run none\)$/,
    );
  });
});

describe("what tests accepts", () => {
  it.each([
    [
      "test_dir out of the repository",
      ["tests: {test_dir: ../build}"],
      "7:19",
      "tests.test_dir: must be a path inside the repository",
    ],
    [
      "test_dir with a command",
      ["tests: {command: make check, test_dir: build}"],
      "7:40",
      "tests.test_dir: is the folder ctest runs in; a command runs from the repository's root (write `cd DIR && ...` in the command)",
    ],
    [
      "junit without a command",
      ["tests: {test_dir: build, junit: [a.xml]}"],
      "7:33",
      "tests.junit: names the JUnit files a test command writes, and goes with command; ctest's own JUnit is read without it",
    ],
    [
      "no junit glob",
      ["tests: {command: make check, junit: []}"],
      "7:37",
      "tests.junit: must be at least 1 items; got 0",
    ],
    [
      "a junit glob outside the repository",
      ["tests: {command: make check, junit: [/tmp/*.xml]}"],
      "7:38",
      "tests.junit[0]: must be a path inside the repository",
    ],
    [
      "ctest_args and a command",
      ["tests: {command: make check, ctest_args: [-V]}"],
      "7:8",
      "tests: takes either ctest_args or command, not both",
    ],
  ])("%s", (_name, lines, at, words) => {
    const line = only(yaml(...SCRIPT, ...lines));
    expect(line).toContain(`.heimdall-build.yml:${at}: error: `);
    expect(line).toContain(words);
  });

  it("a script build with test_dir, with a command (JUnit globs or not), or with tests: false is valid", () => {
    for (const tests of [
      "tests: {test_dir: build}",
      "tests: {test_dir: build, ctest_args: [-R, unit]}",
      "tests: {command: make check}",
      "tests: {command: ./run-tests.sh, junit: [build/test-results/*.xml, 'out/**/TEST-*.xml']}",
      "tests: false",
    ]) {
      expect(cellsOf(yaml(...SCRIPT, tests))).toHaveLength(1);
    }
  });

  it("a script build's include entries may turn tests off, and a CMake build may name test_dir", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  include:",
      "    - {compiler: gcc@13, tests: false}",
      "build:",
      "  script:",
      "    commands: [make]",
      "tests: {test_dir: build}",
    );
    expect(cellsOf(text).map((c) => c.tests)).toEqual([true, false]);
    const cmake = parseConfig(yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "tests: {test_dir: build/unit}"));
    expect(cmake.ok && cmake.config.tests).toEqual({ enabled: true, test_dir: "build/unit" });
    // A CMake build runs ctest in its build folder: tests: true needs nothing more.
    expect(cellsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "tests: true"))).toHaveLength(1);
  });
});
