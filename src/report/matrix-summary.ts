/** The `heimdall-build / matrix` check: every cell's state in a grid, compilers by standards. */
import { buildOutcome, tallyOf } from "./build-outcome.ts";
import { entrySymbol, MATRIX_LEGEND, type MatrixEntry, matrixGrids } from "./matrix-grid.ts";

export type { MatrixEntry } from "./matrix-grid.ts";

/** `C++17`, `C11`, `C++17 C11`. */
function columnName(label: string): string {
  return label.toUpperCase();
}

export interface MatrixSummary {
  readonly title: string;
  readonly summary: string;
  /** Null while cells are still to finish. */
  readonly conclusion: "success" | "failure" | "cancelled" | "action_required" | "neutral" | null;
}

export function matrixSummary(entries: readonly MatrixEntry[]): MatrixSummary {
  const count = (f: (e: MatrixEntry) => boolean) => entries.filter(f).length;
  const done = (e: MatrixEntry) => e.state === "completed";
  const failed = count((e) => done(e) && (e.conclusion === "failure" || e.conclusion === "timed_out"));
  const passed = count((e) => done(e) && e.conclusion === "success");
  const otherStandard = count((e) => done(e) && e.conclusion === "neutral");
  const skipped = count((e) => done(e) && e.conclusion === "skipped");
  const cancelled = count((e) => done(e) && e.conclusion === "cancelled");
  const waiting = count((e) => e.state === "waiting_approval");
  const running = entries.length - count(done) - waiting;

  const sections = matrixGrids(entries).map(({ buildType, standards, rows }) => {
    const header = `| ${buildType} | ${standards.map(columnName).join(" | ")} |`;
    const rule = `|---|${standards.map(() => ":---:").join("|")}|`;
    const lines = rows.map(
      ({ label, places }) => `| ${label} | ${places.map((p) => p.map(entrySymbol).join(" ") || " ").join(" | ")} |`,
    );
    return [header, rule, ...lines].join("\n");
  });
  const tally = [
    `${passed} passed`,
    ...(otherStandard > 0 ? [`${otherStandard} passed with another standard`] : []),
    `${failed} failed`,
    ...(running > 0 ? [`${running} to finish`] : []),
    ...(waiting > 0 ? [`${waiting} waiting for approval`] : []),
    ...(cancelled > 0 ? [`${cancelled} cancelled`] : []),
    `${skipped} skipped`,
  ].join(", ");
  const { conclusion } = buildOutcome(tallyOf(entries));
  const legend = MATRIX_LEGEND.map(([mark, meaning]) => `${mark} ${meaning}`).join(" · ");
  return {
    title: `${entries.length} cells: ${tally}`,
    summary: `${sections.join("\n\n")}\n\n${legend}`,
    conclusion,
  };
}
