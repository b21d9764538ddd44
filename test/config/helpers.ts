/** Shared helpers for the config tests: parse a text and read its cells or problems. */
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { formatProblem, type PositionedProblem } from "../../src/config/problems.ts";

/** Lines joined with "\n", so a test's YAML reads top to bottom with its line numbers obvious. */
export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

/** The cells of a config that must be valid; a failure shows every problem. */
export function cellsOf(text: string): readonly Cell[] {
  const result = parseConfig(text);
  if (!result.ok) {
    throw new Error(`expected a valid config, got:\n${result.problems.map(formatProblem).join("\n")}`);
  }
  return result.cells;
}

/** The problems of a config that must be invalid. */
export function problemsOf(text: string): readonly PositionedProblem[] {
  const result = parseConfig(text);
  if (result.ok) {
    throw new Error(`expected problems, got ${result.cells.length} cells: ${result.cells.map((c) => c.id).join(", ")}`);
  }
  return result.problems;
}

/** The problems of a config that must be invalid, a line each: `LINE:COLUMN field.path: message`. */
export function problemLines(text: string): string[] {
  return problemsOf(text).map((p) => `${p.line}:${p.column} ${p.path.join(".")}: ${p.message}`);
}

/** What a cell is, in the config's own words, for comparing with what a spec says. */
export interface CellSummary {
  readonly platform: string;
  readonly compiler: string;
  readonly cxx: number | null;
  readonly c: number | null;
  readonly build: string;
  readonly sanitizers: readonly string[];
  readonly coverage: boolean;
  readonly tests: boolean;
}

export function summary(cell: Cell): CellSummary {
  return {
    platform: cell.platform,
    compiler: `${cell.compiler.family}@${cell.compiler.version}`,
    cxx: cell.cxxStandard,
    c: cell.cStandard,
    build: cell.buildType,
    sanitizers: cell.sanitizers,
    coverage: cell.coverage,
    tests: cell.tests,
  };
}

/**
 * An expected cell: the defaults a cell takes when nothing sets them (linux,
 * C++17, Release, no sanitizers, no coverage, tests on), overridden by `fields`.
 */
export function expectedCell(fields: Partial<CellSummary> & { readonly compiler: string }): CellSummary {
  return {
    platform: "linux",
    cxx: 17,
    c: null,
    build: "Release",
    sanitizers: [],
    coverage: false,
    tests: true,
    ...fields,
  };
}

/** Cells in a stable order, for comparing sets of cells whatever order they were made in. */
export function sortedSummaries(cells: readonly Cell[]): CellSummary[] {
  return cells.map(summary).sort(bySummary);
}

export function bySummary(a: CellSummary, b: CellSummary): number {
  const key = (s: CellSummary) =>
    [s.platform, s.compiler, s.cxx, s.build, s.sanitizers.join("+"), s.coverage, s.tests].join(" ");
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
