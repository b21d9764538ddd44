/**
 * A finished cell's check-run title and summary: what a person reads in ten
 * seconds. Pure. The title is plain text (`Failed: 2 errors, 5 warnings, 1 of
 * 12 tests failed`); the summary is GitHub markdown: a status line, a table of
 * the environment and phase durations, errors and warnings by code, the failed
 * tests with the first lines of their output, links.
 *
 * Whatever comes from the build (test names, messages, output, diagnostic
 * codes, paths, artifact names) is untrusted: it is shown in code spans,
 * `<code>` elements or fenced blocks, never as markdown or HTML, so it cannot
 * make a link, an image, a mention or markup. The summary stays within
 * GitHub's 65,535 bytes whatever the input: lists are cut with "... and N
 * more".
 */
import type { Annotation, AnnotationLevel } from "./annotations.ts";
import { type CellLinks, linksSection, type RefusedArtifact, refusedSection } from "./cell-links.ts";
import { failedTestsSection } from "./failed-tests.ts";
import { formatDuration, formatLimit } from "./format.ts";
import { fitLine, fitMarkdown, GITHUB_LIMITS, utf8Bytes } from "./github-limits.ts";
import type { TestResults } from "./junit.ts";
import { codeSpan, cut, escapeMarkdown } from "./markdown.ts";
import { mismatches, mismatchWords, type StandardCheck, standardSection } from "./standard-check.ts";

export type { ArtifactLink, CellLinks, RefusedArtifact } from "./cell-links.ts";
export { formatDuration, formatSize } from "./format.ts";
export { codeSpan, escapeMarkdown } from "./markdown.ts";

/** neutral: it passed, but not with the standard its name says (standard_mismatch: warn). */
export type CellConclusion = "success" | "failure" | "timed_out" | "cancelled" | "neutral";

export interface CellSummaryCell {
  /** The check run's name, e.g. `linux / gcc-12 / c++17 / Release`. */
  readonly name: string;
  /** e.g. `gcc-12`. */
  readonly compiler: string;
  /** e.g. `-std=c++17`. */
  readonly stdFlag: string | null;
  readonly buildType: string;
  readonly sanitizers: readonly string[];
  /** The image the cell ran in. */
  readonly image: string | null;
  /** The C++ compiler's `--version` line, as the cell identified it (absent: not asked). */
  readonly compilerSeen?: string | null;
}

/** Milliseconds per phase; a phase not reached is absent. */
export interface PhaseDurations {
  readonly configure?: number;
  readonly build?: number;
  readonly test?: number;
}

export interface CellSummaryInput {
  readonly cell: CellSummaryCell;
  readonly conclusion: CellConclusion;
  readonly durations: PhaseDurations;
  /** ccache's hit rate, 0..1; null when unknown. */
  readonly cacheHitRate: number | null;
  readonly annotations: readonly Annotation[];
  /** Diagnostics past the annotation limit, by level: counted, not kept. */
  readonly dropped: Readonly<Record<AnnotationLevel, number>>;
  readonly tests: TestResults | null;
  /** The project's JUnit reports (tests.junit) that were not read, with why. */
  readonly testReportsNotRead?: readonly RefusedArtifact[];
  readonly links: CellLinks;
  /** Why it ended as it did, in heimdall-build's words: "timed out after 60 min", "cancelled: superseded by abc1234". */
  readonly reason?: string;
  /** The kernel killed a process of the build at the container's memory limit (bytes). */
  readonly outOfMemory?: { readonly limitBytes: number };
  /** What the compile commands say of the cell's standards; null when not checked (`standardNotChecked` says why). */
  readonly standards?: readonly StandardCheck[] | null;
  readonly standardNotChecked?: string | null;
}

export interface CellSummary {
  readonly title: string;
  readonly summary: string;
}

/** GitHub's limit for a check run's `output.summary`, in UTF-8 bytes. */
export const MAX_SUMMARY_BYTES = GITHUB_LIMITS.summaryBytes;
/** Codes listed per level. */
const TOP_CODES = 10;
/** Longest build-derived name or message shown whole. */
const MAX_SHOWN_CHARS = 200;

const WORD: Readonly<Record<CellConclusion, string>> = {
  success: "Passed",
  failure: "Failed",
  timed_out: "Timed out",
  cancelled: "Cancelled",
  neutral: "Passed, but",
};

const EMOJI: Readonly<Record<CellConclusion, string>> = {
  success: "✅",
  failure: "❌",
  timed_out: "⏱️",
  cancelled: "🚫",
  neutral: "⚠️",
};

const PHASES = ["configure", "build", "test"] as const;

export function cellSummary(input: CellSummaryInput): CellSummary {
  const title = fitLine(titleOf(input), GITHUB_LIMITS.titleBytes);
  const head = [statusLine(input), "", environmentTable(input)].join("\n");
  const standard = standardSection(input.standards ?? null, input.standardNotChecked ?? null);
  const diagnostics = [standard, diagnosticsSection(input)].filter(Boolean).join("\n\n");
  const unread = refusedSection("Test reports not read", input.testReportsNotRead ?? []);
  const links = linksSection(input.links);
  const fixed = [head, diagnostics, unread, links].filter(Boolean);
  // What is left goes to the failed tests, the longest part.
  const room = MAX_SUMMARY_BYTES - fixed.reduce((n, s) => n + utf8Bytes(s) + 2, 0) - 2;
  const tests = failedTestsSection(input.tests, room);
  const summary = [head, diagnostics, tests, unread, links].filter(Boolean).join("\n\n");
  return { title, summary: fitMarkdown(summary, MAX_SUMMARY_BYTES, { what: "summary" }) };
}

// --- title and status -------------------------------------------------------

function counts(input: CellSummaryInput): { errors: number; warnings: number } {
  return diagnosticCounts(input.annotations, input.dropped);
}

/**
 * An attempt's distinct errors and warnings: its annotations (merged by place,
 * level, code and message) and those past the limit. The title says these, and
 * the worker reports them for the API.
 */
export function diagnosticCounts(
  annotations: readonly Annotation[],
  dropped: Readonly<Record<AnnotationLevel, number>>,
): { errors: number; warnings: number } {
  let errors = dropped.failure;
  let warnings = dropped.warning;
  for (const a of annotations) {
    if (a.annotation_level === "failure") errors++;
    else if (a.annotation_level === "warning") warnings++;
  }
  return { errors, warnings };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function totalTests(tests: TestResults): number {
  return tests.passed + tests.failed + tests.skipped;
}

/** The last phase reached: where a failed, timed-out or cancelled cell stopped. */
function lastPhase(durations: PhaseDurations): (typeof PHASES)[number] | null {
  let last: (typeof PHASES)[number] | null = null;
  for (const phase of PHASES) if (durations[phase] !== undefined) last = phase;
  return last;
}

function titleOf(input: CellSummaryInput): string {
  const { conclusion, tests, reason } = input;
  const word = WORD[conclusion];
  const { errors, warnings } = counts(input);
  const warned = warnings > 0 ? [plural(warnings, "warning")] : [];
  switch (conclusion) {
    case "success": {
      const tested = tests ? [testsPassedPart(tests)] : [];
      const parts = [...tested, ...warned];
      return parts.length > 0 ? `${word}: ${parts.join(", ")}` : word;
    }
    case "failure": {
      const erred = errors > 0 ? [plural(errors, "error")] : [];
      const failedTests =
        tests && tests.failed > 0 ? [`${tests.failed} of ${plural(totalTests(tests), "test")} failed`] : [];
      // Past the memory limit the build's own errors are a symptom: the kill comes first.
      if (input.outOfMemory) {
        const rest = [...erred, ...warned, ...failedTests];
        return `${killedWords(input.outOfMemory.limitBytes)}${rest.length > 0 ? `; ${rest.join(", ")}` : ""}`;
      }
      let cause: string[] = [];
      if (erred.length === 0 && failedTests.length === 0) {
        const phase = lastPhase(input.durations);
        cause = reason ? [reason] : phase ? [`the ${phase} step failed`] : [];
      }
      const parts = [...cause, ...erred, ...warned, ...failedTests];
      return parts.length > 0 ? `${word}: ${parts.join(", ")}` : word;
    }
    case "neutral": {
      const [first] = mismatches(input.standards ?? null);
      return `${word} ${first ? mismatchWords(first) : "not as its name says"}`;
    }
    case "timed_out":
    case "cancelled": {
      if (!reason) return word;
      // "timed out after 60 min" reads as the title itself.
      if (reason.toLowerCase().startsWith(word.toLowerCase())) return `${word}${reason.slice(word.length)}`;
      return `${word}: ${reason}`;
    }
  }
}

function killedWords(limitBytes: number): string {
  return `Killed: out of memory (limit ${formatLimit(limitBytes)})`;
}

function testsPassedPart(tests: TestResults): string {
  const total = totalTests(tests);
  const skipped = tests.skipped > 0 ? ` (${tests.skipped} skipped)` : "";
  const failed = tests.failed > 0 ? `, ${tests.failed} failed` : "";
  return `${plural(total, "test")}${skipped}${failed}`;
}

/**
 * Where and when it ended, and why when heimdall-build knows: the title says
 * what went wrong, this line says where (`❌ Failed in the test step after
 * 1 min 19 s.`).
 */
function statusLine(input: CellSummaryInput): string {
  const { conclusion, durations } = input;
  const phase = lastPhase(durations);
  const reached = PHASES.map((p) => durations[p]).filter((ms) => ms !== undefined);
  const took = reached.length > 0 ? formatDuration(reached.reduce((a, b) => a + b, 0)) : null;
  const reason = input.reason ? escapeMarkdown(cut(input.reason, 500).replace(/\.$/, "")) : null;
  const word = WORD[conclusion];
  const where = phase ? ` in the ${phase} step` : conclusion === "failure" ? " before the configure step" : "";
  let line: string;
  switch (conclusion) {
    case "success":
      line = `${word}${took ? ` in ${took}` : ""}`;
      break;
    case "neutral": {
      const [first] = mismatches(input.standards ?? null);
      line = `Passed${took ? ` in ${took}` : ""}, but ${first ? escapeMarkdown(mismatchWords(first)) : "not as its name says"}`;
      break;
    }
    case "failure":
      line = input.outOfMemory
        ? `Killed: out of memory${where}${took && phase ? ` after ${took}` : ""}: a process of the build went past the memory limit (${formatLimit(input.outOfMemory.limitBytes)}) and the kernel killed it`
        : `${word}${where}${took && phase ? ` after ${took}` : ""}${reason ? `: ${reason}` : ""}`;
      break;
    case "timed_out":
    case "cancelled": {
      // The reason usually says it already: "timed out after 60 min".
      const lead =
        reason === null
          ? word
          : input.reason?.toLowerCase().startsWith(word.toLowerCase())
            ? `${word}${escapeMarkdown(cut(input.reason, 500).replace(/\.$/, "").slice(word.length))}`
            : `${word}: ${reason}`;
      line = `${lead}${where ? ` —${where}` : ""}`;
      break;
    }
  }
  // A process killed for memory in a cell that did not fail for it (a test that expects it, a cancel) is still told.
  const killed =
    input.outOfMemory && conclusion !== "failure"
      ? `\n\n⚠️ The kernel killed a process of the build at the memory limit (${formatLimit(input.outOfMemory.limitBytes)}).`
      : "";
  return `${EMOJI[conclusion]} ${line}.${killed}`;
}

// --- environment --------------------------------------------------------------

function environmentTable(input: CellSummaryInput): string {
  const { cell, durations } = input;
  const dash = "—";
  const header = ["compiler", "image", "std", "configure", "build", "test", "ccache hits"];
  const row = [
    // What the compiler said it is, when the cell asked it; else the cell's own name for it.
    codeSpan(cut(cell.compilerSeen || cell.compiler, MAX_SHOWN_CHARS), true),
    cell.image ? codeSpan(cut(cell.image, MAX_SHOWN_CHARS), true) : dash,
    cell.stdFlag ? codeSpan(cut(cell.stdFlag, MAX_SHOWN_CHARS), true) : dash,
    ...PHASES.map((p) => {
      const ms = durations[p];
      return ms === undefined ? dash : formatDuration(ms);
    }),
    hitRate(input.cacheHitRate) ?? dash,
  ];
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, `| ${row.join(" | ")} |`].join("\n");
}

function hitRate(rate: number | null): string | null {
  if (rate === null || !Number.isFinite(rate)) return null;
  return `${Math.round(Math.min(1, Math.max(0, rate)) * 100)}%`;
}

// --- errors and warnings ------------------------------------------------------

interface CodeGroup {
  readonly key: string;
  readonly code: string | null;
  readonly tool: string;
  count: number;
  readonly first: Annotation;
}

function diagnosticsSection(input: CellSummaryInput): string {
  const parts: string[] = [];
  for (const [level, heading] of [
    ["failure", "Errors"],
    ["warning", "Warnings"],
  ] as const) {
    const kept = input.annotations.filter((a) => a.annotation_level === level);
    const dropped = input.dropped[level];
    if (kept.length === 0 && dropped === 0) continue;
    const groups = new Map<string, CodeGroup>();
    for (const a of kept) {
      const key = a.code ?? `\u0000${a.tool}`;
      const group = groups.get(key);
      if (group) group.count++;
      else groups.set(key, { key, code: a.code, tool: a.tool, count: 1, first: a });
    }
    const sorted = [...groups.values()].sort(
      (a, b) =>
        b.count - a.count ||
        Number(a.code === null) - Number(b.code === null) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const lines = sorted.slice(0, TOP_CODES).map((g) => {
      const what = g.code !== null ? codeSpan(cut(g.code, MAX_SHOWN_CHARS)) : `(${g.tool}, no code)`;
      const where = codeSpan(cut(`${g.first.path}:${g.first.start_line}`, MAX_SHOWN_CHARS));
      return `- ${g.count} × ${what} — first at ${where}`;
    });
    if (sorted.length > TOP_CODES) {
      const rest = sorted.slice(TOP_CODES).reduce((n, g) => n + g.count, 0);
      lines.push(
        `- ... and ${sorted.length - TOP_CODES} more codes (${plural(rest, level === "failure" ? "error" : "warning")})`,
      );
    }
    if (dropped > 0) lines.push(`- ... and ${dropped} more past the annotation limit, not broken down`);
    parts.push([`### ${heading} (${kept.length + dropped})`, "", ...lines].join("\n"));
  }
  return parts.join("\n\n");
}
