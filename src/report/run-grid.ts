/**
 * The report `heimdall-build run` prints when a local run of the matrix ends:
 * a pass/fail grid per build type, the cells that did not pass and why,
 * totals, failed tests, and the diagnostics (run-diagnostics.ts), each
 * distinct one printed once however many cells reported it. Pure: text in,
 * text out.
 */
import { cellVariant } from "../config/make-cell.ts";
import type { Cell } from "../config/matrix.ts";
import { compareStandards, standardsLabel } from "../config/standards.ts";
import type { Annotation, AnnotationLevel } from "./annotations.ts";
import { type Format, type Paint, painter } from "./paint.ts";
import { type DistinctDiagnostic, diagnosticsSection, distinctDiagnostics } from "./run-diagnostics.ts";

/** neutral: passed, but built with another standard than its name says (standard_mismatch: warn). */
export type RunConclusion = "success" | "failure" | "timed_out" | "cancelled" | "skipped" | "neutral";

export interface RunTestCounts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface RunCellOutcome {
  readonly cell: Cell;
  readonly conclusion: RunConclusion;
  /** The skip reason, or why it did not pass in one line ("tests failed", "timed out after 30 min"). */
  readonly reason: string | null;
  readonly durationMs: number | null;
  /** Errors, warnings and notes found in the cell's log. */
  readonly annotations: readonly Annotation[];
  readonly tests: RunTestCounts | null;
  /** Names of the failed tests (possibly fewer than `tests.failed`). */
  readonly failedTests: readonly string[];
  /** Built with another standard than its name says (and the config does not ignore it): marked `≠` in the grid. */
  readonly standardMismatch?: boolean;
}

export interface RunReportOptions {
  /** ANSI colour; never any escape code without it. */
  readonly color: boolean;
}

/** Failed tests named per cell at most. */
export const MAX_FAILED_TESTS_PER_CELL = 20;

/** The report, ending with a newline. */
export function renderRunReport(outcomes: readonly RunCellOutcome[], options: RunReportOptions): string {
  const paint = painter(options.color);
  const distinct = distinctDiagnostics(outcomes);
  const withPlatform = spansPlatforms(outcomes);
  const sections = [
    ...grids(outcomes, paint),
    notPassedSection(outcomes, paint),
    totalsSection(outcomes, distinct),
    failedTestsSection(outcomes, paint),
    diagnosticsSection(outcomes, distinct, { color: options.color, nameOf: (c) => shortName(c, withPlatform) }),
  ].filter((s) => s.length > 0);
  return `${sections.join("\n\n")}\n`;
}

// --- conclusions --------------------------------------------------------------

/** The grid's word for each conclusion, and its colour. */
const GRID_WORD: Readonly<Record<RunConclusion, readonly [string, Format]>> = {
  success: ["pass", "green"],
  neutral: ["pass≠", "yellow"],
  failure: ["FAIL", ["red", "bold"]],
  timed_out: ["timeout", ["red", "bold"]],
  cancelled: ["cancel", "yellow"],
  skipped: ["skip", "gray"],
};

/** The conclusion in a sentence. */
const PHRASE: Readonly<Record<RunConclusion, string>> = {
  success: "passed",
  neutral: "passed with another standard",
  failure: "failed",
  timed_out: "timed out",
  cancelled: "cancelled",
  skipped: "skipped",
};

// --- cells --------------------------------------------------------------------

function compilerName(cell: Cell): string {
  return `${cell.compiler.family}-${cell.compiler.version}`;
}

/** What tells cells in one grid position apart (`llvm-16 shared=ON asan+ubsan`), or "" for a plain build. */
function variantOf(cell: Cell): string {
  return cellVariant(cell).join(" ");
}

function spansPlatforms(outcomes: readonly RunCellOutcome[]): boolean {
  return new Set(outcomes.map((o) => o.cell.platform)).size > 1;
}

/** `clang-16 c++20 Debug asan`, with the platform first when the run spans several. */
function shortName(cell: Cell, withPlatform: boolean): string {
  const variant = variantOf(cell);
  return [
    ...(withPlatform ? [cell.platform] : []),
    compilerName(cell),
    standardsLabel(cell),
    cell.buildType,
    ...(variant ? [variant] : []),
  ].join(" ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function levelCount(outcome: RunCellOutcome, level: AnnotationLevel): number {
  return outcome.annotations.filter((a) => a.annotation_level === level).length;
}

// --- grids --------------------------------------------------------------------

/** A table cell: its text, and the same text with colour (equal without). */
interface Shown {
  readonly plain: string;
  readonly painted: string;
}

function shown(plain: string, painted = plain): Shown {
  return { plain, painted };
}

/** One grid per build type, in the order the build types first appear. */
function grids(outcomes: readonly RunCellOutcome[], paint: Paint): string[] {
  const withPlatform = spansPlatforms(outcomes);
  const rowKey = (cell: Cell) => (withPlatform ? `${cell.platform} / ${compilerName(cell)}` : compilerName(cell));
  const rowOrder = [...new Set(outcomes.map((o) => rowKey(o.cell)))];
  const buildTypes = [...new Set(outcomes.map((o) => o.cell.buildType))];
  return buildTypes.map((buildType) => {
    const mine = outcomes.filter((o) => o.cell.buildType === buildType);
    // One column per distinct set of standards (`c++17`, `c11`, `c++17 c11`), oldest first.
    const columns = new Map(mine.map((o) => [standardsLabel(o.cell), o.cell] as const));
    const standards = [...columns.keys()].sort((a, b) =>
      compareStandards(columns.get(a) as Cell, columns.get(b) as Cell),
    );
    const rows = rowOrder.filter((key) => mine.some((o) => rowKey(o.cell) === key));
    const body = rows.map((key) => [
      shown(key),
      ...standards.map((standard) => {
        const here = mine.filter((o) => rowKey(o.cell) === key && standardsLabel(o.cell) === standard);
        if (here.length === 0) return shown("-", paint("gray", "-"));
        const parts = here.map((o) => {
          const [plainWord, format] = GRID_WORD[o.conclusion];
          // A cell failed (standard_mismatch: fail) or passed with another standard says so in its word.
          const word = o.standardMismatch && !plainWord.endsWith("≠") ? `${plainWord}≠` : plainWord;
          const variant = variantOf(o.cell);
          return shown(variant ? `${word} ${variant}` : word, `${paint(format, word)}${variant ? ` ${variant}` : ""}`);
        });
        return shown(parts.map((p) => p.plain).join(", "), parts.map((p) => p.painted).join(", "));
      }),
    ]);
    const header = [shown(""), ...standards.map((s) => shown(s, paint("bold", s)))];
    return [paint("bold", buildType), alignTable(header, body)].join("\n");
  });
}

/** Columns aligned on the visible text, so colour does not shift them; the last column unpadded. */
function alignTable(header: readonly Shown[], rows: readonly (readonly Shown[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]?.plain.length ?? 0)));
  const line = (cells: readonly Shown[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c.painted : c.painted + " ".repeat((widths[i] ?? 0) - c.plain.length)))
      .join("  ")
      .trimEnd();
  return all.map((r) => `  ${line(r)}`.trimEnd()).join("\n");
}

// --- cells that did not pass --------------------------------------------------

function notPassedSection(outcomes: readonly RunCellOutcome[], paint: Paint): string {
  const lines = outcomes
    .filter((o) => o.conclusion !== "success")
    .map((o) => {
      const phrase = PHRASE[o.conclusion];
      const [, format] = GRID_WORD[o.conclusion];
      const reason = o.reason?.trim() || null;
      // "timed out after 30 min" says it already.
      const said = reason?.toLowerCase().startsWith(phrase) ? reason : reason ? `${phrase}: ${reason}` : phrase;
      const counts = countsOf(o);
      return `  ${o.cell.name}: ${paint(format, said)}${counts ? ` (${counts})` : ""}`;
    });
  return lines.length > 0 ? ["Did not pass:", ...lines].join("\n") : "";
}

function countsOf(outcome: RunCellOutcome): string {
  const errors = levelCount(outcome, "failure");
  const warnings = levelCount(outcome, "warning");
  const parts = [
    ...(errors > 0 ? [plural(errors, "error")] : []),
    ...(warnings > 0 ? [plural(warnings, "warning")] : []),
  ];
  const { tests } = outcome;
  if (tests && tests.failed > 0) {
    parts.push(`${tests.failed} of ${plural(tests.passed + tests.failed + tests.skipped, "test")} failed`);
  }
  return parts.join(", ");
}

// --- totals -------------------------------------------------------------------

function totalsSection(outcomes: readonly RunCellOutcome[], distinct: readonly DistinctDiagnostic[]): string {
  const by = (c: RunConclusion) => outcomes.filter((o) => o.conclusion === c).length;
  const parts = [`${by("success")} passed`];
  for (const c of ["neutral", "failure", "timed_out", "cancelled", "skipped"] as const) {
    if (by(c) > 0) parts.push(`${by(c)} ${PHRASE[c]}`);
  }
  const lines = [`${plural(outcomes.length, "cell")}: ${parts.join(", ")}`];

  const sum = (level: AnnotationLevel) => outcomes.reduce((n, o) => n + levelCount(o, level), 0);
  // Distinct as the diagnostics section lists them: one cell's count is report.json's.
  const counted = (level: AnnotationLevel) => {
    const total = sum(level);
    const once = distinct.filter((d) => d.annotation.annotation_level === level).length;
    return once < total ? `${total} (${once} distinct)` : `${total}`;
  };
  lines.push(`errors: ${counted("failure")}, warnings: ${counted("warning")}`);

  const tested = outcomes.flatMap((o) => (o.tests ? [o.tests] : []));
  if (tested.length > 0) {
    const t = (k: keyof RunTestCounts) => tested.reduce((n, x) => n + x[k], 0);
    lines.push(`tests: ${t("passed")} passed, ${t("failed")} failed, ${t("skipped")} skipped`);
  }
  return lines.join("\n");
}

// --- failed tests -------------------------------------------------------------

function failedTestsSection(outcomes: readonly RunCellOutcome[], paint: Paint): string {
  const blocks: string[] = [];
  for (const o of outcomes) {
    const failed = Math.max(o.tests?.failed ?? 0, o.failedTests.length);
    if (failed === 0) continue;
    const named = o.failedTests.slice(0, MAX_FAILED_TESTS_PER_CELL);
    const lines = [`  ${o.cell.name}`, ...named.map((name) => `    ${paint("red", name)}`)];
    const more = failed - named.length;
    if (more > 0) lines.push(`    ... and ${more} more`);
    blocks.push(lines.join("\n"));
  }
  return blocks.length > 0 ? ["Failed tests:", ...blocks].join("\n") : "";
}
