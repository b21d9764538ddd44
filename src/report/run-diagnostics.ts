/**
 * The diagnostics of a local run across its cells: each distinct one (place
 * and message, as a cell's annotations in report.json are distinct) printed
 * once compiler-style, under the first cell that reported it, with the other
 * cells named; errors kept first within a bounded number of lines. Pure.
 */
import type { Cell } from "../config/matrix.ts";
import { type Annotation, type AnnotationLevel, distinctKey } from "./annotations.ts";
import { compilerStyle } from "./compiler-style.ts";
import { painter } from "./paint.ts";

/** Lines the diagnostics section takes at most (cell headings and "also" lines included), before "... N more". */
export const MAX_DIAGNOSTIC_LINES = 50;
/** Other cells named in an "(also: ...)" line at most. */
const MAX_ALSO = 6;

/** What the diagnostics read of a cell's outcome. */
export interface CellDiagnostics {
  readonly cell: Cell;
  readonly annotations: readonly Annotation[];
}

/** A distinct diagnostic, printed once, with the cells that reported it. */
export interface DistinctDiagnostic {
  readonly annotation: Annotation;
  /** Index in the outcomes of the first cell that reported it, under which it is printed. */
  readonly owner: number;
  /** The other cells that reported it, in outcome order. */
  readonly also: Cell[];
  /** Index in the owner's annotations: log order within a cell. */
  readonly position: number;
}

/**
 * One entry per distinct diagnostic across cells, distinct as in a cell's
 * annotations: the same warning at another line or column, or reached from
 * another place in a header, is another entry.
 */
export function distinctDiagnostics(outcomes: readonly CellDiagnostics[]): DistinctDiagnostic[] {
  const byKey = new Map<string, DistinctDiagnostic>();
  outcomes.forEach((o, owner) => {
    o.annotations.forEach((annotation, position) => {
      const key = distinctKey(annotation);
      const seen = byKey.get(key);
      if (!seen) byKey.set(key, { annotation, owner, also: [], position });
      else if (seen.owner !== owner && !seen.also.includes(o.cell)) seen.also.push(o.cell);
    });
  });
  return [...byKey.values()];
}

export interface DiagnosticsSectionOptions {
  /** ANSI colour; never any escape code without it. */
  readonly color: boolean;
  /** A cell's short name in an "(also: ...)" line. */
  readonly nameOf: (cell: Cell) => string;
}

const LEVEL_RANK: Readonly<Record<AnnotationLevel, number>> = { failure: 0, warning: 1, notice: 2 };

/** "Diagnostics:" and the distinct diagnostics by cell, or "" when there are none. */
export function diagnosticsSection(
  outcomes: readonly CellDiagnostics[],
  distinct: readonly DistinctDiagnostic[],
  options: DiagnosticsSectionOptions,
): string {
  if (distinct.length === 0) return "";
  const paint = painter(options.color);
  const render = (d: DistinctDiagnostic): string[] => {
    const lines = compilerStyle(d.annotation, options.color).split("\n");
    if (d.also.length > 0) {
      const names = d.also.slice(0, MAX_ALSO).map(options.nameOf);
      const more = d.also.length - names.length;
      lines.push(paint("gray", `  (also: ${names.join(", ")}${more > 0 ? `, and ${more} more` : ""})`));
    }
    return lines;
  };

  // Within the line budget, errors first, then warnings, then notes: a long
  // list of warnings from the first cell must not hide the last cell's error.
  const byPriority = [...distinct].sort(
    (a, b) =>
      LEVEL_RANK[a.annotation.annotation_level] - LEVEL_RANK[b.annotation.annotation_level] ||
      a.owner - b.owner ||
      a.position - b.position,
  );
  const chosen = new Set<DistinctDiagnostic>();
  const headed = new Set<number>();
  let used = 1; // the section's heading
  for (const d of byPriority) {
    const cost = render(d).length + (headed.has(d.owner) ? 0 : 1);
    if (used + cost > MAX_DIAGNOSTIC_LINES) break;
    used += cost;
    chosen.add(d);
    headed.add(d.owner);
  }

  // Printed by cell, each cell's own in level then log order.
  const lines = ["Diagnostics:"];
  outcomes.forEach((o, index) => {
    const mine = byPriority.filter((d) => d.owner === index && chosen.has(d));
    if (mine.length === 0) return;
    lines.push(paint("bold", `${o.cell.name}:`));
    for (const d of mine) lines.push(...render(d));
  });
  const more = distinct.length - chosen.size;
  if (more > 0) lines.push(`... ${more} more ${more === 1 ? "diagnostic" : "diagnostics"} not shown`);
  return lines.join("\n");
}
