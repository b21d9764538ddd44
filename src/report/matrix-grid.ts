/**
 * A build's cells as grids, one per build type: rows are platform / compiler /
 * variant, columns the standards, each place the cells there with their mark.
 * The matrix check (matrix-summary.ts) writes it as Markdown; the dashboard
 * draws it: one model, so both show the same marks.
 */
import { compareStandards, standardsLabel } from "../config/standards.ts";

export interface MatrixEntry {
  readonly platform: string;
  readonly compiler: string;
  readonly cxxStandard: number | null;
  readonly cStandard: number | null;
  readonly buildType: string;
  /** Its LLVM release, custom axes, sanitizers and coverage, as the cell's name shows them (`llvm-16 shared=ON asan+ubsan`). */
  readonly tags: string;
  readonly state: "waiting_approval" | "queued" | "in_progress" | "completed";
  readonly conclusion: string | null;
  /** Built with another standard than its name says (not ignored by the config): marked ≠. */
  readonly standardMismatch?: boolean;
}

export interface MatrixGrid<E extends MatrixEntry> {
  readonly buildType: string;
  /** Column labels in the standards' order: `c++17`, `c11`, `c++17 c11`. */
  readonly standards: readonly string[];
  readonly rows: readonly { readonly label: string; readonly places: readonly (readonly E[])[] }[];
}

/** The mark of each state and conclusion. */
export const MATRIX_SYMBOL: Readonly<Record<string, string>> = {
  success: "✅",
  neutral: "⚠️",
  failure: "❌",
  timed_out: "⏱️",
  cancelled: "🚫",
  skipped: "⏭️",
  action_required: "✋",
  queued: "⏳",
  in_progress: "🔄",
};

export const MATRIX_LEGEND: readonly (readonly [mark: string, meaning: string])[] = [
  ["✅", "passed"],
  ["⚠️", "passed, but with another standard than its name says"],
  ["≠", "built with another standard"],
  ["❌", "failed"],
  ["⏱️", "timed out"],
  ["🚫", "cancelled"],
  ["⏭️", "skipped"],
  ["✋", "waiting for approval"],
  ["⏳", "queued"],
  ["🔄", "running"],
];

/** What a cell is, as one word: its conclusion once completed, else its state. */
export function entryOutcome(e: MatrixEntry): string {
  if (e.state === "completed") return e.conclusion ?? "unknown";
  if (e.state === "waiting_approval") return e.conclusion ?? "action_required";
  return e.state;
}

export function entrySymbol(e: MatrixEntry): string {
  const mark = MATRIX_SYMBOL[entryOutcome(e)] ?? "❔";
  return e.state === "completed" && e.standardMismatch ? `${mark}≠` : mark;
}

export function matrixRowLabel(e: MatrixEntry): string {
  return [e.platform, e.compiler, e.tags].filter(Boolean).join(" / ");
}

export function matrixGrids<E extends MatrixEntry>(entries: readonly E[]): MatrixGrid<E>[] {
  return [...new Set(entries.map((e) => e.buildType))].map((buildType) => {
    const ofType = entries.filter((e) => e.buildType === buildType);
    const columns = new Map(ofType.map((e) => [standardsLabel(e), e] as const));
    const standards = [...columns.keys()].sort((a, b) =>
      compareStandards(columns.get(a) as MatrixEntry, columns.get(b) as MatrixEntry),
    );
    const byRow = new Map<string, Map<string, E[]>>();
    for (const e of ofType) {
      const row = byRow.get(matrixRowLabel(e)) ?? new Map<string, E[]>();
      byRow.set(matrixRowLabel(e), row);
      const label = standardsLabel(e);
      row.set(label, [...(row.get(label) ?? []), e]);
    }
    return {
      buildType,
      standards,
      rows: [...byRow].map(([label, places]) => ({ label, places: standards.map((s) => places.get(s) ?? []) })),
    };
  });
}
