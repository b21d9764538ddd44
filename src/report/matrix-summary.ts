/** The `heimdall-build / matrix` check: every cell's state in a grid, compilers by standards. */

export interface MatrixEntry {
  readonly platform: string;
  readonly compiler: string;
  readonly cxxStandard: number;
  readonly buildType: string;
  /** Sanitizers and coverage, as the cell's name shows them (`asan+ubsan`). */
  readonly tags: string;
  readonly state: "waiting_approval" | "queued" | "in_progress" | "completed";
  readonly conclusion: string | null;
}

const SYMBOL: Readonly<Record<string, string>> = {
  success: "✅",
  failure: "❌",
  timed_out: "⏱️",
  cancelled: "🚫",
  skipped: "⏭️",
  action_required: "✋",
  queued: "⏳",
  in_progress: "🔄",
};

function symbol(e: MatrixEntry): string {
  if (e.state === "completed" || e.state === "waiting_approval") return SYMBOL[e.conclusion ?? ""] ?? "❔";
  return SYMBOL[e.state] ?? "❔";
}

export interface MatrixSummary {
  readonly title: string;
  readonly summary: string;
  /** Null while cells are still to finish. */
  readonly conclusion: "success" | "failure" | "cancelled" | "action_required" | null;
}

export function matrixSummary(entries: readonly MatrixEntry[]): MatrixSummary {
  const count = (f: (e: MatrixEntry) => boolean) => entries.filter(f).length;
  const done = (e: MatrixEntry) => e.state === "completed";
  const failed = count((e) => done(e) && (e.conclusion === "failure" || e.conclusion === "timed_out"));
  const passed = count((e) => done(e) && e.conclusion === "success");
  const skipped = count((e) => done(e) && e.conclusion === "skipped");
  const cancelled = count((e) => done(e) && e.conclusion === "cancelled");
  const waiting = count((e) => e.state === "waiting_approval");
  const running = entries.length - count(done) - waiting;

  const sections: string[] = [];
  for (const buildType of [...new Set(entries.map((e) => e.buildType))]) {
    const ofType = entries.filter((e) => e.buildType === buildType);
    const standards = [...new Set(ofType.map((e) => e.cxxStandard))].sort((a, b) => a - b);
    const rowKey = (e: MatrixEntry) => [e.platform, e.compiler, e.tags].filter(Boolean).join(" / ");
    const rows = [...new Set(ofType.map(rowKey))];
    const header = `| ${buildType} | ${standards.map((s) => `C++${s}`).join(" | ")} |`;
    const rule = `|---|${standards.map(() => ":---:").join("|")}|`;
    const lines = rows.map((row) => {
      const cells = standards.map((s) => {
        const found = ofType.filter((e) => rowKey(e) === row && e.cxxStandard === s);
        return found.map(symbol).join(" ") || " ";
      });
      return `| ${row} | ${cells.join(" | ")} |`;
    });
    sections.push([header, rule, ...lines].join("\n"));
  }
  const tally = [
    `${passed} passed`,
    `${failed} failed`,
    ...(running > 0 ? [`${running} to finish`] : []),
    ...(waiting > 0 ? [`${waiting} waiting for approval`] : []),
    ...(cancelled > 0 ? [`${cancelled} cancelled`] : []),
    `${skipped} skipped`,
  ].join(", ");
  const conclusion =
    running > 0
      ? null
      : failed > 0
        ? "failure"
        : waiting > 0
          ? "action_required"
          : cancelled > 0
            ? "cancelled"
            : "success";
  const legend =
    "✅ passed · ❌ failed · ⏱️ timed out · 🚫 cancelled · ⏭️ skipped · ✋ waiting for approval · ⏳ queued · 🔄 running";
  return {
    title: `${entries.length} cells: ${tally}`,
    summary: `${sections.join("\n\n")}\n\n${legend}`,
    conclusion,
  };
}
