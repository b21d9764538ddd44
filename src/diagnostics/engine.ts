/**
 * The diagnostics engine: a build log in, in chunks of any size; diagnostics
 * out as soon as each is complete. Memory is bounded by one line and one
 * diagnostic per parser, whatever the log's size.
 */

import type { GccClangOptions } from "./gcc-clang.ts";
import { LineSplitter } from "./lines.ts";
import type { ParseContext, ToolParser } from "./parser.ts";
import { defaultParsers } from "./parsers.ts";
import type { Diagnostic } from "./types.ts";

export interface StreamOptions extends GccClangOptions {
  /** The grammars to read the log with; all of them by default. */
  readonly parsers?: readonly ToolParser[];
}

export class DiagnosticsStream {
  private readonly splitter = new LineSplitter();
  private readonly parsers: readonly ToolParser[];
  private owner: ToolParser | null = null;
  private readonly directories: string[] = [];
  private ready: Diagnostic[] = [];
  private readonly context: ParseContext;

  constructor(options: StreamOptions = {}) {
    this.parsers = options.parsers ?? defaultParsers(options);
    const directories = this.directories;
    const ready = () => this.ready;
    this.context = {
      get directory() {
        return directories.at(-1) ?? null;
      },
      enterDirectory: (directory) => {
        // make nests at most a few levels; a log that only enters is bounded here.
        if (directories.length < 64) directories.push(directory);
      },
      leaveDirectory: (directory) => {
        const at = directories.lastIndexOf(directory);
        if (at !== -1) directories.splice(at);
        else directories.pop();
      },
      emit: (diagnostic) => {
        ready().push(diagnostic);
      },
    };
  }

  /** Feed a chunk of the log; returns the diagnostics it completed. */
  write(chunk: string | Uint8Array): Diagnostic[] {
    for (const line of this.splitter.push(chunk)) this.line(line);
    return this.take();
  }

  /** The log has ended: returns what was still being assembled. */
  end(): Diagnostic[] {
    for (const line of this.splitter.end()) this.line(line);
    this.owner?.flush(this.context);
    this.owner = null;
    return this.take();
  }

  private line(line: string) {
    const owner = this.owner;
    if (owner?.accept(line, this.context)) return;
    // The owner's diagnostic ends before any other grammar sees the line, so it
    // is emitted with the state it belongs to (make's directory, say).
    owner?.flush(this.context);
    this.owner = null;
    for (const parser of this.parsers) {
      if (parser !== owner && parser.accept(line, this.context)) {
        this.owner = parser;
        return;
      }
    }
  }

  private take(): Diagnostic[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }
}

/** A whole log at once (tests, small logs). */
export function parseLog(text: string, parsers?: readonly ToolParser[]): Diagnostic[] {
  const stream = new DiagnosticsStream(parsers ? { parsers } : {});
  return [...stream.write(text), ...stream.end()];
}
