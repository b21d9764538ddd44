/**
 * Matrix expansion against GitHub Actions' documented semantics
 * (docs.github.com, "Running variations of jobs in a workflow"), translated into
 * this domain: the axes are platform, compiler, cxx_standard, c_standard and build_type;
 * the keys an include entry adds are sanitizers, coverage, tests and image.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import {
  bySummary,
  type CellSummary,
  cellsOf,
  expectedCell,
  problemsOf,
  sortedSummaries,
  summary,
  yaml,
} from "./helpers.ts";

describe("GitHub's include example", () => {
  // fruit: [apple, pear]   -> compiler: [gcc@12, gcc@13]
  // animal: [cat, dog]     -> build_type: [Debug, Release]
  // color: green / pink    -> sanitizers: [address] / [undefined]
  // shape: circle          -> coverage: true
  // fruit: banana          -> compiler: gcc@14 (a value no combination has)
  const include = [
    "  include:",
    "    - sanitizers: [address]", //  {color: green}
    "    - sanitizers: [undefined]", // {color: pink, animal: cat}
    "      build_type: Debug",
    "    - compiler: gcc@12", //       {fruit: apple, shape: circle}
    "      coverage: true",
  ];

  it("yields GitHub's six combinations when each new combination names every multi-valued axis", () => {
    // GitHub's {fruit: banana} leaves `animal` out; here a new cell must say
    // which build type it is, so the two banana entries name one each.
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  build_type: [Debug, Release]",
      ...include,
      "    - compiler: gcc@14", //       {fruit: banana}
      "      build_type: Release",
      "    - compiler: gcc@14", //       {fruit: banana, animal: cat}
      "      build_type: Debug",
    );
    // GitHub: {apple, cat, pink, circle}, {apple, dog, green, circle},
    // {pear, cat, pink}, {pear, dog, green}, {banana}, {banana, cat}:
    // the matrix's own combinations first, then the new ones in include order.
    expect(cellsOf(text).map(summary)).toEqual([
      expectedCell({ compiler: "gcc@12", build: "Debug", sanitizers: ["undefined"], coverage: true }),
      expectedCell({ compiler: "gcc@12", build: "Release", sanitizers: ["address"], coverage: true }),
      expectedCell({ compiler: "gcc@13", build: "Debug", sanitizers: ["undefined"] }),
      expectedCell({ compiler: "gcc@13", build: "Release", sanitizers: ["address"] }),
      expectedCell({ compiler: "gcc@14", build: "Release" }),
      expectedCell({ compiler: "gcc@14", build: "Debug" }),
    ]);
  });

  it("refuses GitHub's {fruit: banana} as written: the new cell's build type cannot be guessed", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  build_type: [Debug, Release]",
      ...include,
      "    - compiler: gcc@14", //       {fruit: banana}: line 11
      "    - compiler: gcc@14",
      "      build_type: Debug",
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      severity: "error",
      path: ["matrix", "include", 3],
      line: 11,
      column: 7,
    });
    expect(problems[0]?.message).toContain("build_type");
    expect(problems[0]?.message).toContain("Debug, Release");
  });
});

describe("GitHub's exclude example", () => {
  // os: [macos-latest, windows-latest] -> platform: [macos, windows]
  // version: [12, 14, 16]              -> compiler: [clang@16, clang@17, clang@18]
  // environment: [staging, production] -> build_type: [Debug, Release]
  const text = yaml(
    "version: 1",
    "matrix:",
    "  platform: [macos, windows]",
    "  compiler: [clang@16, clang@17, clang@18]",
    "  build_type: [Debug, Release]",
    "  exclude:",
    "    - platform: macos", //     {os: macos-latest, version: 12, environment: production}
    "      compiler: clang@16",
    "      build_type: Release",
    "    - platform: windows", //   {os: windows-latest, version: 16}
    "      compiler: {name: clang, version: 18}",
  );

  it("removes every combination an entry partially matches: 12 - 1 - 2 = 9 cells", () => {
    const expected: CellSummary[] = [];
    for (const platform of ["macos", "windows"]) {
      for (const compiler of ["clang@16", "clang@17", "clang@18"]) {
        for (const build of ["Debug", "Release"]) {
          if (platform === "macos" && compiler === "clang@16" && build === "Release") continue;
          if (platform === "windows" && compiler === "clang@18") continue;
          expected.push(expectedCell({ platform, compiler, build }));
        }
      }
    }
    expect(expected).toHaveLength(9);
    expect(sortedSummaries(cellsOf(text))).toEqual(expected.sort(bySummary));
  });

  it("reports no problems", () => {
    const result = parseConfig(text);
    expect(result.ok && result.warnings).toEqual([]);
  });
});

describe("exclude", () => {
  it("runs before include, so include can add an excluded combination back", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  build_type: [Debug, Release]",
      "  exclude:",
      "    - compiler: gcc@13",
      "  include:",
      "    - compiler: gcc@13",
      "      build_type: Debug",
      "      coverage: true",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [
        expectedCell({ compiler: "gcc@12", build: "Debug" }),
        expectedCell({ compiler: "gcc@12", build: "Release" }),
        expectedCell({ compiler: "gcc@13", build: "Debug", coverage: true }),
      ].sort(bySummary),
    );
  });

  it("matches gcc@12 and {name: gcc, version: 12} as the same compiler", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, {name: gcc, version: 13}]",
      "  cxx_standard: [17, 20]",
      "  exclude:",
      "    - compiler: {name: gcc, version: 12}",
      "      cxx_standard: 20",
      "    - compiler: gcc@13",
      "      cxx_standard: 17",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [expectedCell({ compiler: "gcc@12", cxx: 17 }), expectedCell({ compiler: "gcc@13", cxx: 20 })].sort(bySummary),
    );
  });

  it("treats a version written as a string like the number", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  exclude:",
      "    - compiler: {name: gcc, version: '12'}",
    );
    expect(cellsOf(text).map(summary)).toEqual([expectedCell({ compiler: "gcc@13" })]);
  });

  it("is an error, at the key, when it names something that is not an axis of the matrix", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  exclude:",
      "    - compiler: gcc@12",
      "      platform: linux", // platform is not declared: line 6, column 7
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      severity: "error",
      path: ["matrix", "exclude", 0, "platform"],
      line: 6,
      column: 7,
    });
    expect(problems[0]?.message).toMatch(/'platform'.*not an axis/);
  });

  it("warns, without failing, when an entry matches no combination", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  exclude:",
      "    - compiler: gcc@14", // line 5, column 7
    );
    const result = parseConfig(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.cells).toHaveLength(2);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({
      severity: "warning",
      path: ["matrix", "exclude", 0],
      line: 5,
      column: 7,
    });
    expect(result.warnings[0]?.message).toContain("matches no combination");
  });

  it("does not count a combination that an earlier entry already removed as a match", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  build_type: [Debug, Release]",
      "  exclude:",
      "    - compiler: gcc@13",
      "    - compiler: gcc@13",
      "      build_type: Debug",
    );
    const result = parseConfig(text);
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual([["matrix", "exclude", 1]]);
  });

  it("leaving no combination and no include is an error", () => {
    const text = yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  exclude:", "    - compiler: gcc@12");
    const problems = problemsOf(text);
    expect(problems.map((p) => p.path)).toEqual([["matrix"]]);
    expect(problems[0]?.message).toContain("no cells");
  });
});

describe("include", () => {
  it("adds its keys to every original combination it does not contradict", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [linux, macos]",
      "  compiler: [gcc@12, clang@16]",
      "  include:",
      "    - compiler: clang@16",
      "      sanitizers: [address, undefined]",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [
        expectedCell({ compiler: "gcc@12" }),
        expectedCell({ compiler: "clang@16", sanitizers: ["address", "undefined"] }),
        expectedCell({ platform: "macos", compiler: "gcc@12" }),
        expectedCell({ platform: "macos", compiler: "clang@16", sanitizers: ["address", "undefined"] }),
      ].sort(bySummary),
    );
  });

  it("matches {name: gcc, version: 12} against the axis value gcc@12", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  include:",
      "    - compiler: {name: gcc, version: 12}",
      "      tests: false",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [expectedCell({ compiler: "gcc@12", tests: false }), expectedCell({ compiler: "gcc@13" })].sort(bySummary),
    );
  });

  it("lets a later entry overwrite what an earlier one added", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  include:",
      "    - coverage: true",
      "      tests: false",
      "      sanitizers: [address]",
      "    - compiler: gcc@13",
      "      coverage: false",
      "      sanitizers: [thread]",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [
        expectedCell({ compiler: "gcc@12", coverage: true, tests: false, sanitizers: ["address"] }),
        expectedCell({ compiler: "gcc@13", coverage: false, tests: false, sanitizers: ["thread"] }),
      ].sort(bySummary),
    );
  });

  it("never overwrites an original axis value: a contradicting entry makes a new cell", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  build_type: [Release]",
      "  include:",
      "    - compiler: gcc@12",
      "      build_type: Debug",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [expectedCell({ compiler: "gcc@12" }), expectedCell({ compiler: "gcc@12", build: "Debug" })].sort(bySummary),
    );
  });

  it("treats an axis the matrix does not declare as an added key, which later entries may overwrite", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  include:",
      "    - compiler: gcc@12",
      "      cxx_standard: 20",
      "    - compiler: gcc@12",
      "      cxx_standard: 23",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [expectedCell({ compiler: "gcc@12", cxx: 23 }), expectedCell({ compiler: "gcc@13" })].sort(bySummary),
    );
  });

  it("gives every combination a compiler when the matrix has no compiler axis", () => {
    const text = yaml("version: 1", "matrix:", "  platform: [linux, macos]", "  include:", "    - compiler: gcc@12");
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [expectedCell({ compiler: "gcc@12" }), expectedCell({ platform: "macos", compiler: "gcc@12" })].sort(bySummary),
    );
  });

  it("is not merged into a combination an earlier include entry created", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  include:",
      "    - compiler: gcc@14",
      "    - compiler: gcc@14",
      "      coverage: true",
    );
    expect(cellsOf(text).map(summary)).toEqual([
      expectedCell({ compiler: "gcc@12" }),
      expectedCell({ compiler: "gcc@14" }),
      expectedCell({ compiler: "gcc@14", coverage: true }),
    ]);
  });

  it("makes one cell per entry when the matrix has only include", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  include:",
      "    - compiler: gcc@12",
      "    - compiler: clang@17",
      "      cxx_standard: 23",
      "    - compiler: apple-clang@16",
      "      platform: macos",
      "      build_type: Debug",
    );
    expect(cellsOf(text).map(summary)).toEqual([
      expectedCell({ compiler: "gcc@12" }),
      expectedCell({ compiler: "clang@17", cxx: 23 }),
      expectedCell({ platform: "macos", compiler: "apple-clang@16", build: "Debug" }),
    ]);
  });

  it("fills a missing axis with the axis's only value when the matrix declares exactly one", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [macos]",
      "  compiler: [gcc@12, gcc@13]",
      "  cxx_standard: [20]",
      "  build_type: [Debug]",
      "  include:",
      "    - compiler: clang@17",
    );
    expect(cellsOf(text).map(summary)[2]).toEqual(
      expectedCell({ platform: "macos", compiler: "clang@17", cxx: 20, build: "Debug" }),
    );
  });

  it("fills a missing axis the matrix does not declare with its default: linux, C++17, Release", () => {
    const text = yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  include:", "    - compiler: gcc@13");
    expect(cellsOf(text).map(summary)).toEqual([
      expectedCell({ compiler: "gcc@12", platform: "linux", cxx: 17, build: "Release" }),
      expectedCell({ compiler: "gcc@13", platform: "linux", cxx: 17, build: "Release" }),
    ]);
  });

  it("is an error at the entry when a new cell lacks an axis declared with several values", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  cxx_standard: [17, 20]",
      "  include:",
      "    - compiler: gcc@13",
      "      coverage: true",
      "    - sanitizers: [address]", // line 8: matches the originals, fine
      "    -   compiler: clang@17", // line 9, column 9
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.line, p.column])).toEqual([
      [["matrix", "include", 0], 6, 7],
      [["matrix", "include", 2], 9, 9],
    ]);
    for (const p of problems) expect(p.message).toMatch(/cxx_standard.*17, 20/);
  });

  it("is an error when a new cell names no compiler and the matrix has none", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  include:",
      "    - compiler: gcc@12",
      "    - platform: macos", // line 5
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.line, p.column])).toEqual([[["matrix", "include", 1], 5, 7]]);
    expect(problems[0]?.message).toContain("compiler");
  });

  it("is an error when a matrix without a compiler axis leaves its combinations without a compiler", () => {
    const text = yaml("version: 1", "matrix:", "  platform: [linux, macos]", "  build_type: [Debug, Release]");
    const problems = problemsOf(text);
    // One mistake, one error, and it does not blame an include entry the file does not have.
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(["matrix"]);
    expect(problems[0]?.message).toContain("compiler");
    expect(problems[0]?.message).not.toContain("this include entry");
  });
});

describe("duplicate cells", () => {
  it("is an error when two include entries make the same cell, at the second entry", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  include:",
      "    - compiler: gcc@14",
      "    - compiler: {name: gcc, version: 14}", // line 6
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.line, p.column])).toEqual([[["matrix", "include", 1], 6, 7]]);
    expect(problems[0]?.message).toContain("linux / gcc-14 / c++17 / Release");
    expect(problems[0]?.message).toContain("matrix.include[0]");
  });

  it("is an error when the compiler axis lists one compiler twice in different spellings", () => {
    const listedTwice = problemsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12, {name: gcc, version: 12}]"));
    expect(listedTwice.map((p) => p.path)).toEqual([["matrix", "compiler", 1]]);
    expect(listedTwice[0]?.message).toContain("twice");

    const throughList = problemsOf(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12, {name: gcc, version: [12, 13]}]"),
    );
    expect(throughList).toHaveLength(1);
    expect(throughList[0]?.severity).toBe("error");
    expect(throughList[0]?.message).toContain("linux / gcc-12 / c++17 / Release");
  });

  it("keeps cells apart that differ only in sanitizers or coverage", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  include:",
      "    - compiler: gcc@12",
      "    - compiler: gcc@12",
      "      sanitizers: [address]",
      "    - compiler: gcc@12",
      "      coverage: true",
    );
    const cells = cellsOf(text);
    expect(new Set(cells.map((c) => c.id)).size).toBe(3);
  });
});

describe("axes", () => {
  it("multiplies the declared axes and gives undeclared ones their defaults", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, clang@17]",
      "  cxx_standard: [17, 20, 23]",
      "  build_type: [Debug, Release]",
    );
    const expected: CellSummary[] = [];
    for (const compiler of ["gcc@12", "clang@17"]) {
      for (const cxx of [17, 20, 23]) {
        for (const build of ["Debug", "Release"]) expected.push(expectedCell({ compiler, cxx, build }));
      }
    }
    expect(sortedSummaries(cellsOf(text))).toEqual(expected.sort(bySummary));
  });

  it("expands {name, version: [..]} into one compiler a version", () => {
    const text = yaml("version: 1", "matrix:", "  compiler: [{name: clang, version: [17, 18]}, gcc@13]");
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [
        expectedCell({ compiler: "clang@17" }),
        expectedCell({ compiler: "clang@18" }),
        expectedCell({ compiler: "gcc@13" }),
      ].sort(bySummary),
    );
  });

  it("applies the top-level sanitizers, coverage and tests to every cell unless include overrides them", () => {
    const text = yaml(
      "version: 1",
      "sanitizers: [undefined]",
      "coverage: true",
      "tests: false",
      "matrix:",
      "  compiler: [gcc@12, gcc@13]",
      "  include:",
      "    - compiler: gcc@13",
      "      sanitizers: []",
      "      tests: true",
    );
    expect(sortedSummaries(cellsOf(text))).toEqual(
      [
        expectedCell({ compiler: "gcc@12", sanitizers: ["undefined"], coverage: true, tests: false }),
        expectedCell({ compiler: "gcc@13", sanitizers: [], coverage: true, tests: true }),
      ].sort(bySummary),
    );
  });

  it("names cells PLATFORM / COMPILER-VERSION / c++STD / BUILD_TYPE, sanitizers appended", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  include:",
      "    - compiler: clang@17",
      "      sanitizers: [undefined, address]",
      "    - compiler: gcc@12",
      "      cxx_standard: 20",
      "      build_type: RelWithDebInfo",
    );
    expect(cellsOf(text).map((c) => c.name)).toEqual([
      "linux / clang-17 / c++17 / Release / asan+ubsan",
      "linux / gcc-12 / c++20 / RelWithDebInfo",
    ]);
  });
});

describe("an include entry's image", () => {
  it("gives each compiler its image; the top level's stays the default, the catalog's after it", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, clang@16, gcc@11]",
      "  include:",
      "    - compiler: gcc@12",
      "      image: registry.example.com/ci/gcc:12",
      "    - compiler: clang@16",
      "      image: registry.example.com/ci/clang:16",
    );
    const images = Object.fromEntries(cellsOf(text).map((c) => [c.name, c.image]));
    expect(images).toEqual({
      "linux / gcc-12 / c++17 / Release": "registry.example.com/ci/gcc:12",
      "linux / clang-16 / c++17 / Release": "registry.example.com/ci/clang:16",
      "linux / gcc-11 / c++17 / Release": "heimdall-build/gcc-11:bookworm",
    });
    const withDefault = cellsOf(`${text}\nimage: registry.example.com/ci/base:1\n`);
    expect(withDefault.find((c) => c.name.includes("gcc-11"))?.image).toBe("registry.example.com/ci/base:1");
    expect(withDefault.find((c) => c.name.includes("gcc-12"))?.image).toBe("registry.example.com/ci/gcc:12");
  });

  it("makes a compiler without a catalog image runnable, for its cells only", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@8, gcc@7]",
      "  include:",
      "    - compiler: gcc@8",
      "      image: registry.example.com/ci/gcc:8",
    );
    const cells = cellsOf(text);
    expect(cells.find((c) => c.name.includes("gcc-8"))).toMatchObject({
      skipped: false,
      image: "registry.example.com/ci/gcc:8",
    });
    expect(cells.find((c) => c.name.includes("gcc-7"))).toMatchObject({ skipped: true });
  });

  it("is checked as a docker reference, where it is written", () => {
    const problems = problemsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12]",
        "  include:",
        "    - compiler: gcc@12",
        "      image: Not An Image",
      ),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        line: 6,
        path: ["matrix", "include", 0, "image"],
        message: expect.stringContaining("an image is a docker reference"),
      }),
    ]);
  });
});

describe("the C standard axis", () => {
  it("makes C cells with no C++ standard, named and spelled per compiler by the catalog", () => {
    const cells = cellsOf(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12, gcc@14, clang@16]", "  c_standard: [11, 23]"),
    );
    expect(cells.map((c) => [c.name, c.id, c.cxxStandard, c.cStandard, c.stdFlag, c.cStdFlag])).toEqual([
      ["linux / gcc-12 / c11 / Release", "linux-gcc-12-c11-release", null, 11, null, "-std=c11"],
      ["linux / gcc-12 / c23 / Release", "linux-gcc-12-c23-release", null, 23, null, "-std=c2x"],
      ["linux / gcc-14 / c11 / Release", "linux-gcc-14-c11-release", null, 11, null, "-std=c11"],
      ["linux / gcc-14 / c23 / Release", "linux-gcc-14-c23-release", null, 23, null, "-std=c23"],
      ["linux / clang-16 / c11 / Release", "linux-clang-16-c11-release", null, 11, null, "-std=c11"],
      ["linux / clang-16 / c23 / Release", "linux-clang-16-c23-release", null, 23, null, "-std=c2x"],
    ]);
  });

  it("multiplies with the C++ axis: a cell has both standards, C++ first in its name", () => {
    const cells = cellsOf(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  cxx_standard: [17]", "  c_standard: [99]"),
    );
    expect(cells.map((c) => [c.name, c.id, c.stdFlag, c.cStdFlag])).toEqual([
      ["linux / gcc-12 / c++17 / c99 / Release", "linux-gcc-12-cxx17-c99-release", "-std=c++17", "-std=c99"],
    ]);
  });

  it("skips a C standard the compiler does not have, saying which it has", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@7, msvc@2019]",
        "  platform: [linux, windows]",
        "  c_standard: [17, 99]",
      ),
    );
    const reasons = new Map(cells.map((c) => [c.name, c.skipReason]));
    expect(reasons.get("linux / gcc-7 / c17 / Release")).toBe("gcc 7 does not support C17 (it supports C90, C99, C11)");
    expect(reasons.get("windows / msvc-2019 / c99 / Release")).toBe(
      "msvc 2019 does not support C99 (it supports C11, C17); MSVC has no C90 or C99 mode, /std:c11 is its oldest",
    );
    expect(reasons.get("windows / msvc-2019 / c17 / Release")).toBeNull();
  });

  it("an include entry with a C standard gives its new cell no C++ default; without one, C++17 as before", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12]",
        "  include:",
        "    - compiler: clang@16",
        "      c_standard: 17",
      ),
    );
    expect(cells.map((c) => c.name)).toEqual(["linux / gcc-12 / c++17 / Release", "linux / clang-16 / c17 / Release"]);
  });

  it("an unknown C standard is an error at its value, listing the known ones", () => {
    const problems = problemsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  c_standard: [11, 20]"));
    expect(problems).toEqual([
      expect.objectContaining({ line: 4, column: 20, message: expect.stringMatching(/90.*99.*11.*17.*23/) }),
    ]);
  });
});

describe("the llvm axis", () => {
  it("names cells by their LLVM release, gives them llvm-N-dev, and skips a compiler whose suite lacks it", () => {
    const cells = cellsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12, gcc@14]", "  llvm: [16, 19]"));
    expect(cells.map((c) => [c.name, c.id, c.llvm, c.packages, c.skipReason])).toEqual([
      ["linux / gcc-12 / c++17 / llvm-16 / Release", "linux-gcc-12-cxx17-llvm16-release", 16, ["llvm-16-dev"], null],
      ["linux / gcc-12 / c++17 / llvm-19 / Release", "linux-gcc-12-cxx17-llvm19-release", 19, ["llvm-19-dev"], null],
      [
        "linux / gcc-14 / c++17 / llvm-16 / Release",
        "linux-gcc-14-cxx17-llvm16-release",
        16,
        ["llvm-16-dev"],
        "gcc 14's image is Debian trixie, which carries LLVM 17, 18, 19, 22, not 16 (LLVM 16 is in bullseye, bookworm); set an include entry's image that has both",
      ],
      ["linux / gcc-14 / c++17 / llvm-19 / Release", "linux-gcc-14-cxx17-llvm19-release", 19, ["llvm-19-dev"], null],
    ]);
  });

  it("an include entry per release adds its packages; a release no suite carries is skipped unless an image is named", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [clang@16]",
        "  llvm: [16, 12, 10]",
        "  include:",
        "    - {llvm: 16, packages: [liblld-16-dev]}",
        "    - {llvm: 12, image: 'my/llvm12:1'}",
      ),
    );
    expect(cells.map((c) => [c.name, c.packages, c.image, c.skipReason])).toEqual([
      [
        "linux / clang-16 / c++17 / llvm-16 / Release",
        ["liblld-16-dev", "llvm-16-dev"],
        "heimdall-build/clang-16:bookworm",
        null,
      ],
      ["linux / clang-16 / c++17 / llvm-12 / Release", ["llvm-12-dev"], "my/llvm12:1", null],
      [
        "linux / clang-16 / c++17 / llvm-10 / Release",
        ["llvm-10-dev"],
        "heimdall-build/clang-16:bookworm",
        "no Debian suite carries LLVM 10 (llvm-10-dev; they carry LLVM 9, 11, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23): name an image that has it",
      ],
    ]);
  });
});
