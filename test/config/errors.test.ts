/**
 * Bad configs: each problem is reported at the exact LINE:COLUMN of what is
 * wrong, with the field path and a message that says how to fix it.
 */
import { describe, expect, it, vi } from "vitest";
import { LIMITS } from "../../src/config/limits.ts";
import { MAX_PROBLEMS, parseConfig, parseConfigOrThrow } from "../../src/config/parse.ts";
import { ConfigError, type FieldPath, formatProblem } from "../../src/config/problems.ts";
import { problemsOf, yaml } from "./helpers.ts";

interface ExpectedProblem {
  readonly line: number;
  readonly column: number;
  readonly path: FieldPath;
  /** Words the message must contain. */
  readonly words: readonly string[];
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly problems: readonly ExpectedProblem[];
}

function p(line: number, column: number, path: FieldPath, ...words: string[]): ExpectedProblem {
  return { line, column, path, words };
}

const cases: readonly Case[] = [
  // Unknown keys are reported at the key, with the closest known key.
  {
    name: "a misspelt top-level key",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "timout_minutes: 30"),
    problems: [p(4, 1, ["timout_minutes"], "unknown key 'timout_minutes'", "did you mean 'timeout_minutes'?")],
  },
  {
    name: "compilr for compiler",
    text: yaml("version: 1", "matrix:", "  compilr: [gcc@12]"),
    problems: [p(3, 3, ["matrix", "compilr"], "unknown key 'compilr'", "did you mean 'compiler'?")],
  },
  {
    name: "a misspelt key in an include entry",
    text: yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  include:",
      "    - compiler: gcc@12",
      "      sanitiser: [address]",
    ),
    problems: [p(6, 7, ["matrix", "include", 0, "sanitiser"], "unknown key 'sanitiser'", "did you mean 'sanitizers'?")],
  },
  {
    name: "a misspelt key in build.cmake",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "build:", "  cmake:", "    generater: Ninja"),
    problems: [p(6, 5, ["build", "cmake", "generater"], "did you mean 'generator'?")],
  },
  {
    name: "an unknown key like no known one",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "banana: 1"),
    problems: [p(4, 1, ["banana"], "unknown key 'banana'", "allowed here: version, matrix")],
  },
  // Compilers.
  {
    name: "gcc@6, older than the catalog",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12, gcc@6]"),
    problems: [p(3, 22, ["matrix", "compiler", 1], "compiler 'gcc@6' is not in the catalog; gcc versions known: 7-16")],
  },
  {
    name: "an unknown MSVC in an include entry",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  include:", "    - compiler: msvc@2017"),
    problems: [p(5, 17, ["matrix", "include", 0, "compiler"], "'msvc@2017'", "msvc versions known: 2019, 2022")],
  },
  {
    name: "an unknown clang written as a mapping",
    text: yaml("version: 1", "matrix:", "  compiler: [{name: clang, version: 99}]"),
    problems: [p(3, 14, ["matrix", "compiler", 0], "'clang@99' is not in the catalog", "clang versions known: 7-23")],
  },
  {
    name: "g++ for gcc",
    text: yaml("version: 1", "matrix:", "  compiler: [g++@12]"),
    problems: [p(3, 14, ["matrix", "compiler", 0], "unknown compiler 'g++'", "did you mean 'gcc@12'?")],
  },
  {
    name: "a compiler without a version",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc]"),
    problems: [p(3, 14, ["matrix", "compiler", 0], "NAME@VERSION", "gcc@12")],
  },
  {
    name: "a compiler version that is not a number",
    text: yaml("version: 1", "matrix:", "  compiler: [{name: gcc, version: twelve}]"),
    problems: [p(3, 35, ["matrix", "compiler", 0, "version"], "whole number")],
  },
  // Values of the wrong type or out of range.
  {
    name: "an axis that is not a list",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  platform: linux"),
    problems: [p(4, 13, ["matrix", "platform"], "expected a list, got 'linux'")],
  },
  {
    name: "yes for true",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "coverage: yes"),
    problems: [p(4, 11, ["coverage"], "expected true or false, got 'yes'")],
  },
  {
    name: "a number in quotes",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "timeout_minutes: '60'"),
    problems: [p(4, 18, ["timeout_minutes"], "expected a number, got '60'")],
  },
  {
    name: "a fraction for a whole number",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "max_parallel: 1.5"),
    problems: [p(4, 15, ["max_parallel"], "whole number", "1.5")],
  },
  {
    name: "a number out of range",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "timeout_minutes: 0"),
    problems: [p(4, 18, ["timeout_minutes"], "at least 1", "got 0")],
  },
  {
    name: "a list for a mapping",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "env: [A]"),
    problems: [p(4, 6, ["env"], "expected a mapping", "got a list")],
  },
  {
    name: "a number for tests, which takes true, false or a mapping",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "tests: 5"),
    problems: [p(4, 8, ["tests"], "true or false", "mapping", "got 5")],
  },
  {
    name: "a list as an environment variable's value",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "env:", "  COMPILERS: [gcc]"),
    problems: [p(5, 14, ["env", "COMPILERS"], "string", "got a list")],
  },
  {
    name: "an environment variable name with a leading digit",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "env:", "  1A: x"),
    problems: [p(5, 3, ["env", "1A"], "letters, digits and _")],
  },
  {
    name: "C++18",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  cxx_standard: [17, 18]"),
    problems: [p(4, 22, ["matrix", "cxx_standard", 1], "18 is not allowed", "11, 14, 17, 20, 23, 26")],
  },
  {
    name: "a standard in quotes",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  cxx_standard: ['17']"),
    problems: [p(4, 18, ["matrix", "cxx_standard", 0], "'17'", "without quotes")],
  },
  {
    name: "release for Release",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  build_type: [release]"),
    problems: [p(4, 16, ["matrix", "build_type", 0], "'release' is not allowed", "did you mean 'Release'?")],
  },
  {
    name: "Linux for linux",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  platform: [Linux]"),
    problems: [p(4, 14, ["matrix", "platform", 0], "did you mean 'linux'?")],
  },
  {
    name: "a misspelt sanitizer",
    text: yaml("version: 1", "sanitizers: [adress]", "matrix:", "  compiler: [gcc@12]"),
    problems: [p(2, 14, ["sanitizers", 0], "'adress' is not allowed", "did you mean 'address'?")],
  },
  {
    name: "an empty axis",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  platform: []"),
    problems: [p(4, 13, ["matrix", "platform"], "at least 1")],
  },
  {
    name: "an empty exclude entry",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  exclude:", "    - {}"),
    problems: [p(5, 7, ["matrix", "exclude", 0], "at least one axis")],
  },
  {
    name: "a path out of the repository",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "artifacts: [build/*.so, ../secret]"),
    problems: [p(4, 25, ["artifacts", 1], "inside the repository")],
  },
  {
    name: "cmake and script together",
    text: yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "build:",
      "  cmake: {}",
      "  script:",
      "    commands: [make]",
    ),
    problems: [p(5, 3, ["build"], "either cmake or script")],
  },
  // The version and the shape of the file.
  {
    name: "version 2",
    text: yaml("version: 2", "matrix:", "  compiler: [gcc@12]"),
    problems: [p(1, 10, ["version"], "must be 1", "got 2")],
  },
  {
    name: "no version",
    text: yaml("matrix:", "  compiler: [gcc@12]"),
    problems: [p(1, 1, ["version"], "is required", "version: 1")],
  },
  {
    name: "no matrix",
    text: yaml("version: 1", "coverage: true"),
    problems: [p(1, 1, ["matrix"], "is required")],
  },
  {
    name: "a list at the top",
    text: yaml("- version: 1"),
    problems: [p(1, 1, [], "expected a mapping", "got a list")],
  },
  // YAML itself.
  {
    name: "a tab as indentation",
    text: yaml("version: 1", "matrix:", "\tcompiler: [gcc@12]"),
    problems: [p(3, 1, [], "YAML:", "tab")],
  },
  {
    name: "a stray bracket",
    text: yaml("version: 1", "matrix: {compiler: [gcc@12]]"),
    problems: [p(2, 28, [], "YAML:")],
  },
  {
    name: "a duplicate top-level key, at the second one",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "version: 1"),
    problems: [p(4, 1, [], "YAML:", "unique")],
  },
  {
    name: "a duplicate nested key, at the second one",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  compiler: [gcc@13]"),
    problems: [p(4, 3, [], "YAML:", "unique")],
  },
  {
    name: "two documents",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "---", "version: 1"),
    problems: [p(4, 1, [], "YAML:", "multiple documents")],
  },
  {
    name: "an alias to no anchor",
    text: yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "env:", "  A: *nope"),
    problems: [p(5, 6, [], "*nope", "anchor")],
  },
  {
    name: "a YAML 1.1 !!binary value, read as the string it is written as",
    text: yaml("version: 1", "matrix:", "  compiler: [!!binary aGVsbG8=]"),
    // At the value, after the tag.
    problems: [p(3, 23, ["matrix", "compiler", 0], "NAME@VERSION")],
  },
  {
    name: "a YAML 1.1 !!set, read as the mapping it is written as",
    text: yaml("%YAML 1.1", "---", "version: 1", "matrix:", "  compiler: !!set {gcc@12}"),
    problems: [p(5, 19, ["matrix", "compiler"], "expected a list, got a mapping")],
  },
  // The matrix.
  {
    name: "an include entry that leaves a several-valued axis open",
    text: yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  build_type: [Debug, Release]",
      "  include:",
      "    - compiler: clang@17",
    ),
    problems: [p(6, 7, ["matrix", "include", 0], "build_type", "Debug, Release")],
  },
  {
    name: "an exclude naming what is not an axis, and one that matches nothing",
    text: yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  exclude:",
      "    - build_type: Debug",
      "    - compiler: gcc@13",
    ),
    problems: [
      p(5, 7, ["matrix", "exclude", 0, "build_type"], "'build_type'", "not an axis"),
      p(6, 7, ["matrix", "exclude", 1], "matches no combination"),
    ],
  },
  {
    name: "an empty matrix",
    text: yaml("version: 1", "matrix: {}"),
    problems: [p(2, 9, ["matrix"], "no cells")],
  },
];

describe("positioned problems", () => {
  it.each(cases)("$name", ({ text, problems: expected }) => {
    const problems = problemsOf(text);
    expect(problems.map((q) => ({ line: q.line, column: q.column, path: q.path }))).toEqual(
      expected.map((e) => ({ line: e.line, column: e.column, path: e.path })),
    );
    problems.forEach((problem, i) => {
      expect(problem.file).toBe(".heimdall-build.yml");
      for (const word of expected[i]?.words ?? []) expect(problem.message).toContain(word);
    });
  });

  it("prints FILE:LINE:COL: error: FIELD: MESSAGE", () => {
    const result = parseConfig(yaml("version: 1", "matrix:", "  compilr: [gcc@12]"), { file: "ci/heimdall.yml" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem)).toEqual([
      "ci/heimdall.yml:3:3: error: matrix: unknown key 'compilr'; did you mean 'compiler'?",
    ]);
  });

  it("names the field of a wrong value in the printed line", () => {
    const [problem] = problemsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12, gcc@6]"));
    if (!problem) throw new Error("no problem");
    expect(formatProblem(problem)).toBe(
      ".heimdall-build.yml:3:22: error: matrix.compiler[1]: compiler 'gcc@6' is not in the catalog; gcc versions known: 7-16",
    );
  });

  it("marks the end of what is wrong", () => {
    const [problem] = problemsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12, gcc@6]"));
    expect(problem).toMatchObject({ line: 3, column: 22, endLine: 3, endColumn: 27 });
  });
});

describe("every problem in a file", () => {
  it("is reported, sorted by position", () => {
    const text = yaml(
      "version: 2",
      "matrix:",
      "  compiler: [gcc@12, gcc@6]",
      "  platform: linux",
      "  include:",
      "    - compilr: gcc@12",
      "coverage: yes",
      "timeout_minutes: 0",
    );
    expect(problemsOf(text).map((q) => [q.line, q.column, q.path])).toEqual([
      [1, 10, ["version"]],
      [3, 22, ["matrix", "compiler", 1]],
      [4, 13, ["matrix", "platform"]],
      [6, 7, ["matrix", "include", 0, "compilr"]],
      [7, 11, ["coverage"]],
      [8, 18, ["timeout_minutes"]],
    ]);
  });

  it("is reported for every YAML error", () => {
    const text = yaml("version: 1", "matrix:", "\tcompiler: [gcc@12]", "\tplatform: [linux]");
    expect(problemsOf(text).map((q) => [q.line, q.column])).toEqual([
      [3, 1],
      [4, 1],
    ]);
  });

  it("is reported for every matrix error", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  build_type: [Debug, Release]",
      "  exclude:",
      "    - platform: linux",
      "  include:",
      "    - compiler: gcc@13",
      "    - compiler: gcc@14",
    );
    expect(problemsOf(text).map((q) => [q.line, q.column, q.path])).toEqual([
      [6, 7, ["matrix", "exclude", 0, "platform"]],
      [8, 7, ["matrix", "include", 0]],
      [9, 7, ["matrix", "include", 1]],
    ]);
  });
});

describe("unusual YAML", () => {
  it("reports a collection used as a key as an unknown key, and prints nothing on the process's stderr", () => {
    const warn = vi.spyOn(process, "emitWarning");
    try {
      const problems = problemsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "? [a, b]", ": 1"));
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).toContain("unknown key '[ a, b ]'");
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("reads YAML 1.2 even under a %YAML 1.1 directive: yes is a string, not true", () => {
    const problems = problemsOf(
      yaml("%YAML 1.1", "---", "version: 1", "matrix:", "  compiler: [gcc@12]", "coverage: yes"),
    );
    expect(problems.map((q) => [q.line, q.column, q.path])).toEqual([[6, 11, ["coverage"]]]);
  });

  it("accepts Windows line endings and a byte order mark", () => {
    expect(parseConfig("\ufeffversion: 1\r\nmatrix:\r\n  compiler: [gcc@12]\r\n").ok).toBe(true);
    const problems = problemsOf("version: 1\r\nmatrix:\r\n  compilr: [gcc@12]\r\n");
    expect(problems.map((q) => [q.line, q.column])).toEqual([[3, 3]]);
  });

  it("counts lines inside a broken quoted scalar", () => {
    // The third error is on line 3, after the newline inside the unclosed quote.
    const problems = problemsOf("{name: gcc, version: 12}>\n '\nversion");
    for (const q of problems) expect(q.column).toBeLessThanOrEqual(q.line === 2 ? 3 : 26);
    expect(problems.at(-1)).toMatchObject({ line: 3, column: 1 });
  });
});

describe("empty files", () => {
  it.each([
    ["nothing", ""],
    ["blank lines", "\n\n  \n"],
    ["only comments", "# heimdall-build\n# nothing yet\n"],
  ])("says a file with %s is empty", (_label, text) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 1, column: 1, path: [] });
    expect(problems[0]?.message).toContain("empty");
  });
});

describe("limits", () => {
  /** A valid config padded with a comment to exactly `bytes` bytes. */
  function configOfSize(bytes: number): string {
    const head = yaml("version: 1", "matrix:", "  compiler: [gcc@12]");
    const text = `${head}#${"x".repeat(bytes - head.length - 2)}\n`;
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  }

  it("accepts a file of exactly 256 KiB", () => {
    expect(parseConfig(configOfSize(LIMITS.fileBytes)).ok).toBe(true);
  });

  it("refuses a file over 256 KiB, at 1:1, without parsing it", () => {
    const problems = problemsOf(configOfSize(LIMITS.fileBytes + 1));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 1, column: 1, path: [] });
    expect(problems[0]?.message).toContain(`${LIMITS.fileBytes + 1} bytes`);
    expect(problems[0]?.message).toContain(`${LIMITS.fileBytes}`);
  });

  it("counts bytes, not characters", () => {
    // 100,000 three-byte characters: under the limit in characters, over it in bytes.
    const text = `${yaml("version: 1", "matrix:", "  compiler: [gcc@12]")}# ${"€".repeat(100_000)}\n`;
    expect(text.length).toBeLessThan(LIMITS.fileBytes);
    expect(problemsOf(text)[0]?.message).toContain("bytes");
  });

  it("refuses a billion-laughs alias bomb quickly, at an alias", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    // Expanded, this document would hold 9^10 scalars; it must be refused, not built.
    const problems = problemsOf(yaml(...levels));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain("aliases");
    expect(problems[0]).toMatchObject({ line: 2, column: 8 });
  });

  it("accepts a few aliases", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: &compilers [gcc@12, gcc@13]",
      "  include:",
      "    - compiler: gcc@12",
      "      sanitizers: &sanitizers [address, undefined]",
      "    - compiler: gcc@13",
      "      sanitizers: *sanitizers",
    );
    const result = parseConfig(text);
    expect(result.ok && result.cells.map((c) => c.sanitizers)).toEqual([
      ["address", "undefined"],
      ["address", "undefined"],
    ]);
  });

  it("accepts 256 cells", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [linux, macos]",
      "  compiler: [gcc@9, gcc@10, gcc@11, gcc@12, gcc@13, gcc@14, gcc@15, gcc@16]",
      "  cxx_standard: [11, 14, 17, 20]",
      "  build_type: [Debug, Release, RelWithDebInfo, MinSizeRel]",
    );
    const result = parseConfig(text);
    expect(result.ok && result.cells.length).toBe(LIMITS.cells);
  });

  it("refuses more than 256 cells after expansion", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [linux, macos]",
      "  compiler: [gcc@9, gcc@10, gcc@11, gcc@12, gcc@13, gcc@14, gcc@15, gcc@16]",
      "  cxx_standard: [11, 14, 17, 20]",
      "  build_type: [Debug, Release, RelWithDebInfo, MinSizeRel]",
      "  include:",
      "    - compiler: clang@17",
      "      platform: linux",
      "      cxx_standard: 17",
      "      build_type: Debug",
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, column: 3, path: ["matrix"] });
    expect(problems[0]?.message).toContain("257 cells");
    expect(problems[0]?.message).toContain("256");
  });

  it("counts cells after exclude", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [linux, macos]",
      "  compiler: [gcc@9, gcc@10, gcc@11, gcc@12, gcc@13, gcc@14, gcc@15, gcc@16, clang@17]",
      "  cxx_standard: [11, 14, 17, 20]",
      "  build_type: [Debug, Release, RelWithDebInfo, MinSizeRel]",
      "  exclude:",
      "    - compiler: clang@17",
    );
    expect(parseConfig(text).ok).toBe(true);
  });

  it("reports a file of thousands of unknown keys as the first problems and a count of the rest", () => {
    const keys: string[] = [];
    for (let size = 0; size < LIMITS.fileBytes - 100; size += (keys.at(-1)?.length ?? 0) + 1)
      keys.push(`k${keys.length}: 1`);
    const text = yaml("version: 1", "matrix:", "  compiler: [gcc@12]", ...keys);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(LIMITS.fileBytes);
    const problems = problemsOf(text);
    expect(problems).toHaveLength(MAX_PROBLEMS);
    expect(problems[0]).toMatchObject({
      line: 4,
      column: 1,
      message:
        "unknown key 'k0'; allowed here: version, matrix, extends, sanitizers, coverage, tests, build, image, packages, timeout_minutes, env, artifacts, sbom, max_parallel, fail_fast, fork_prs, cache, network, standard_mismatch, cancel_superseded",
    });
    expect(problems.at(-1)).toMatchObject({
      line: MAX_PROBLEMS + 3,
      message: `${keys.length - (MAX_PROBLEMS - 1)} more problems not shown, from here on`,
    });
  });

  it("answers deeply nested YAML without throwing", () => {
    for (const depth of [100, 1000, 10_000, 100_000]) {
      const result = parseConfig(`version: 1\nmatrix: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
      expect(result.ok).toBe(false);
    }
  });
});

describe("parseConfigOrThrow", () => {
  it("throws a ConfigError carrying every problem", () => {
    const text = yaml("version: 2", "matrix:", "  compilr: [gcc@12]");
    let thrown: unknown;
    try {
      parseConfigOrThrow(text, { file: "x.yml" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.problems.map((q) => q.path)).toEqual([["version"], ["matrix", "compilr"]]);
    expect(error.message.split("\n")).toEqual(error.problems.map(formatProblem));
    expect(error.message).toMatch(/^x\.yml:1:10: error: version: /);
  });

  it("returns the cells and warnings of a valid config", () => {
    const result = parseConfigOrThrow(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  exclude:", "    - compiler: gcc@13"),
    );
    expect(result.cells.map((c) => c.name)).toEqual(["linux / gcc-12 / c++17 / Release"]);
    expect(result.warnings.map((w) => w.severity)).toEqual(["warning"]);
  });
});
