/** The `heimdall-build / matrix` check: every cell's state in a grid, compilers by standards. */
import { compareStandards, standardsLabel } from "../config/standards.ts";
import { buildOutcome, tallyOf } from "./build-outcome.ts";

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

const SYMBOL: Readonly<Record<string, string>> = {
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

function symbol(e: MatrixEntry): string {
  if (e.state === "completed") return `${SYMBOL[e.conclusion ?? ""] ?? "❔"}${e.standardMismatch ? "≠" : ""}`;
  if (e.state === "waiting_approval") return SYMBOL[e.conclusion ?? ""] ?? "❔";
  return SYMBOL[e.state] ?? "❔";
}

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

  const sections: string[] = [];
  for (const buildType of [...new Set(entries.map((e) => e.buildType))]) {
    const ofType = entries.filter((e) => e.buildType === buildType);
    const columns = new Map(ofType.map((e) => [standardsLabel(e), e] as const));
    const standards = [...columns.keys()].sort((a, b) =>
      compareStandards(columns.get(a) as MatrixEntry, columns.get(b) as MatrixEntry),
    );
    const rowKey = (e: MatrixEntry) => [e.platform, e.compiler, e.tags].filter(Boolean).join(" / ");
    const rows = [...new Set(ofType.map(rowKey))];
    const header = `| ${buildType} | ${standards.map(columnName).join(" | ")} |`;
    const rule = `|---|${standards.map(() => ":---:").join("|")}|`;
    const lines = rows.map((row) => {
      const cells = standards.map((s) => {
        const found = ofType.filter((e) => rowKey(e) === row && standardsLabel(e) === s);
        return found.map(symbol).join(" ") || " ";
      });
      return `| ${row} | ${cells.join(" | ")} |`;
    });
    sections.push([header, rule, ...lines].join("\n"));
  }
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
  const legend =
    "✅ passed · ⚠️ passed, but with another standard than its name says · ≠ built with another standard · ❌ failed · ⏱️ timed out · 🚫 cancelled · ⏭️ skipped · ✋ waiting for approval · ⏳ queued · 🔄 running";
  return {
    title: `${entries.length} cells: ${tally}`,
    summary: `${sections.join("\n\n")}\n\n${legend}`,
    conclusion,
  };
}
