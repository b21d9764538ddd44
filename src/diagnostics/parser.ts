/** The contract between the engine and each tool's parser. */
import type { Diagnostic } from "./types.ts";

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
