/**
 * Linkers: GNU ld (bfd), gold and lld, plus the compiler drivers' one-line
 * summaries of a failed link (`collect2: error: ld returned 1 exit status`,
 * `clang: error: linker command failed with exit code 1 ...`).
 *
 * - bfd prints `ld: obj.o: in function `f':` before the diagnostics of a
 *   function; the first one after it has no `ld:` prefix. A place is
 *   `file:line` (with debug info), `file:(.section+0xoff)` or an object file.
 * - gold prefixes its own messages (`ld.gold: error: ...`) but prints undefined
 *   references and `.gnu.warning` warnings unprefixed, as
 *   `obj.o:file.cpp:function f: error: ...` or `/src/file.cpp:5: error: ...`.
 * - lld prints `ld.lld: error: ...` followed by `>>> ` lines that say where the
 *   symbol is referenced or defined.
 *
 * Codes: `undefined-reference` (bfd's and gold's `undefined reference to`,
 * lld's `undefined symbol:`), `multiple-definition` (`multiple definition of`,
 * lld's `duplicate symbol:`), `cannot-find-library` (`cannot find -lfoo`,
 * lld's `unable to find library -lfoo`); anything else has none.
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

const DRIVER_SUFFIX = String.raw`(?:-\d+(?:\.\d+)*)?(?:\.exe)?`;
// ld.lld: error: ...   ld.lld-16: warning: ...   /usr/bin/ld.lld: ...   lld-link: error: ...
const LLD_LINE = new RegExp(
  String.raw`^(?:\S*[\\/])?(?:ld\.lld|ld64\.lld|lld-link|wasm-ld)${DRIVER_SUFFIX}: (?<severity>error|warning): (?<message>.*)$`,
);
// /usr/bin/ld.gold: error: ...   x86_64-linux-gnu-ld.gold: warning: ...   ld.gold: obj.o: previous definition here
const GOLD_LINE = new RegExp(
  String.raw`^(?:\S*[\\/])?(?:[\w.-]+-)?ld\.gold${DRIVER_SUFFIX}: (?:(?<severity>fatal error|internal error|error|warning): )?(?<message>.*)$`,
);
// gold without a prefix: obj/main.o:main.cpp:function main: error: undefined reference to 'missing()'
const GOLD_FUNCTION =
  /^(?<object>[^\s:]+?)(?::(?<file>[^\s:]+))?:function (?<function>.+?): (?<severity>error|warning): (?<message>.*)$/;
// gold with debug info: /src/main.cpp:5: error: undefined reference to 'missing()'
const GOLD_SOURCE_LINE =
  /^(?<file>(?:[A-Za-z]:)?[^\s:]+):(?<line>\d+): (?<severity>error): (?<message>undefined reference to '.*')$/;
// /usr/bin/ld: ...   ld: ...   /usr/bin/x86_64-linux-gnu-ld.bfd: ...   C:/mingw/bin/ld.exe: ...
const BFD_LINE = new RegExp(String.raw`^(?:\S*[\\/])?(?:[\w.-]+-)?ld(?:\.bfd)?${DRIVER_SUFFIX}: (?<rest>.*)$`);
// obj/main.o: in function `main':   (the context of the diagnostics after it)
const BFD_IN_FUNCTION = /^(?<object>.+?): in function [`'‘](?<function>.*)['’]:$/i;
// The place before a bfd message: file:line, file:(.section+0xoff), or a bare object file.
const BFD_PLACE =
  /^(?<file>(?:[A-Za-z]:)?[^\s:()]+(?:\([^\s()]*\))?)(?::(?:\((?<section>[^)]*)\)|(?<line>\d+)))?: (?<message>.*)$/;
// What only bfd prints, so it may start a line without the ld: prefix: a section
// offset (`main.cpp:(.text+0x9): `), or its backquoted undefined/multiple messages.
const BFD_UNPREFIXED =
  /^(?:[A-Za-z]:)?[^\s:()]+(?:\([^\s()]*\))?:(?:\([^)]*\+0x[0-9a-f]+\): |\d+: (?:warning: )?(?:undefined reference to `|multiple definition of `))/;
// ...; obj/a.o:/src/a.cpp:3: first defined here
const FIRST_DEFINED = /; (?<place>\S.*): first defined here$/;
const OBJECT_PLACE = /^(?<object>[^\s:]+?):(?:(?<file>[^\s:()]+):)?(?:(?<line>\d+)|\((?<section>[^)]*)\))$/;
const COLLECT2 = /^(?:\S*[\\/])?collect2(?:\.exe)?: (?:fatal )?(?<severity>error|warning): (?<message>.*)$/;
const CLANG_LINK_FAILED = new RegExp(
  String.raw`^(?:\S*[\\/])?(?:[\w.-]+-)?clang(?:\+\+)?${DRIVER_SUFFIX}: error: (?<message>linker command failed with exit code \d+.*)$`,
);
// >>> referenced by main.cpp:5 (/src/main.cpp:5)   >>> defined at a.cpp:1 (/src/a.cpp:1)
const LLD_PLACE_LINE = /^>>> (?:referenced by|defined at) (?<place>.+)$/;
const LLD_PLACE = /^(?<file>.+?):(?<line>\d+)(?: \((?<absolute>.+):(?<absoluteLine>\d+)\))?$/;
// An object, archive or library: a build product, not a place in the source.
const OBJECT_FILE = /\.(?:o|obj|lo|a|lib|so|dll|dylib)(?:\.\d+)*$|\)$/;

type Kind = "bfd" | "gold" | "lld" | "summary";

/** `directory` is make's when it began: the line that ends it may be a `Leaving directory`. */
interface Assembling extends Draft {
  kind: Kind;
}

interface Start {
  kind: Kind;
  tool: Tool;
  severity: Severity;
  location: Location | null;
  message: string;
  frames?: Frame[];
}

export class LinkerParser implements ToolParser {
  private current: Assembling | null = null;
  /** bfd's `in function` line, waiting for the diagnostic it introduces. */
  private context: string | null = null;

  accept(line: string, context: ParseContext): boolean {
    const current = this.current;
    // Every line a linker starts has ": " in it; most lines of a log are not the linker's.
    if (!current && !line.includes(": ")) return false;
    if (current?.kind === "lld" && line.startsWith(">>> ")) {
      this.lldPlace(current, line);
      return this.append(line);
    }

    let match = COLLECT2.exec(line) ?? CLANG_LINK_FAILED.exec(line);
    if (match?.groups) {
      return this.start(context, line, {
        kind: "summary",
        tool: "ld",
        severity: match.groups.severity === "warning" ? "warning" : "error",
        location: null,
        message: match.groups.message ?? "",
      });
    }

    match = LLD_LINE.exec(line);
    if (match?.groups) {
      return this.start(context, line, {
        kind: "lld",
        tool: "lld",
        severity: match.groups.severity === "warning" ? "warning" : "error",
        location: null,
        message: match.groups.message ?? "",
      });
    }

    match = GOLD_LINE.exec(line);
    if (match?.groups) {
      const message = match.groups.message ?? "";
      if (!match.groups.severity && current?.tool === "gold" && /: previous definition here$/.test(message)) {
        return this.append(line);
      }
      return this.start(context, line, {
        kind: "gold",
        tool: "gold",
        severity: match.groups.severity === "warning" ? "warning" : "error",
        location: null,
        message,
      });
    }

    match = GOLD_FUNCTION.exec(line);
    if (match?.groups) {
      const file = match.groups.file;
      return this.start(context, line, {
        kind: "gold",
        tool: "gold",
        severity: match.groups.severity === "warning" ? "warning" : "error",
        location: file && !OBJECT_FILE.test(file) ? place(file, null) : null,
        message: match.groups.message ?? "",
      });
    }
    match = GOLD_SOURCE_LINE.exec(line);
    if (match?.groups) {
      return this.start(context, line, {
        kind: "gold",
        tool: "gold",
        severity: "error",
        location: place(match.groups.file ?? "", Number(match.groups.line)),
        message: match.groups.message ?? "",
      });
    }

    match = BFD_LINE.exec(line);
    if (match?.groups) {
      const rest = match.groups.rest ?? "";
      if (rest.startsWith("NOTE: ") && current?.kind === "bfd") return this.append(line);
      if (BFD_IN_FUNCTION.test(rest)) {
        this.emit(context);
        this.context = line;
        return true;
      }
      return this.start(context, line, bfdBody(rest));
    }
    // The first diagnostic after `in function` has no prefix.
    if (this.context !== null || BFD_UNPREFIXED.test(line)) {
      const body = bfdBody(line);
      if (body.location || BFD_UNPREFIXED.test(line)) return this.start(context, line, body);
    }
    return false;
  }

  flush(context: ParseContext): void {
    this.emit(context);
    this.context = null;
  }

  private start(context: ParseContext, line: string, d: Start): boolean {
    this.emit(context);
    const lines = this.context === null ? [line] : [this.context, line];
    this.context = null;
    this.current = {
      kind: d.kind,
      tool: d.tool,
      severity: d.severity,
      location: d.location,
      message: d.message,
      code: codeOf(d.message),
      lines,
      dropped: 0,
      frames: d.frames ?? [],
      directory: context.directory,
    };
    return true;
  }

  private append(line: string): boolean {
    const d = this.current;
    if (!d) return false;
    keepLine(d, line);
    return true;
  }

  /** `>>> referenced by` / `>>> defined at`: the first place is the location, the others frames. */
  private lldPlace(d: Assembling, line: string) {
    const text = LLD_PLACE_LINE.exec(line)?.groups?.place;
    if (text === undefined) return;
    const found = lldLocation(text);
    if (!found) return;
    if (d.location === null) d.location = found;
    else if (d.frames.length < MAX_LINES_PER_DIAGNOSTIC) d.frames.push({ ...found, kind: "note" });
  }

  private emit(context: ParseContext) {
    const d = this.current;
    this.current = null;
    if (!d) return;
    context.emit(finish(d));
  }
}

/** What follows bfd's `ld:` prefix (or starts an unprefixed line): place, severity, message. */
function bfdBody(rest: string): Start {
  const base = { kind: "bfd" as const, tool: "ld" as const };
  const bare = splitSeverity(rest);
  if (bare.explicit) return { ...base, severity: bare.severity, location: null, message: bare.message };
  const match = BFD_PLACE.exec(rest);
  if (!match?.groups) return { ...base, severity: "error", location: null, message: rest };
  const file = match.groups.file ?? "";
  const { severity, message } = splitSeverity(match.groups.message ?? "");
  const line = match.groups.line === undefined ? null : Number(match.groups.line);
  const frames: Frame[] = [];
  const first = FIRST_DEFINED.exec(message)?.groups?.place;
  const definedAt = first === undefined ? null : objectPlace(first);
  if (definedAt) frames.push({ ...definedAt, kind: "note" });
  if (OBJECT_FILE.test(file) || (line === null && match.groups.section === undefined)) {
    // A build product, not a source file: keep its name in the message.
    return { ...base, severity, location: null, message: `${file}: ${message}`, frames };
  }
  return { ...base, severity, location: place(file, line), message, frames };
}

function splitSeverity(text: string): { severity: Severity; message: string; explicit: boolean } {
  const match = /^(?<severity>warning|error): (?<message>.*)$/.exec(text);
  if (!match?.groups) return { severity: "error", message: text, explicit: false };
  return {
    severity: match.groups.severity === "warning" ? "warning" : "error",
    message: match.groups.message ?? "",
    explicit: true,
  };
}

/** `obj/a.o:/src/a.cpp:3` or `obj/a.o:a.cpp:(.text+0x0)`: the source place, if it names one. */
function objectPlace(text: string): Location | null {
  const match = OBJECT_PLACE.exec(text);
  const file = match?.groups?.file;
  if (!match?.groups || file === undefined || OBJECT_FILE.test(file)) return null;
  return place(file, match.groups.line === undefined ? null : Number(match.groups.line));
}

/** `main.cpp:5 (/src/main.cpp:5)`, `main.cpp:5` or `main.cpp`: the absolute form wins. */
function lldLocation(text: string): Location | null {
  const match = LLD_PLACE.exec(text);
  if (match?.groups) {
    const absolute = match.groups.absolute;
    if (absolute !== undefined) return place(absolute, Number(match.groups.absoluteLine));
    const file = match.groups.file ?? "";
    return OBJECT_FILE.test(file) || /[\s()]/.test(file) ? null : place(file, Number(match.groups.line));
  }
  return /^[^\s:()]+$/.test(text) && !OBJECT_FILE.test(text) ? place(text, null) : null;
}

function place(path: string, line: number | null): Location {
  return { path, line, column: null, endLine: null, endColumn: null };
}

function codeOf(message: string): string | null {
  if (/(?:^|: )(?:undefined reference to |undefined symbol: )/.test(message)) return "undefined-reference";
  if (/(?:^|: )(?:multiple definition of |duplicate symbol: )/.test(message)) return "multiple-definition";
  if (/^(?:cannot find|unable to find library) (?:-l|\S*lib[^\s/]*\.(?:a|so|dylib|lib)\b)/.test(message)) {
    return "cannot-find-library";
  }
  return null;
}
