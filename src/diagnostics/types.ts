/**
 * What the diagnostics engine finds in a build log. Parsers produce these from
 * lines; they know nothing of GitHub. `src/report/annotations.ts` turns them
 * into check-run annotations.
 */

/** Who said it: the program whose output grammar the line follows. */
export type Tool =
  | "gcc"
  | "clang"
  | "clang-tidy"
  | "msvc"
  | "clang-cl"
  | "msbuild"
  | "ld"
  | "gold"
  | "lld"
  | "link"
  | "cmake"
  | "make"
  | "ninja"
  | "ctest";

export type Severity = "error" | "warning" | "note";

/** A place in a file, as the log prints it (not yet made repo-relative). */
export interface Location {
  readonly path: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly endLine: number | null;
  readonly endColumn: number | null;
}

/** A step of an include or instantiation chain, innermost first. */
export interface Frame extends Location {
  readonly kind: "included-from" | "instantiated-from" | "note";
}

export interface Diagnostic {
  readonly tool: Tool;
  readonly severity: Severity;
  /** Null for driver and tool messages that name no file (`cc1plus: ...`, `make: ***`). */
  readonly location: Location | null;
  /** The first line of the message, without location, severity or code. */
  readonly message: string;
  /** Warning flag (`-Wunused-variable`), error code (`C4996`, `LNK2019`), check name (clang-tidy) or null. */
  readonly code: string | null;
  /** Every line that belongs to it (context, notes, source excerpt, carets, fix-its), as printed. */
  readonly lines: readonly string[];
  /** Include and instantiation chain plus notes' locations, innermost first: where to place it if its own file is outside the repository. */
  readonly frames: readonly Frame[];
  /** Directory the build tool was in (make's `Entering directory`), for relative paths. */
  readonly directory: string | null;
}
