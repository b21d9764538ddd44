/**
 * GCC and Clang (and clang-tidy, which prints Clang's grammar): one diagnostic
 * is its context lines (include chain, `In function`, `In instantiation of`,
 * `required from`), its location line, the source excerpt with carets and
 * fix-its, and the notes after it. The context comes *before* the location line,
 * so it is held until the diagnostic it belongs to appears.
 */
import {
  type Draft,
  finish,
  keepLine,
  MAX_LINES_PER_DIAGNOSTIC,
  type ParseContext,
  type ToolParser,
} from "./parser.ts";
import type { Frame, Location, Severity, Tool } from "./types.ts";

// path:line[:col][:{l:c-l:c}...]: severity: message
const LOCATION_LINE =
  /^(?<path>[^\s:][^:]*?|[A-Za-z]:[\\/][^:]*?):(?<line>\d+)(?::(?<col>\d+))?(?<ranges>(?::?\{\d+:\d+-\d+:\d+\})+)?: (?<severity>fatal error|error|warning|note|remark): (?<message>.*)$/;
// path:line[:col]:   required from here   (GCC's instantiation and constexpr context)
const CONTEXT_LOCATION =
  /^(?<path>[^\s:][^:]*?|[A-Za-z]:[\\/][^:]*?):(?<line>\d+)(?::(?<col>\d+))?: {2,}(?<message>\S.*)$/;
const INCLUDED_FROM = /^In file included from (?<path>.+?):(?<line>\d+)(?::(?<col>\d+))?[:,]$/;
const INCLUDED_FROM_MORE = /^\s+from (?<path>.+?):(?<line>\d+)(?::(?<col>\d+))?[:,]$/;
// a.cpp: In function 'int f()':   a.cpp: At global scope:
const SCOPE_LINE = /^(?<path>[^\s:][^:]*?|[A-Za-z]:[\\/][^:]*?): (?:In |At (?:global scope|top level))(?<what>.*):$/;
// g++: error: ..., cc1plus: warning: ..., clang-16: error: ..., x86_64-linux-gnu-g++-12: fatal error: ...
const DRIVER_LINE =
  /^(?<tool>(?:\S*\/)?(?:[\w.]+-)*(?:cc1plus|cc1|cc1obj|g\+\+|gcc|c\+\+|cc|clang\+\+|clang|clang-tidy|lto-wrapper)(?:-\d+(?:\.\d+)*)?(?:\.exe)?): (?<severity>fatal error|error|warning|note): (?<message>.*)$/;
const WERROR_SUMMARY = /^(?:\S*\/)?(?:cc1plus|cc1|cc1obj): (?:all|some) warnings being treated as errors$/;
const FLAG_OR_CHECK = /^-[Wf][\w+=-]+$|^[a-z][\w.]*(?:-[\w.]+)+$/;
const SEVERITY = /: (?:fatal error|error|warning|note|remark): /;
const CLANG_SUMMARY = /^\d+ (?:warning|error)s? (?:and \d+ (?:warning|error)s? )?generated\.$/;
const CLANG_TIDY_CHATTER =
  /^(?:Suppressed \d+ warnings|Use -header-filter=|\d+ warnings? treated as errors?$|Error while processing |Error: no checks enabled)/;
const GUTTER = /^\s*(?:\d+|\+\+\+)? *\|/;
const CARET = /^[\s~^]*\^[\s~^]*$|^\s*~+\s*$/;
// Lines other grammars own: never taken as a source excerpt or fix-it.
const OTHER_TOOL =
  /^(?:make(?:\[\d+\])?: |ninja: |FAILED: |\[\s*\d+%\] |\[\d+\/\d+\] |-- |CMake |Consolidate compiler|Scanning dependencies|Linking |Building |\S*\bld(?:\.\w+)?(?:-\d+)?: |collect2: |>>> |\d+% tests passed|\d+\/\d+ Test )/;

// A driver line names its compiler (`clang++-16: error: ...`, `x86_64-linux-gnu-g++-12: fatal error: ...`).
const CLANG_EVIDENCE =
  /^\d+ (?:warning|error)s? (?:and \d+ (?:warning|error)s? )?generated\.$|:\{\d+:\d+-\d+:\d+\}|\[-Werror,-W|: note: (?:in instantiation of|expanded from macro)|^(?:\S*\/)?(?:[\w.]+-)*clang(?:\+\+)?(?:-\d+(?:\.\d+)*)?(?:\.exe)?: /;
const GCC_EVIDENCE =
  /‘|^(?:\S*\/)?cc1(?:plus)?: |: In (?:function|member function|instantiation of)|: {3}required from|^(?:\S*\/)?(?:[\w.]+-)*(?:g\+\+|gcc)(?:-\d+(?:\.\d+)*)?(?:\.exe)?: /;

const MAX_REMEMBERED_CHAINS = 512;

type LastLine = "location" | "excerpt" | "caret" | "other";

/** `directory` is make's when it is emitted. */
interface Assembling extends Draft {
  /** The last location line was a note ending in ':' (GCC nests the next diagnostic in it). */
  nestsNext: boolean;
  /** Index in `lines` of its own location line (after the context lines). */
  locationIndex: number;
}

export interface GccClangOptions {
  /** The compiler that made the log, when known (the executor knows the cell's). */
  readonly compiler?: "gcc" | "clang";
}

export class GccClangParser implements ToolParser {
  private readonly fixedCompiler: "gcc" | "clang" | null;
  private guessedCompiler: "gcc" | "clang" = "gcc";
  private current: Assembling | null = null;
  /** Context lines seen before the diagnostic they introduce. */
  private pending: { lines: string[]; frames: Frame[]; includes: Frame[] } | null = null;
  /** The last include chain printed for each header: GCC and Clang print it only when it changes. */
  private readonly chains = new Map<string, Frame[]>();
  /**
   * The instantiation context printed last, with the file of its diagnostic:
   * GCC and Clang print a context only when it differs from the previous
   * diagnostic's, so the next error in the same template shows none of its
   * own. Forgotten on flush, when the log moves on to other output.
   */
  private lastInstantiation: { path: string; frames: Frame[] } | null = null;
  private last: LastLine = "other";

  constructor(options: GccClangOptions = {}) {
    this.fixedCompiler = options.compiler ?? null;
  }

  accept(line: string, context: ParseContext): boolean {
    // Dispatch on the line's shape first: most lines of a log are nobody's, and
    // each pattern below runs only on lines that could match it.
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) return this.indented(line);
    if (line.startsWith("In file included from ")) {
      const match = INCLUDED_FROM.exec(line);
      if (!match?.groups) return false;
      // Context waits for the location line after it: a note's include chain
      // belongs to the open diagnostic, an error's or warning's starts a new one.
      const pending = this.pendingContext();
      pending.lines.push(line);
      pending.includes.push(frame("included-from", match.groups));
      this.last = "other";
      return true;
    }
    if (line.includes(": ")) return this.colonLine(line, context);
    if (line.endsWith("generated.") && CLANG_SUMMARY.test(line)) {
      if (!this.fixedCompiler) this.guessedCompiler = "clang";
      this.flush(context);
      return true;
    }
    if (!this.current) return this.forgetPending();
    if (line === "compilation terminated.") return this.append(line, "other");
    if (CLANG_TIDY_CHATTER.test(line)) {
      this.flush(context);
      return true;
    }
    if (line === "" || OTHER_TOOL.test(line)) return false;
    if (CARET.test(line)) return this.append(line, "caret");
    // Clang (and GCC without line numbers) print the source line as it is, right after the location.
    return this.last === "location" ? this.append(line, "excerpt") : false;
  }

  /** A line that starts with white space: include chain, source excerpt, carets, fix-it. */
  private indented(line: string): boolean {
    if (this.pending && /^\s+from /.test(line)) {
      const match = INCLUDED_FROM_MORE.exec(line);
      if (match?.groups) {
        this.pending.lines.push(line);
        this.pending.includes.push(frame("included-from", match.groups));
        return true;
      }
    }
    if (!this.current) return this.forgetPending();
    const gutter = GUTTER.exec(line);
    if (gutter) return this.append(line, CARET.test(line.slice(gutter[0].length)) ? "caret" : "excerpt");
    if (CARET.test(line)) return line.trim() === "" ? false : this.append(line, "caret");
    if (OTHER_TOOL.test(line)) return false;
    if (this.last === "location" && line.trim() !== "") return this.append(line, "excerpt");
    // A fix-it below the carets is indented to the column it applies to.
    if (this.last === "caret" && line.trim() !== "") return this.append(line, "other");
    return false;
  }

  /** A line with ": " in it: a location, a scope or instantiation context, a driver message. */
  private colonLine(line: string, context: ParseContext): boolean {
    if (SEVERITY.test(line)) {
      const match = LOCATION_LINE.exec(line);
      if (match?.groups) return this.locationLine(line, match.groups, context);
      const driver = DRIVER_LINE.exec(line);
      if (driver?.groups) {
        this.flush(context);
        const { code, message, werror } = splitCode(driver.groups.message ?? "");
        this.start({
          tool: toolOf(driver.groups.tool ?? "", code, this.compiler()),
          severity: werror ? "error" : severityOf(driver.groups.severity ?? "error"),
          location: null,
          message,
          code,
          line,
        });
        return true;
      }
    }
    if (SCOPE_LINE.test(line)) {
      this.pendingContext().lines.push(line);
      this.last = "other";
      return true;
    }
    const match = line.includes(":  ") ? CONTEXT_LOCATION.exec(line) : null;
    if (match?.groups && !OTHER_TOOL.test(line)) {
      const step = frame("instantiated-from", match.groups);
      if (this.pending || !this.current) {
        this.pendingContext().lines.push(line);
        this.pendingContext().frames.push(step);
      } else {
        this.current.frames.push(step);
        this.append(line, "other");
      }
      this.last = "other";
      return true;
    }
    if (WERROR_SUMMARY.test(line)) {
      this.flush(context);
      const message = line.slice(line.indexOf(": ") + 2);
      this.start({ tool: "gcc", severity: "note", location: null, message, code: null, line });
      return true;
    }
    if (!this.current) return this.forgetPending();
    if (OTHER_TOOL.test(line)) return false;
    // Source excerpts often hold ": " too (`case 1: f();`).
    return this.last === "location" ? this.append(line, "excerpt") : false;
  }

  /** Context that introduced nothing (the log moved on) is forgotten. */
  private forgetPending(): false {
    this.pending = null;
    return false;
  }

  flush(context: ParseContext): void {
    this.emitCurrent(context);
    this.pending = null;
    this.lastInstantiation = null;
  }

  private emitCurrent(context: ParseContext): void {
    const d = this.current;
    this.current = null;
    this.last = "other";
    if (!d) return;
    const tool = d.tool === "gcc" || d.tool === "clang" ? this.compilerOf(d.lines, d.locationIndex) : d.tool;
    context.emit(finish({ ...d, tool, frames: this.withInstantiation(d), directory: context.directory }));
  }

  /** Its frames, plus the last instantiation context when it shows none and is in the file that context's diagnostic was in. */
  private withInstantiation(d: Assembling): Frame[] {
    if (!d.location || d.severity === "note") return d.frames;
    const own = d.frames.filter((f) => f.kind === "instantiated-from");
    if (own.length > 0) {
      this.lastInstantiation = { path: d.location.path, frames: own };
      return d.frames;
    }
    const last = this.lastInstantiation;
    return last && last.path === d.location.path ? [...d.frames, ...last.frames] : d.frames;
  }

  private locationLine(line: string, groups: Record<string, string | undefined>, context: ParseContext): boolean {
    const severity = severityOf(groups.severity ?? "error");
    const location = locationOf(groups);
    const { code, message, werror } = splitCode(groups.message ?? "");
    const current = this.current;
    // GCC prints a diagnostic nested in a note ("...would be ill-formed:") as one
    // of its own; it belongs to the diagnostic it explains.
    if (current && (severity === "note" || current.nestsNext)) {
      const pending = this.pending;
      this.pending = null;
      for (const l of pending?.lines ?? []) this.append(l, "other");
      current.frames.push(...(pending?.frames ?? []));
      const kind = /^in instantiation\b/.test(message) ? "instantiated-from" : "note";
      current.frames.push({ ...location, kind });
      current.nestsNext = severity === "note" && message.endsWith(":");
      return this.append(line, "location");
    }
    this.emitCurrent(context);
    this.start({
      tool: toolOf("", code, this.compiler()),
      severity: werror ? "error" : severity,
      location,
      message,
      code,
      line,
    });
    return true;
  }

  private start(d: {
    tool: Tool;
    severity: Severity;
    location: Location | null;
    message: string;
    code: string | null;
    line: string;
  }) {
    const pending = this.pending;
    this.pending = null;
    let includes = pending?.includes ?? [];
    if (d.location) {
      // Remember the chain that leads to this file, or reuse the last one printed for it.
      if (includes.length > 0) this.remember(d.location.path, includes);
      else includes = this.chains.get(d.location.path) ?? [];
    }
    this.current = {
      tool: d.tool,
      severity: d.severity,
      location: d.location,
      message: d.message,
      code: d.code,
      lines: [...(pending?.lines ?? []), d.line],
      dropped: 0,
      frames: [...(pending?.frames ?? []), ...includes],
      directory: null,
      nestsNext: false,
      locationIndex: pending?.lines.length ?? 0,
    };
    this.last = "location";
  }

  private append(line: string, kind: LastLine): boolean {
    const d = this.current;
    if (!d) return false;
    keepLine(d, line);
    this.last = kind;
    return true;
  }

  private pendingContext() {
    this.pending ??= { lines: [], frames: [], includes: [] };
    // Bounded like a diagnostic: a log of nothing but context must not grow it.
    if (this.pending.lines.length > MAX_LINES_PER_DIAGNOSTIC) {
      this.pending.lines.splice(0, this.pending.lines.length - MAX_LINES_PER_DIAGNOSTIC);
      this.pending.frames.splice(0, Math.max(0, this.pending.frames.length - MAX_LINES_PER_DIAGNOSTIC));
      this.pending.includes.splice(0, Math.max(0, this.pending.includes.length - MAX_LINES_PER_DIAGNOSTIC));
    }
    return this.pending;
  }

  private remember(path: string, chain: Frame[]) {
    this.chains.delete(path);
    this.chains.set(path, chain);
    if (this.chains.size > MAX_REMEMBERED_CHAINS) {
      const oldest = this.chains.keys().next().value;
      if (oldest !== undefined) this.chains.delete(oldest);
    }
  }

  private compiler(): "gcc" | "clang" {
    return this.fixedCompiler ?? this.guessedCompiler;
  }

  /**
   * Which compiler printed a diagnostic, decided when it is complete: GCC
   * numbers its source excerpt (`  7 |`) and quotes with ‘’, Clang before 19
   * prints the bare source line; the log's other lines settle the rest.
   */
  private compilerOf(lines: readonly string[], location: number): "gcc" | "clang" {
    if (this.fixedCompiler) return this.fixedCompiler;
    // The context, the location line and the one after it tell; what one
    // diagnostic shows also decides for the next ones that show nothing.
    // GCC quotes with ‘’ in a UTF-8 locale: the cheapest and most common sign.
    if (lines[location]?.includes("‘")) {
      this.guessedCompiler = "gcc";
      return "gcc";
    }
    const telling = lines.slice(0, location + 2);
    if (telling.some((l) => CLANG_EVIDENCE.test(l))) {
      this.guessedCompiler = "clang";
      return "clang";
    }
    if (telling.some((l) => GCC_EVIDENCE.test(l))) {
      this.guessedCompiler = "gcc";
      return "gcc";
    }
    const after = lines[location + 1];
    const caret = lines[location + 2];
    if (after !== undefined && caret !== undefined && !GUTTER.test(after) && CARET.test(caret)) return "clang";
    if (after !== undefined && GUTTER.test(after)) return this.guessedCompiler === "clang" ? "clang" : "gcc";
    return this.guessedCompiler;
  }
}

function severityOf(word: string): Severity {
  if (word === "warning") return "warning";
  if (word === "note" || word === "remark") return "note";
  return "error";
}

function locationOf(groups: Record<string, string | undefined>): Location {
  const line = Number(groups.line);
  const column = groups.col ? Number(groups.col) : null;
  let endLine: number | null = null;
  let endColumn: number | null = null;
  // Clang's -fdiagnostics-print-source-range-info: the range that holds the caret gives the extent.
  const ranges = groups.ranges ? groups.ranges.matchAll(/\{(\d+):(\d+)-(\d+):(\d+)\}/g) : [];
  for (const range of ranges) {
    const [startLine, startColumn, lastLine, lastColumn] = range.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    const holds =
      (startLine < line || (startLine === line && startColumn <= (column ?? startColumn))) &&
      (lastLine > line || (lastLine === line && lastColumn >= (column ?? lastColumn)));
    if (holds || endLine === null) {
      endLine = lastLine;
      endColumn = lastColumn;
    }
    if (holds) break;
  }
  return { path: groups.path ?? "", line, column, endLine, endColumn };
}

function frame(kind: Frame["kind"], groups: Record<string, string | undefined>): Frame {
  return {
    kind,
    path: groups.path ?? "",
    line: Number(groups.line),
    column: groups.col ? Number(groups.col) : null,
    endLine: null,
    endColumn: null,
  };
}

/**
 * `unused variable 'x' [-Wunused-variable]` → message and code. GCC's
 * `[-Werror=unused-variable]` and Clang's `[-Werror,-Wunused-variable]` mark a
 * warning promoted to an error; the code is the warning's flag either way.
 */
export function splitCode(text: string): { message: string; code: string | null; werror: boolean } {
  const open = text.lastIndexOf(" [");
  if (open === -1 || !text.endsWith("]")) return { message: text, code: null, werror: false };
  const inside = text.slice(open + 2, -1);
  if (inside.includes("[") || inside.includes("]")) return { message: text, code: null, werror: false };
  let werror = false;
  let code: string | null = null;
  for (const raw of inside.split(",")) {
    const part = raw.trim();
    if (part === "-Werror") werror = true;
    else if (part.startsWith("-Werror=")) {
      werror = true;
      code = `-W${part.slice("-Werror=".length)}`;
    } else if (code === null && FLAG_OR_CHECK.test(part)) {
      code = part;
    }
  }
  // A bracket that holds no flag or check is part of the message ("[with T = int]").
  if (code === null && !werror) return { message: text, code: null, werror: false };
  return { message: text.slice(0, open), code, werror };
}

function toolOf(driver: string, code: string | null, compiler: "gcc" | "clang"): Tool {
  if (code !== null && !code.startsWith("-")) return "clang-tidy";
  if (/clang-tidy/.test(driver)) return "clang-tidy";
  if (/clang/.test(driver)) return "clang";
  if (/cc1|g\+\+|gcc|lto-wrapper/.test(driver)) return "gcc";
  return compiler;
}
