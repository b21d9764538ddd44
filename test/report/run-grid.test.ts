/**
 * renderRunReport: the report of a local run, on cells made by the real
 * config parser and matrix expansion. Grid positions are read by the header's
 * column offsets, as a reader's eye reads them.
 */
import { stripVTControlCharacters } from "node:util";
import { describe, expect, test } from "vitest";
import type { Cell } from "../../src/config/matrix.ts";
import { parseLog } from "../../src/diagnostics/engine.ts";
import { type Annotation, type AnnotationLevel, annotate, fingerprint } from "../../src/report/annotations.ts";
import { MAX_DIAGNOSTIC_LINES } from "../../src/report/run-diagnostics.ts";
import {
  MAX_FAILED_TESTS_PER_CELL,
  type RunCellOutcome,
  type RunConclusion,
  renderRunReport,
} from "../../src/report/run-grid.ts";
import { cellsOf, yaml } from "../config/helpers.ts";

// gcc-12 and clang-16 on C++20 and 17 (listed out of order), Debug and
// Release; gcc-13 made twice by include, plain and with asan+ubsan, both in
// the Debug / C++17 position.
const CELLS = cellsOf(
  yaml(
    "version: 1",
    "matrix:",
    "  compiler: [gcc@12, clang@16]",
    "  cxx_standard: [20, 17]",
    "  build_type: [Debug, Release]",
    "  include:",
    "    - compiler: gcc@13",
    "      cxx_standard: 17",
    "      build_type: Debug",
    "    - compiler: gcc@13",
    "      cxx_standard: 17",
    "      build_type: Debug",
    "      sanitizers: [address, undefined]",
  ),
);

function cell(name: string, cells: readonly Cell[] = CELLS): Cell {
  const found = cells.find((c) => c.name === name);
  if (!found) throw new Error(`no cell '${name}' in ${cells.map((c) => c.name).join(", ")}`);
  return found;
}

function outcome(c: Cell, conclusion: RunConclusion, fields: Partial<RunCellOutcome> = {}): RunCellOutcome {
  return {
    cell: c,
    conclusion,
    reason: null,
    durationMs: conclusion === "skipped" ? null : 60_000,
    annotations: [],
    tests: null,
    failedTests: [],
    ...fields,
  };
}

function annotation(
  level: AnnotationLevel,
  path: string,
  line: number,
  message: string,
  code: string | null = null,
): Annotation {
  return {
    path,
    start_line: line,
    end_line: line,
    start_column: 5,
    end_column: 5,
    annotation_level: level,
    title: `gcc: ${code ?? level}`,
    message,
    raw_details: "",
    code,
    tool: "gcc",
    fingerprint: fingerprint(path, code, message),
  };
}

const SIGN = annotation(
  "warning",
  "src/a.cpp",
  7,
  "comparison of integer expressions of different signedness: 'int' and 'size_t'",
  "-Wsign-compare",
);

/** Every cell of CELLS with a conclusion. */
function fullRun(): RunCellOutcome[] {
  const conclusions: Record<string, RunConclusion> = {
    "linux / gcc-12 / c++20 / Debug": "success",
    "linux / gcc-12 / c++20 / Release": "failure",
    "linux / gcc-12 / c++17 / Debug": "success",
    "linux / gcc-12 / c++17 / Release": "success",
    "linux / clang-16 / c++20 / Debug": "timed_out",
    "linux / clang-16 / c++20 / Release": "cancelled",
    "linux / clang-16 / c++17 / Debug": "skipped",
    "linux / clang-16 / c++17 / Release": "success",
    "linux / gcc-13 / c++17 / Debug": "success",
    "linux / gcc-13 / c++17 / Debug / asan+ubsan": "failure",
  };
  expect(CELLS.map((c) => c.name).sort()).toEqual(Object.keys(conclusions).sort());
  return CELLS.map((c) => outcome(c, conclusions[c.name] as RunConclusion));
}

/** The lines of the grid under `heading`, up to the blank line that ends it. */
function gridOf(report: string, heading: string): string[] {
  const lines = report.split("\n");
  const start = lines.indexOf(heading);
  expect(start, `no grid '${heading}' in:\n${report}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** What the grid shows for `row` under `column`, read by the header's offsets. */
function at(grid: readonly string[], row: string, column: string): string {
  const [header = ""] = grid;
  const starts = [...header.matchAll(/c\+\+\d+/g)].map((m) => m.index);
  const start = header.indexOf(column);
  expect(start, `no column ${column} in '${header}'`).toBeGreaterThan(0);
  const next = starts.find((s) => s > start);
  const line = grid.find((l) => l.slice(0, starts[0]).trim() === row);
  expect(line, `no row ${row} in:\n${grid.join("\n")}`).toBeDefined();
  return (line ?? "").slice(start, next).trim();
}

function rowLabels(grid: readonly string[]): string[] {
  const [header = ""] = grid;
  const first = header.search(/c\+\+/);
  return grid.slice(1).map((l) => l.slice(0, first).trim());
}

describe("the grid", () => {
  test("one grid per build type, compilers as rows in first-seen order, standards sorted as columns", () => {
    const report = renderRunReport(fullRun(), { color: false });
    const debug = gridOf(report, "Debug");
    const release = gridOf(report, "Release");
    expect(report.indexOf("Debug")).toBeLessThan(report.indexOf("Release"));

    expect(debug[0]?.trim().split(/\s+/)).toEqual(["c++17", "c++20"]);
    expect(rowLabels(debug)).toEqual(["gcc-12", "clang-16", "gcc-13"]);
    expect(at(debug, "gcc-12", "c++17")).toBe("pass");
    expect(at(debug, "gcc-12", "c++20")).toBe("pass");
    expect(at(debug, "clang-16", "c++17")).toBe("skip");
    expect(at(debug, "clang-16", "c++20")).toBe("timeout");
    // Two cells in one position, told apart by their sanitizers; no gcc-13 C++20 cell.
    expect(at(debug, "gcc-13", "c++17")).toBe("pass, FAIL asan+ubsan");
    expect(at(debug, "gcc-13", "c++20")).toBe("-");

    // gcc-13 has no Release cell: no row for it there.
    expect(rowLabels(release)).toEqual(["gcc-12", "clang-16"]);
    expect(at(release, "gcc-12", "c++20")).toBe("FAIL");
    expect(at(release, "gcc-12", "c++17")).toBe("pass");
    expect(at(release, "clang-16", "c++20")).toBe("cancel");
    expect(at(release, "clang-16", "c++17")).toBe("pass");
  });

  test("the columns are only the standards the build type has, in the standards' order", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@14]",
        "  cxx_standard: [26, 11, 23, 14]",
        "  build_type: [Debug]",
      ),
    );
    const report = renderRunReport(
      cells.map((c) => outcome(c, "success")),
      { color: false },
    );
    expect(gridOf(report, "Debug")[0]?.trim().split(/\s+/)).toEqual(["c++11", "c++14", "c++23", "c++26"]);
  });

  test("rows name the platform when the run spans several, and only then", () => {
    const cells = cellsOf(
      yaml("version: 1", "matrix:", "  platform: [linux, macos]", "  compiler: [clang@16, apple-clang@15]"),
    );
    const outcomes = cells.map((c) => outcome(c, c.skipped ? "skipped" : "success"));
    const grid = gridOf(renderRunReport(outcomes, { color: false }), "Release");
    expect(rowLabels(grid)).toEqual([
      "linux / clang-16",
      "linux / apple-clang-15",
      "macos / clang-16",
      "macos / apple-clang-15",
    ]);
    // Apple clang does not target linux: the catalog skips the cell.
    expect(at(grid, "linux / apple-clang-15", "c++17")).toBe("skip");
    expect(at(grid, "macos / apple-clang-15", "c++17")).toBe("pass");

    const linuxOnly = renderRunReport(
      outcomes.filter((o) => o.cell.platform === "linux"),
      { color: false },
    );
    expect(rowLabels(gridOf(linuxOnly, "Release"))).toEqual(["clang-16", "apple-clang-15"]);
  });

  test("cells in one position told apart by their LLVM release and custom axes", () => {
    const cells = cellsOf(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  llvm: [16, 19]", "  axes: {shared: [ON, OFF]}"),
    );
    const outcomes = cells.map((c) =>
      outcome(c, c.name.endsWith("llvm-19 / Release / shared=OFF") ? "failure" : "success"),
    );
    const report = renderRunReport(outcomes, { color: false });
    expect(at(gridOf(report, "Release"), "gcc-12", "c++17")).toBe(
      "pass llvm-16 shared=ON, pass llvm-16 shared=OFF, pass llvm-19 shared=ON, FAIL llvm-19 shared=OFF",
    );
  });
});

describe("cells that did not pass, and totals", () => {
  test("one line per cell that did not pass, with its reason and counts; none for passing cells", () => {
    const outcomes = fullRun().map((o) => {
      switch (o.cell.name) {
        case "linux / gcc-12 / c++20 / Release":
          return {
            ...o,
            reason: "tests failed",
            annotations: [SIGN, annotation("failure", "src/b.cpp", 3, "expected ';'")],
            tests: { passed: 10, failed: 2, skipped: 1 },
          };
        case "linux / clang-16 / c++20 / Debug":
          return { ...o, reason: "timed out after 30 min" };
        case "linux / clang-16 / c++17 / Debug":
          return { ...o, reason: "compiler not installed on this host" };
        default:
          return o;
      }
    });
    const report = renderRunReport(outcomes, { color: false });
    const section = report.slice(report.indexOf("Did not pass:\n")).split("\n\n")[0]?.split("\n");
    expect(section).toEqual([
      "Did not pass:",
      "  linux / gcc-12 / c++20 / Release: failed: tests failed (1 error, 1 warning, 2 of 13 tests failed)",
      "  linux / clang-16 / c++20 / Debug: timed out after 30 min",
      "  linux / clang-16 / c++20 / Release: cancelled",
      "  linux / clang-16 / c++17 / Debug: skipped: compiler not installed on this host",
      "  linux / gcc-13 / c++17 / Debug / asan+ubsan: failed",
    ]);
  });

  test("totals count cells by conclusion, errors and warnings (distinct when repeated), and tests summed", () => {
    const error = annotation("failure", "src/b.cpp", 3, "expected ';'");
    const outcomes = fullRun().map((o, i) => ({
      ...o,
      // The same warning in every cell that ran; one error in one cell.
      annotations: o.conclusion === "skipped" ? [] : i === 1 ? [SIGN, error] : [SIGN],
      tests: o.conclusion === "success" ? { passed: 10, failed: 0, skipped: 1 } : null,
    }));
    const report = renderRunReport(outcomes, { color: false });
    expect(report).toContain(
      "10 cells: 5 passed, 2 failed, 1 timed out, 1 cancelled, 1 skipped\n" +
        "errors: 1, warnings: 9 (1 distinct)\n" +
        "tests: 50 passed, 0 failed, 5 skipped\n",
    );
  });

  test("no tests line when no cell ran tests; a run of one cell says so", () => {
    const report = renderRunReport([outcome(cell("linux / gcc-12 / c++17 / Debug"), "success")], { color: false });
    expect(report).toContain("1 cell: 1 passed\nerrors: 0, warnings: 0\n");
    expect(report).not.toContain("tests:");
    expect(report).not.toContain("Did not pass");
    expect(report).not.toContain("Diagnostics");
  });
});

describe("failed tests", () => {
  test("listed by name under their cell, the rest counted", () => {
    const many = Array.from({ length: MAX_FAILED_TESTS_PER_CELL + 5 }, (_, i) => `Suite.case${i}`);
    const outcomes = [
      outcome(cell("linux / gcc-12 / c++17 / Debug"), "failure", {
        tests: { passed: 3, failed: 2, skipped: 0 },
        failedTests: ["MathTest.Divide", "MathTest.Modulo"],
      }),
      outcome(cell("linux / gcc-12 / c++20 / Debug"), "success", { tests: { passed: 5, failed: 0, skipped: 0 } }),
      // More failed than were named (the junit report keeps a bounded number).
      outcome(cell("linux / clang-16 / c++17 / Debug"), "failure", {
        tests: { passed: 0, failed: 100, skipped: 0 },
        failedTests: many,
      }),
    ];
    const report = renderRunReport(outcomes, { color: false });
    const section = report.slice(report.indexOf("Failed tests:\n")).trimEnd().split("\n\n")[0]?.split("\n") ?? [];
    expect(section.slice(0, 4)).toEqual([
      "Failed tests:",
      "  linux / gcc-12 / c++17 / Debug",
      "    MathTest.Divide",
      "    MathTest.Modulo",
    ]);
    expect(section[4]).toBe("  linux / clang-16 / c++17 / Debug");
    expect(section.slice(5, -1)).toEqual(many.slice(0, MAX_FAILED_TESTS_PER_CELL).map((n) => `    ${n}`));
    expect(section.at(-1)).toBe(`    ... and ${100 - MAX_FAILED_TESTS_PER_CELL} more`);
    expect(report).not.toContain("Suite.case20\n");
  });
});

describe("diagnostics", () => {
  function diagnosticsOf(report: string): string[] {
    const start = report.indexOf("Diagnostics:\n");
    expect(start, report).toBeGreaterThanOrEqual(0);
    return report.slice(start).trimEnd().split("\n");
  }

  test("compiler-style, under the first cell that reported each, printed once with the other cells named", () => {
    const other = annotation("warning", "src/a.cpp", 12, "unused variable 'x'", "-Wunused-variable");
    // The same sign-compare warning on another line of the same file: its own diagnostic.
    const again = { ...SIGN, start_line: 30, end_line: 30 };
    const error = annotation("failure", "src/b.cpp", 3, "expected ';' before '}' token");
    const outcomes = [
      outcome(cell("linux / gcc-12 / c++17 / Debug"), "success", { annotations: [SIGN, other, again] }),
      outcome(cell("linux / gcc-12 / c++20 / Debug"), "success", { annotations: [SIGN] }),
      outcome(cell("linux / clang-16 / c++20 / Release"), "failure", { annotations: [SIGN, error, other] }),
      outcome(cell("linux / gcc-13 / c++17 / Debug / asan+ubsan"), "success", { annotations: [SIGN] }),
    ];
    expect(diagnosticsOf(renderRunReport(outcomes, { color: false }))).toEqual([
      "Diagnostics:",
      "linux / gcc-12 / c++17 / Debug:",
      "src/a.cpp:7:5: warning: comparison of integer expressions of different signedness: 'int' and 'size_t' [-Wsign-compare]",
      "  (also: gcc-12 c++20 Debug, clang-16 c++20 Release, gcc-13 c++17 Debug asan+ubsan)",
      "src/a.cpp:12:5: warning: unused variable 'x' [-Wunused-variable]",
      "  (also: clang-16 c++20 Release)",
      "src/a.cpp:30:5: warning: comparison of integer expressions of different signedness: 'int' and 'size_t' [-Wsign-compare]",
      "linux / clang-16 / c++20 / Release:",
      "src/b.cpp:3:5: error: expected ';' before '}' token",
    ]);
  });

  test("every distinct place once: the same warning at two columns of a line and on another line, in two cells", () => {
    const shadow = (line: number, column: number): Annotation => ({
      ...annotation("warning", "src/a.cpp", line, "declaration of 'n' shadows a parameter", "-Wshadow"),
      start_column: column,
      end_column: column,
    });
    const outcomes = [
      outcome(cell("linux / gcc-12 / c++17 / Debug"), "success", {
        annotations: [shadow(7, 5), shadow(7, 20), shadow(30, 5)],
      }),
      // The same three places, in another order.
      outcome(cell("linux / clang-16 / c++20 / Release"), "success", {
        annotations: [shadow(30, 5), shadow(7, 20), shadow(7, 5)],
      }),
    ];
    const report = renderRunReport(outcomes, { color: false });
    expect(diagnosticsOf(report)).toEqual([
      "Diagnostics:",
      "linux / gcc-12 / c++17 / Debug:",
      "src/a.cpp:7:5: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      "  (also: clang-16 c++20 Release)",
      "src/a.cpp:7:20: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      "  (also: clang-16 c++20 Release)",
      "src/a.cpp:30:5: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      "  (also: clang-16 c++20 Release)",
    ]);
    expect(report).toContain("errors: 0, warnings: 6 (3 distinct)\n");
  });

  test("as many entries as report.json has annotations, from a real log: columns and header places tell them apart", () => {
    const log = [
      "/src/a.cpp: In function 'int f(int)':",
      "/src/a.cpp:4:13: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      "/src/a.cpp:4:24: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      // Two errors in a system header, both placed on the line that instantiated it.
      "In file included from /usr/include/c++/12/algorithm:61,",
      "                 from /src/t.cpp:1:",
      "/usr/include/c++/12/bits/stl_algo.h: In instantiation of 'void std::__sort(_RAIter, _RAIter) [with _RAIter = P*]':",
      "/src/t.cpp:9:12:   required from here",
      "/usr/include/c++/12/bits/stl_algo.h:1867:11: error: no match for 'operator<' (operand types are 'P' and 'P')",
      "/usr/include/c++/12/bits/stl_algo.h:1870:11: error: no match for 'operator<' (operand types are 'P' and 'P')",
    ].join("\n");
    // What a cell's annotations are, in report.json too.
    const { annotations } = annotate(parseLog(log), { roots: ["/src"] });
    expect(annotations.map((a) => `${a.path}:${a.start_line}:${a.start_column}`)).toEqual([
      "a.cpp:4:13",
      "a.cpp:4:24",
      "t.cpp:9:12",
      "t.cpp:9:12",
    ]);

    const one = renderRunReport([outcome(cell("linux / gcc-12 / c++17 / Debug"), "failure", { annotations })], {
      color: false,
    });
    expect(one).toContain("errors: 2, warnings: 2\n");
    expect(diagnosticsOf(one).filter((l) => /^\S+:\d+:\d+: /.test(l))).toHaveLength(annotations.length);

    const two = renderRunReport(
      [
        outcome(cell("linux / gcc-12 / c++17 / Debug"), "failure", { annotations }),
        outcome(cell("linux / gcc-12 / c++20 / Debug"), "failure", { annotations }),
      ],
      { color: false },
    );
    expect(two).toContain("errors: 4 (2 distinct), warnings: 4 (2 distinct)\n");
    expect(diagnosticsOf(two)).toEqual([
      "Diagnostics:",
      "linux / gcc-12 / c++17 / Debug:",
      "t.cpp:9:12: error: no match for 'operator<' (operand types are 'P' and 'P')",
      "(in /usr/include/c++/12/bits/stl_algo.h:1867:11, reached from here)",
      "  (also: gcc-12 c++20 Debug)",
      "t.cpp:9:12: error: no match for 'operator<' (operand types are 'P' and 'P')",
      "(in /usr/include/c++/12/bits/stl_algo.h:1870:11, reached from here)",
      "  (also: gcc-12 c++20 Debug)",
      "a.cpp:4:13: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      "  (also: gcc-12 c++20 Debug)",
      "a.cpp:4:24: warning: declaration of 'n' shadows a parameter [-Wshadow]",
      "  (also: gcc-12 c++20 Debug)",
    ]);
  });

  test("within a cell, errors come before warnings and notes, each in log order", () => {
    const outcomes = [
      outcome(cell("linux / gcc-12 / c++17 / Debug"), "failure", {
        annotations: [
          annotation("notice", "src/a.cpp", 1, "declared here"),
          annotation("warning", "src/a.cpp", 2, "w1", "-Wshadow"),
          annotation("failure", "src/a.cpp", 3, "e1"),
          annotation("warning", "src/a.cpp", 4, "w2", "-Wshadow"),
          annotation("failure", "src/a.cpp", 5, "e2"),
        ],
      }),
    ];
    expect(diagnosticsOf(renderRunReport(outcomes, { color: false })).slice(2)).toEqual([
      "src/a.cpp:3:5: error: e1",
      "src/a.cpp:5:5: error: e2",
      "src/a.cpp:2:5: warning: w1 [-Wshadow]",
      "src/a.cpp:4:5: warning: w2 [-Wshadow]",
      "src/a.cpp:1:5: note: declared here",
    ]);
  });

  test(`at most ${MAX_DIAGNOSTIC_LINES} lines, errors kept over earlier warnings, the rest counted`, () => {
    const warnings = Array.from({ length: 80 }, (_, i) =>
      annotation("warning", "src/big.cpp", i + 1, `warning number ${i}`, "-Wconversion"),
    );
    const error = annotation("failure", "src/late.cpp", 9, "no matching function for call to 'f'");
    const outcomes = [
      outcome(cell("linux / gcc-12 / c++17 / Debug"), "success", { annotations: warnings }),
      outcome(cell("linux / gcc-12 / c++20 / Debug"), "failure", { annotations: [error] }),
    ];
    const lines = diagnosticsOf(renderRunReport(outcomes, { color: false }));
    const last = lines.at(-1) ?? "";
    expect(lines.length - 1).toBeLessThanOrEqual(MAX_DIAGNOSTIC_LINES);
    expect(lines).toContain("src/late.cpp:9:5: error: no matching function for call to 'f'");
    const shownWarnings = lines.filter((l) => l.includes(": warning: "));
    // Heading, two cell headings and the error take 4 lines.
    expect(shownWarnings).toHaveLength(MAX_DIAGNOSTIC_LINES - 4);
    expect(shownWarnings[0]).toBe("src/big.cpp:1:5: warning: warning number 0 [-Wconversion]");
    expect(last).toBe(`... ${80 - shownWarnings.length} more diagnostics not shown`);
  });

  test("a long list of other cells is cut", () => {
    const cells = cellsOf(
      yaml("version: 1", "matrix:", "  compiler: [gcc@10, gcc@11, gcc@12, gcc@13, gcc@14]", "  cxx_standard: [17, 20]"),
    );
    const outcomes = cells.map((c) => outcome(c, "success", { annotations: [SIGN] }));
    const lines = diagnosticsOf(renderRunReport(outcomes, { color: false }));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe(
      "  (also: gcc-10 c++20 Release, gcc-11 c++17 Release, gcc-11 c++20 Release, gcc-12 c++17 Release, gcc-12 c++20 Release, gcc-13 c++17 Release, and 3 more)",
    );
  });
});

describe("colour", () => {
  function annotated(): RunCellOutcome[] {
    return fullRun().map((o, i) => ({
      ...o,
      reason: o.conclusion === "success" ? null : "why",
      annotations: i < 3 ? [SIGN, annotation("failure", "src/b.cpp", 3, "expected ';'")] : [],
      tests: { passed: 1, failed: o.conclusion === "failure" ? 1 : 0, skipped: 0 },
      failedTests: o.conclusion === "failure" ? ["T.t"] : [],
    }));
  }

  test("off: no escape code at all", () => {
    const report = renderRunReport(annotated(), { color: false });
    expect(report).not.toContain("\u001b");
    expect(report).toContain("Diagnostics:");
  });

  test("on: the same text, coloured, and the grid still aligned", () => {
    const plain = renderRunReport(annotated(), { color: false });
    const coloured = renderRunReport(annotated(), { color: true });
    expect(coloured).toContain("\u001b[31m");
    expect(coloured).not.toBe(plain);
    expect(stripVTControlCharacters(coloured)).toBe(plain);
  });
});
