/** The contract between the engine and each tool's parser. */
import type { Diagnostic, Frame } from "./types.ts";

export interface ParseContext {
  /** The directory the build tool is in (innermost make `Entering directory`), or null. */
  readonly directory: string | null;
  enterDirectory(directory: string): void;
  leaveDirectory(directory: string): void;
  emit(diagnostic: Diagnostic): void;
}

/**
 * One grammar of diagnostics. The engine offers each line first to the parser
 * assembling a diagnostic, then to the others in order; the first to accept it
 * owns it. A parser holds at most one diagnostic being assembled, so memory
 * stays bounded however long the log.
 */
export interface ToolParser {
  /** Takes the line when it belongs to this grammar (starting or continuing a diagnostic). */
  accept(line: string, context: ParseContext): boolean;
  /** Ends the diagnostic being assembled, if any: another parser took a line, or the log ended. */
  flush(context: ParseContext): void;
}

/** Lines kept per diagnostic at most; a template error can print thousands. */
export const MAX_LINES_PER_DIAGNOSTIC = 400;

/** What a parser holds of the diagnostic it is assembling. */
export interface Draft {
  tool: Diagnostic["tool"];
  severity: Diagnostic["severity"];
  location: Diagnostic["location"];
  message: string;
  code: string | null;
  /** The first MAX_LINES_PER_DIAGNOSTIC lines... */
  lines: string[];
  /** ...and how many more there were. */
  dropped: number;
  frames: Frame[];
  directory: string | null;
}

/** Keeps a line of the diagnostic, or counts it past the limit. */
export function keepLine(draft: Pick<Draft, "lines" | "dropped">, line: string): void {
  if (draft.lines.length < MAX_LINES_PER_DIAGNOSTIC) draft.lines.push(line);
  else draft.dropped++;
}

/** The finished diagnostic, with a marker line for what was not kept. */
export function finish(draft: Draft): Diagnostic {
  const lines =
    draft.dropped > 0 ? [...draft.lines, `[... ${draft.dropped} more lines of this diagnostic not kept]`] : draft.lines;
  return {
    tool: draft.tool,
    severity: draft.severity,
    location: draft.location,
    message: draft.message,
    code: draft.code,
    lines,
    frames: draft.frames,
    directory: draft.directory,
  };
}
