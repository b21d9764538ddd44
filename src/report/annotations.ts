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
    // Decide on the cheap key before building anything: in a long log most
    // diagnostics repeat one already kept, or come after the limit.
    const level = LEVEL[diagnostic.severity];
    const { line, column } = placed.location;
    const key = `${placed.path}\u0000${line}\u0000${column}\u0000${level}\u0000${diagnostic.code}\u0000${diagnostic.message}\u0000${placed.reportedAt}`;
    if (this.seen.has(key)) return;
    if (this.annotations.length >= (this.options.maxAnnotations ?? 1000)) {
      this.dropped[level]++;
      return;
    }
    this.seen.add(key);
    this.annotations.push(toAnnotation(diagnostic, placed, this.options.label));
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

function toAnnotation(d: Diagnostic, placed: Placement, label: string | undefined): Annotation {
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
    title: fitLine(`${label ?? d.tool}: ${d.code ?? d.severity}`, GITHUB_LIMITS.annotationTitleBytes),
    message: fitText(message, GITHUB_LIMITS.annotationTextBytes),
    raw_details: fitText(d.lines.join("\n"), GITHUB_LIMITS.annotationTextBytes),
    code: d.code,
    tool: d.tool,
    fingerprint: fingerprint(placed.path, d.code, d.message),
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
