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
 * GitHub's 65,535 characters whatever the input: lists are cut with "... and N
 * more".
 */
import type { Annotation, AnnotationLevel } from "./annotations.ts";
import type { TestFailure, TestResults } from "./junit.ts";

export type CellConclusion = "success" | "failure" | "timed_out" | "cancelled";

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
}

/** Milliseconds per phase; a phase not reached is absent. */
export interface PhaseDurations {
  readonly configure?: number;
  readonly build?: number;
  readonly test?: number;
}

export interface ArtifactLink {
  readonly name: string;
  readonly size: number;
  readonly url?: string;
}

export interface CellLinks {
  readonly log?: string;
  readonly artifacts?: readonly ArtifactLink[];
  readonly sbom?: string;
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
  readonly links: CellLinks;
  /** Why it ended as it did, in heimdall-build's words: "timed out after 60 min", "cancelled: superseded by abc1234". */
  readonly reason?: string;
}

export interface CellSummary {
  readonly title: string;
  readonly summary: string;
}

/** GitHub's limit for a check run's `output.summary`. */
export const MAX_SUMMARY_CHARS = 65_535;
const MAX_TITLE_CHARS = 255;
/** Codes listed per level. */
const TOP_CODES = 10;
/** Failed tests shown with their output; more are listed by name while room is left. */
const DETAILED_FAILURES = 20;
const OUTPUT_LINES = 20;
const OUTPUT_LINE_CHARS = 300;
const MAX_ARTIFACTS = 20;
/** Longest build-derived name or message shown whole. */
const MAX_SHOWN_CHARS = 200;
const MAX_URL_CHARS = 2048;

const WORD: Readonly<Record<CellConclusion, string>> = {
  success: "Passed",
  failure: "Failed",
  timed_out: "Timed out",
  cancelled: "Cancelled",
};

const EMOJI: Readonly<Record<CellConclusion, string>> = {
  success: "✅",
  failure: "❌",
  timed_out: "⏱️",
  cancelled: "🚫",
};

const PHASES = ["configure", "build", "test"] as const;

export function cellSummary(input: CellSummaryInput): CellSummary {
  const title = cut(titleOf(input), MAX_TITLE_CHARS);
  const head = [statusLine(input), "", environmentTable(input)].join("\n");
  const diagnostics = diagnosticsSection(input);
  const links = linksSection(input.links);
  const fixed = [head, diagnostics, links].filter(Boolean);
  // What is left goes to the failed tests, the longest part.
  const room = MAX_SUMMARY_CHARS - fixed.reduce((n, s) => n + s.length + 2, 0) - 2;
  const tests = testsSection(input.tests, room);
  const summary = [head, diagnostics, tests, links].filter(Boolean).join("\n\n");
  return { title, summary: summary.length <= MAX_SUMMARY_CHARS ? summary : cut(summary, MAX_SUMMARY_CHARS) };
}

// --- title and status -------------------------------------------------------

function counts(input: CellSummaryInput): { errors: number; warnings: number } {
  let errors = input.dropped.failure;
  let warnings = input.dropped.warning;
  for (const a of input.annotations) {
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
      let cause: string[] = [];
      if (erred.length === 0 && failedTests.length === 0) {
        const phase = lastPhase(input.durations);
        cause = reason ? [reason] : phase ? [`the ${phase} step failed`] : [];
      }
      const parts = [...cause, ...erred, ...warned, ...failedTests];
      return parts.length > 0 ? `${word}: ${parts.join(", ")}` : word;
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
    case "failure":
      line = `${word}${where}${took && phase ? ` after ${took}` : ""}${reason ? `: ${reason}` : ""}`;
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
  return `${EMOJI[conclusion]} ${line}.`;
}

// --- environment --------------------------------------------------------------

function environmentTable(input: CellSummaryInput): string {
  const { cell, durations } = input;
  const dash = "—";
  const header = ["image", "std", "configure", "build", "test", "ccache hits"];
  const row = [
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

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const totalSeconds = Math.floor(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function hitRate(rate: number | null): string | null {
  if (rate === null || !Number.isFinite(rate)) return null;
  return `${Math.round(Math.min(1, Math.max(0, rate)) * 100)}%`;
}

export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
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

// --- failed tests -------------------------------------------------------------

function testsSection(tests: TestResults | null, room: number): string {
  if (!tests || tests.failed === 0) return "";
  const heading = `### Failed tests (${tests.failed} of ${totalTests(tests)})`;
  // Room for the heading and the closing "... and N more" line.
  let left = room - heading.length - 2 - 80;
  const blocks: string[] = [];
  const names: string[] = [];
  let shown = 0;
  for (const failure of tests.failures) {
    // With its output while there is room, then by name only.
    if (names.length === 0 && blocks.length < DETAILED_FAILURES) {
      const block = failureBlock(failure);
      if (block.length + 2 <= left) {
        blocks.push(block);
        left -= block.length + 2;
        shown++;
        continue;
      }
    }
    const line = `- ${codeSpan(cut(testName(failure), MAX_SHOWN_CHARS))}`;
    if (line.length + 1 > left) break;
    names.push(line);
    left -= line.length + 1;
    shown++;
  }
  const parts = [heading, ...blocks];
  if (names.length > 0) parts.push(`${blocks.length > 0 ? "Also failed:" : "Failed:"}\n\n${names.join("\n")}`);
  const more = tests.failed - shown;
  if (more > 0) parts.push(`... and ${more} more failed ${more === 1 ? "test" : "tests"}`);
  return parts.join("\n\n");
}

function testName(failure: TestFailure): string {
  const { name, classname } = failure;
  const shown = name || "(unnamed)";
  return classname && classname !== name ? `${classname}.${shown}` : shown;
}

function failureBlock(failure: TestFailure): string {
  const message = failure.message ? ` — ${htmlCode(cut(failure.message, MAX_SHOWN_CHARS))}` : "";
  const summary = `<details><summary>${htmlCode(cut(testName(failure), MAX_SHOWN_CHARS))}${message}</summary>`;
  const lines = failure.output.length > 0 ? failure.output.split("\n") : [];
  const first = lines.slice(0, OUTPUT_LINES).map((l) => cut(clean(l), OUTPUT_LINE_CHARS));
  const body =
    first.length === 0
      ? "(no output)"
      : [
          fenced(first.join("\n")),
          ...(lines.length > OUTPUT_LINES ? [`(${lines.length - OUTPUT_LINES} more lines not shown)`] : []),
        ].join("\n\n");
  return `${summary}\n\n${body}\n\n</details>`;
}

// --- links --------------------------------------------------------------------

function linksSection(links: CellLinks): string {
  const lines: string[] = [];
  const log = safeUrl(links.log);
  if (log) lines.push(`- [Build log](${log})`);
  const sbom = safeUrl(links.sbom);
  if (sbom) lines.push(`- [SBOM](${sbom}) (CycloneDX)`);
  const artifacts = links.artifacts ?? [];
  if (artifacts.length > 0) {
    lines.push(`- Artifacts (${artifacts.length}):`);
    for (const artifact of artifacts.slice(0, MAX_ARTIFACTS)) {
      const name = codeSpan(cut(artifact.name, MAX_SHOWN_CHARS));
      const url = safeUrl(artifact.url);
      lines.push(`  - ${url ? `[${name}](${url})` : name} — ${formatSize(artifact.size)}`);
    }
    if (artifacts.length > MAX_ARTIFACTS) lines.push(`  - ... and ${artifacts.length - MAX_ARTIFACTS} more`);
  }
  return lines.length > 0 ? ["### Links", "", ...lines].join("\n") : "";
}

/**
 * An http(s) URL, or a relative path inside the summary's folder (a local
 * run's summary.md beside its log), that can stand as a markdown link
 * destination; else null.
 */
function safeUrl(url: string | undefined): string | null {
  if (!url || url.length > MAX_URL_CHARS) return null;
  if (/^[A-Za-z0-9_.-][^:]*$/.test(url) && !url.split("/").includes("..")) {
    // `&` too: markdown would read `&#58;` as a `:` (a scheme).
    return encodeURI(url).replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/&/g, "%26");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  // href percent-encodes spaces, quotes, angle brackets and backticks; parentheses close a destination.
  return parsed.href.replace(/\(/g, "%28").replace(/\)/g, "%29");
}

// --- escaping -----------------------------------------------------------------

/**
 * Text rendered as itself in inline markdown: HTML characters as entities,
 * every other ASCII punctuation that markdown or GitHub's autolinks read
 * escaped, line breaks as spaces.
 */
export function escapeMarkdown(text: string): string {
  return clean(text)
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_{}[\]()#+\-.!|~:@$="'^]/g, "\\$&")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** A markdown code span that shows `text` literally, whatever backticks it has; in a table, pipes escaped. */
export function codeSpan(text: string, inTable = false): string {
  const flat = clean(text).replace(/[\r\n]+/g, " ");
  if (flat.length === 0) return "(empty)";
  const fence = "`".repeat(longestRun(flat, "`") + 1);
  const pad = /^[` ]|[` ]$/.test(flat) ? " " : "";
  const span = `${fence}${pad}${flat}${pad}${fence}`;
  return inTable ? span.replace(/\|/g, "\\|") : span;
}

/** A `<code>` element for HTML contexts (a `<summary>`), where markdown is not read. */
function htmlCode(text: string): string {
  const escaped = clean(text)
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
  return `<code>${escaped.length > 0 ? escaped : "(empty)"}</code>`;
}

/** A fenced code block no line of `text` can close. */
function fenced(text: string): string {
  const fence = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return `${fence}text\n${text}\n${fence}`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** Without control characters (colour escapes, carriage returns) and bidirectional overrides. */
function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, "");
}

/** At most `max` characters, with "..." when cut, never half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 3;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}...`;
}
