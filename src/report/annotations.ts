/**
 * Diagnostics to GitHub check-run annotations: placed on a repository file
 * (the nearest in-repo frame when the diagnostic is in a system header or a
 * generated file), merged when identical, fingerprinted so the same warning is
 * recognised across cells and commits, and cut to the Checks API's sizes.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { PathMapper, type PathMapping } from "../diagnostics/paths.ts";
import type { Diagnostic, Location } from "../diagnostics/types.ts";
import { fitLine, fitText, GITHUB_LIMITS } from "./github-limits.ts";

export type AnnotationLevel = "failure" | "warning" | "notice";

/** A check-run annotation, plus what heimdall-build keeps about it. */
export interface Annotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly start_column: number | null;
  readonly end_column: number | null;
  readonly annotation_level: AnnotationLevel;
  readonly title: string;
  readonly message: string;
  readonly raw_details: string;
  readonly code: string | null;
  readonly tool: Diagnostic["tool"];
  readonly fingerprint: string;
}

export interface AnnotateOptions extends PathMapping {
  /** Names the compiler in titles, e.g. `gcc-12`; the tool's name when absent. */
  readonly label?: string;
  /** Annotations kept at most; the rest are counted. GitHub shows a few hundred at best. */
  readonly maxAnnotations?: number;
  /** Diagnostics outside the repository kept for the summary at most; the rest are counted. */
  readonly maxUnplaced?: number;
}

export interface Annotated {
  readonly annotations: Annotation[];
  /** Diagnostics with no place in the repository: for the summary only. */
  readonly unplaced: Diagnostic[];
  /** Diagnostics past the limits, not kept, by level. */
  readonly dropped: Readonly<Record<AnnotationLevel, number>>;
}

const LEVEL: Readonly<Record<Diagnostic["severity"], AnnotationLevel>> = {
  error: "failure",
  warning: "warning",
  note: "notice",
};

/**
 * Takes diagnostics one at a time, as the engine completes them; what it keeps
 * is bounded by the limits, so a log of any size fits in memory.
 */
export class Annotator {
  private readonly mapper: PathMapper;
  private readonly options: AnnotateOptions;
  private readonly annotations: Annotation[] = [];
  private readonly unplaced: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private readonly dropped: Record<AnnotationLevel, number> = { failure: 0, warning: 0, notice: 0 };

  constructor(options: AnnotateOptions) {
    this.options = options;
    this.mapper = new PathMapper(options);
  }

  add(diagnostic: Diagnostic): void {
    const placed = place(diagnostic, this.mapper);
    if (!placed) {
      if (this.unplaced.length < (this.options.maxUnplaced ?? 200)) this.unplaced.push(diagnostic);
      else this.dropped[LEVEL[diagnostic.severity]]++;
      return;
    }
    // Decide on the key before building the costly rest (details, fingerprint):
    // in a long log most diagnostics repeat one already kept, or come after the limit.
    const draft = draftOf(diagnostic, placed);
    const key = distinctKey(draft);
    if (this.seen.has(key)) return;
    if (this.annotations.length >= (this.options.maxAnnotations ?? 1000)) {
      this.dropped[draft.annotation_level]++;
      return;
    }
    this.seen.add(key);
    this.annotations.push(toAnnotation(diagnostic, draft, this.options.label));
  }

  result(): Annotated {
    return { annotations: [...this.annotations], unplaced: [...this.unplaced], dropped: { ...this.dropped } };
  }
}

export function annotate(diagnostics: Iterable<Diagnostic>, options: AnnotateOptions): Annotated {
  const annotator = new Annotator(options);
  for (const diagnostic of diagnostics) annotator.add(diagnostic);
  return annotator.result();
}

interface Placement {
  readonly path: string;
  readonly location: Location;
  /** Where the diagnostic really is, when it was moved to an in-repo frame. */
  readonly reportedAt: string | null;
}

function place(diagnostic: Diagnostic, mapper: PathMapper): Placement | null {
  const { location, directory } = diagnostic;
  if (!location || location.line === null) return null;
  const own = mapper.toRepo(location.path, directory);
  if (own) return { path: own, location, reportedAt: null };
  // The code that instantiated the template says more than the #include that
  // brought the header in: Clang prints the include chain before the error
  // and its `in instantiation of` notes after it.
  const frames = [
    ...diagnostic.frames.filter((f) => f.kind === "instantiated-from"),
    ...diagnostic.frames.filter((f) => f.kind !== "instantiated-from"),
  ];
  for (const frame of frames) {
    if (frame.line === null) continue;
    const framePath = mapper.toRepo(frame.path, directory);
    if (framePath) {
      return {
        path: framePath,
        location: { ...frame, endLine: null, endColumn: null },
        reportedAt: `${shown(location.path)}:${location.line}${location.column ? `:${location.column}` : ""}`,
      };
    }
  }
  return null;
}

/** An absolute POSIX path without its `..` (Clang names libstdc++ headers `/usr/bin/../lib/gcc/.../../../../include/c++/12/...`). */
function shown(file: string): string {
  return file.startsWith("/") ? posix.normalize(file) : file;
}

/** What tells annotations apart; see `distinctKey`. */
export type AnnotationIdentity = Pick<
  Annotation,
  "path" | "start_line" | "start_column" | "annotation_level" | "code" | "message"
>;

/**
 * One key per distinct annotation: its place (path, start line, start column),
 * level, code and message as shown, the message saying where in a header a
 * diagnostic placed on an in-repository line really is. A cell's annotations
 * (what report.json lists) are merged by it, and the run's report merges the
 * cells' by it, so the two count the same things. Not the fingerprint: that
 * leaves the line out so a warning is recognised when code moves, and would
 * make one of the same warning at two places.
 */
export function distinctKey(a: AnnotationIdentity): string {
  return JSON.stringify([a.path, a.start_line, a.start_column, a.annotation_level, a.code, a.message]);
}

/** An annotation before what only a kept one needs: title, details and fingerprint. */
type AnnotationDraft = Omit<Annotation, "title" | "raw_details" | "fingerprint">;

function draftOf(d: Diagnostic, placed: Placement): AnnotationDraft {
  const { location } = placed;
  const startLine = location.line ?? 1;
  const endLine = Math.max(startLine, location.endLine ?? startLine);
  // The Checks API takes columns only when the annotation is on one line.
  const oneLine = endLine === startLine;
  const startColumn = oneLine ? location.column : null;
  const endColumn = oneLine && startColumn !== null ? Math.max(startColumn, location.endColumn ?? startColumn) : null;
  const message = placed.reportedAt ? `${d.message}\n(in ${placed.reportedAt}, reached from here)` : d.message;
  return {
    path: placed.path,
    start_line: startLine,
    end_line: endLine,
    start_column: startColumn,
    end_column: endColumn,
    annotation_level: LEVEL[d.severity],
    message: fitText(message, GITHUB_LIMITS.annotationTextBytes),
    code: d.code,
    tool: d.tool,
  };
}

function toAnnotation(d: Diagnostic, draft: AnnotationDraft, label: string | undefined): Annotation {
  const { message, code, tool, ...place } = draft;
  return {
    ...place,
    title: fitLine(`${label ?? d.tool}: ${d.code ?? d.severity}`, GITHUB_LIMITS.annotationTitleBytes),
    message,
    raw_details: fitText(d.lines.join("\n"), GITHUB_LIMITS.annotationTextBytes),
    code,
    tool,
    fingerprint: fingerprint(place.path, d.code, d.message),
  };
}

/**
 * Path, code and message with what changes between builds taken out (line
 * numbers, quote style, spacing), so a warning keeps its fingerprint when
 * code moves above it, in every cell and every commit.
 */
export function fingerprint(path: string, code: string | null, message: string): string {
  const normalised = message
    .replace(/[‘’`]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/:\d+(?::\d+)?\b/g, ":N")
    .replace(/\s+/g, " ")
    .trim();
  return createHash("sha256")
    .update(`${path}\u0000${code ?? ""}\u0000${normalised}`)
    .digest("hex")
    .slice(0, 20);
}
