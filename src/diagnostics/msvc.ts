/**
 * MSVC's cl, clang-cl, link and MSBuild itself: everything that prints
 * MSBuild's canonical error format,
 *
 *     Origin : [subcategory ]category [code] : text
 *
 * where the origin is a file with an optional location (`main.cpp(10,5)`) or a
 * tool name (`cl`, `LINK`, `MSBUILD`, `main.obj`), and the category is `error`
 * or `warning` (`fatal error`, `command line warning`). Notes (`note:` from cl
 * and clang-cl, `message :` once MSBuild has logged them), cl's `with [ T=int ]`
 * blocks, the nested locations of cl's structured output, clang-cl's source
 * excerpt and link's symbol hints belong to the diagnostic before them.
 *
 * MSBuild decorates each line: `N>` or `N:M>` (the project the line is from)
 * before it, ` [C:\path\to\project.vcxproj]` after it. Both are taken off for
 * parsing and kept in the raw lines. After `Build FAILED.` MSBuild repeats every
 * error and warning of the build; those repeats are claimed and not reported
 * twice.
 */
import { finish, MAX_LINES_PER_DIAGNOSTIC, type ParseContext, type ToolParser } from "./parser.ts";
import type { Frame, Location, Severity, Tool } from "./types.ts";

/** `   12>` or `  5:7>` before a line of `msbuild /m`: the project the line is from. */
const NODE_PREFIX = /^\s*(\d+(?::\d+)?)>/;

/**
 * `path(loc):` then the rest. The path holds no colon but a drive letter's, so
 * GCC's `file:line:col:` never matches; `(x86)` in a path is not a location.
 */
const LOCATED_ORIGIN = /^((?:[A-Za-z]:)?[^:]*?)\(([\d,-]+)\)\s*:(.*)$/;
/** `origin :` then the rest: a tool (`cl`, `LINK`), an object or executable, a file named without a line. */
// One space at most before the colon (MSBuild prints ` : `): a run of spaces would backtrack.
const TOOL_ORIGIN = /^((?:[A-Za-z]:)?[^:]*?)( ?):(.*)$/;
/**
 * After the origin: `[subcategory ]category[ code]:` then the text. The
 * categories are printed in English whatever the tools' language.
 */
const CATEGORY =
  /^(\s*)(?:([A-Za-z]+(?:[ -][A-Za-z]+)?) )?(error|warning|note|message)(?:\s+([A-Za-z]+\d[A-Za-z0-9]*))?(\s*):(.*)$/;
/** The same with no origin at all (`error MSB4018: ...`); a code is required then. */
const NO_ORIGIN = /^(?:(fatal|[Cc]ommand[ -]line) )?(error|warning)\s+([A-Za-z]+\d[A-Za-z0-9]*)\s*:(.*)$/;
const LOCATION_FORMS: readonly [RegExp, (n: number[]) => [number, number | null, number | null, number | null]][] = [
  [/^(\d+)$/, ([l = 0]) => [l, null, null, null]],
  [/^(\d+)-(\d+)$/, ([l = 0, el = 0]) => [l, null, el, null]],
  [/^(\d+),(\d+)$/, ([l = 0, c = 0]) => [l, c, null, null]],
  [/^(\d+),(\d+)-(\d+)$/, ([l = 0, c = 0, ec = 0]) => [l, c, null, ec]],
  [/^(\d+),(\d+),(\d+),(\d+)$/, ([l = 0, c = 0, el = 0, ec = 0]) => [l, c, el, ec]],
  // MSBuild prints a line range with a start column so (EventArgsFormatting).
  [/^(\d+)-(\d+),(\d+)$/, ([l = 0, el = 0, c = 0]) => [l, c, el, null]],
];
/** ` [C:\src\app\app.vcxproj]`: the project MSBuild logged the line for. */
const PROJECT_SUFFIX = /\s+\[((?:[A-Za-z]:[\\/]|\\\\|\/)[^[\]]*|[^[\]]*\.(?:\w*proj|sln|metaproj))\]\s*$/;
/** clang-cl's flag after the message: `[-Wunused-variable]`, `[-Werror,-Wunused-variable]`. */
const CLANG_FLAG = /\s+\[(-W[^[\]\s]*(?:,\s*-W[^[\]\s]*)*)\]$/;
/** clang-cl's numbered source excerpt and caret lines: `   10 |     int x;`, `      |         ^`. */
const GUTTER = /^\s*\d*\s\|(?:\s|$)/;
/** A location alone on its line, its message on the next: cl's structured output (VS 2022 17.4+). */
const LOCATION_ONLY = /^((?:[A-Za-z]:)?[^:]*?)\(([\d,-]+)\):$/;
const LINK_HINT = "Hint on symbols that are defined and could potentially match:";
const INSTANTIATION =
  /\bbeing compiled$|^while compiling class template|^in instantiation of|^see reference to .*template instantiation/;
/** Origins that are files even without a line: sources, headers, project files. */
const FILE_ORIGIN =
  /\.(?:c|cc|cpp|cxx|c\+\+|h|hh|hpp|hxx|h\+\+|inl|ipp|tpp|ixx|cppm|rc|idl|def|vcxproj|props|targets)$/i;
/** Every header holds one of these; most lines of a log hold none, and skip the patterns. */
const MAYBE_HEADER = /error|warning|note|message/;
const SUMMARY_START = /^Build (?:FAILED|succeeded)\.$/;
const SUMMARY_END = /^(?:Time Elapsed |Build started |MSBuild version |Microsoft \(R\) Build Engine )/;
/** Lines of the build already reported, remembered for the summary that repeats them. */
const MAX_REMEMBERED = 4096;

interface Header {
  readonly severity: Severity;
  readonly tool: Tool;
  readonly location: Location | null;
  readonly code: string | null;
  readonly message: string;
  /** Everything before the text: lines of one multi-line MSBuild message share it. */
  readonly head: string;
  /** The text, project suffix taken off. */
  readonly text: string;
}

interface Assembling {
  readonly tool: Tool;
  readonly severity: Severity;
  readonly location: Location | null;
  readonly message: string;
  readonly code: string | null;
  readonly lines: string[];
  dropped: number;
  readonly frames: Frame[];
  readonly directory: string | null;
  /** The `N>` project the diagnostic is from: lines of another project are not its. */
  readonly node: string | null;
  readonly head: string;
  /** An MSBuild message whose quoted command goes on in the next line (MSB3073). */
  openQuote: boolean;
  /** A repeat in MSBuild's summary of one already reported: claimed, not emitted. */
  readonly repeat: boolean;
  /** What the next line may continue. */
  state: "none" | "with" | "with-block" | "nested" | "hint";
}

export class MsvcParser implements ToolParser {
  private current: Assembling | null = null;
  /** The project of the last line that named one: MSBuild names it only when it changes. */
  private node: string | null = null;
  /** Between `Build FAILED.` and `Time Elapsed`: the errors and warnings again. */
  private summary = false;
  private readonly reported = new Set<string>();

  accept(line: string, context: ParseContext): boolean {
    // A line with neither a colon nor a `N>` prefix starts nothing here, and
    // continues nothing when no diagnostic or summary is open.
    if (!this.current && !this.summary && !line.includes(":") && !line.includes(">") && !line.startsWith("Build ")) {
      return false;
    }
    const prefix = NODE_PREFIX.exec(line);
    if (prefix) this.node = prefix[1] ?? null;
    const rest = prefix ? line.slice(prefix[0].length) : line;
    const body = rest.trim();
    const indented = body !== "" && /^\s/.test(rest);
    if (SUMMARY_START.test(body)) {
      this.summary = true;
      this.node = null;
      return false;
    }
    if (SUMMARY_END.test(body)) {
      this.summary = false;
      this.node = null;
      return false;
    }
    const node = this.node;
    const header = body.includes(":") && MAYBE_HEADER.test(body) ? parseHeader(body) : null;
    const current = this.current && this.current.node === node ? this.current : null;
    if (header) return this.headerLine(line, body, header, node, current, context);
    if (!current) return false;
    return this.continuation(current, line, rest, body, indented);
  }

  flush(context: ParseContext): void {
    const d = this.current;
    this.current = null;
    if (!d || d.repeat) return;
    context.emit(finish(d));
  }

  private headerLine(
    line: string,
    body: string,
    header: Header,
    node: string | null,
    current: Assembling | null,
    context: ParseContext,
  ): boolean {
    if (header.severity === "note") {
      if (current) {
        current.state = "none";
        if (header.location) this.frame(current, header.location, header.message);
        return this.append(current, line);
      }
      // A note with nothing before it: its own diagnostic when it says where it is.
      if (!header.location && node === null) return false;
      this.flush(context);
      this.start(line, body, header, node, context);
      return true;
    }
    // MSBuild prints each line of a multi-line message with the whole prefix.
    if (current?.openQuote && header.head === current.head) {
      if (quotes(header.text) % 2 === 1) current.openQuote = false;
      return this.append(current, line);
    }
    this.flush(context);
    this.start(line, body, header, node, context);
    return true;
  }

  private start(line: string, body: string, header: Header, node: string | null, context: ParseContext) {
    const key = body;
    const repeat = this.summary && this.reported.has(key);
    if (!repeat && header.severity !== "note") this.remember(key);
    this.current = {
      tool: header.tool,
      severity: header.severity,
      location: header.location,
      message: header.message,
      code: header.code,
      lines: [line],
      dropped: 0,
      frames: [],
      directory: context.directory,
      node,
      head: header.head,
      openQuote: header.tool === "msbuild" && quotes(header.text) % 2 === 1,
      repeat,
      state: "none",
    };
  }

  /** A line that is no header: part of the open diagnostic, or nobody's here. */
  private continuation(current: Assembling, line: string, rest: string, body: string, indented: boolean): boolean {
    switch (current.state) {
      case "nested":
        current.state = "none";
        if (indented) return this.append(current, line);
        break;
      case "with":
        if (body === "[") {
          current.state = "with-block";
          return this.append(current, line);
        }
        current.state = "none";
        break;
      case "with-block":
        if (body === "]") {
          current.state = "none";
          return this.append(current, line);
        }
        if (indented && body.includes("=")) return this.append(current, line);
        current.state = "none";
        break;
      case "hint":
        if (body.startsWith('"')) return this.append(current, line);
        current.state = "none";
        break;
      case "none":
        break;
    }
    if (body === "with" && indented) {
      current.state = "with";
      return this.append(current, line);
    }
    const nested = LOCATION_ONLY.exec(body);
    if (nested) {
      const location = locationOf(nested[1] ?? "", nested[2] ?? "");
      if (location) {
        this.frame(current, location, "");
        current.state = "nested";
        return this.append(current, line);
      }
    }
    if (GUTTER.test(rest)) return this.append(current, line);
    if (current.tool === "link" && body === LINK_HINT) {
      current.state = "hint";
      return this.append(current, line);
    }
    // MSBuild's command-line errors name the switch on the next line.
    if (current.code?.startsWith("MSB1") && body.startsWith("Switch: ")) return this.append(current, line);
    return false;
  }

  private frame(current: Assembling, location: Location, message: string) {
    if (current.frames.length >= MAX_LINES_PER_DIAGNOSTIC) return;
    current.frames.push({ ...location, kind: INSTANTIATION.test(message) ? "instantiated-from" : "note" });
  }

  private append(current: Assembling, line: string): true {
    if (current.lines.length < MAX_LINES_PER_DIAGNOSTIC) current.lines.push(line);
    else current.dropped++;
    return true;
  }

  private remember(key: string) {
    this.reported.delete(key);
    this.reported.add(key);
    if (this.reported.size > MAX_REMEMBERED) {
      const oldest = this.reported.values().next().value;
      if (oldest !== undefined) this.reported.delete(oldest);
    }
  }
}

/** A line in the canonical format, prefix and leading space already taken off; null if it is not one. */
function parseHeader(body: string): Header | null {
  const located = LOCATED_ORIGIN.exec(body);
  if (located) {
    const location = locationOf(located[1] ?? "", located[2] ?? "");
    const category = location ? CATEGORY.exec(located[3] ?? "") : null;
    if (location && category) {
      const [, , sub, word = "", code, , text = ""] = category;
      if (sub && (word === "note" || word === "message")) return null;
      return header(body, text, location.path, location, sub ?? null, word, code ?? null);
    }
  }
  const tool = TOOL_ORIGIN.exec(body);
  if (tool) {
    const origin = tool[1] ?? "";
    const category = origin === "" ? null : CATEGORY.exec(tool[3] ?? "");
    if (category) {
      const [, spaceBefore = "", sub, word = "", code, spaceAfter = "", text = ""] = category;
      if (word === "note" || word === "message") return null;
      // No code: only MSBuild's spacing (`EXEC : error : ...`) or clang-cl's driver;
      // `cc1plus: fatal error: ...` is GCC's.
      const msbuildSpacing = tool[2] !== "" && spaceBefore !== "" && spaceAfter !== "";
      const clangCl = /^clang-cl(?:\.exe)?$/i.test(origin);
      if (code || msbuildSpacing || clangCl) {
        const location = FILE_ORIGIN.test(origin) ? pathOnly(origin) : null;
        return header(body, text, origin, location, sub ?? null, word, code ?? null);
      }
    }
  }
  const bare = NO_ORIGIN.exec(body);
  if (bare) {
    const [, sub, word = "", code = "", text = ""] = bare;
    return header(body, text, "", null, sub ?? null, word, code);
  }
  // `note: see reference to ...` continues the diagnostic before it.
  const note = /^(?:note|message)\s*:(.*)$/.exec(body);
  if (note) return header(body, note[1] ?? "", "", null, null, "note", null);
  return null;
}

function header(
  body: string,
  rawText: string,
  origin: string,
  location: Location | null,
  sub: string | null,
  word: string,
  printedCode: string | null,
): Header {
  const text = rawText.replace(PROJECT_SUFFIX, "").trim();
  let message = text;
  let code = printedCode;
  let severity: Severity = word === "warning" ? "warning" : word === "error" ? "error" : "note";
  if (code === null) {
    const flag = CLANG_FLAG.exec(text);
    if (flag) {
      const flags = (flag[1] ?? "").split(",").map((f) => f.trim());
      if (flags.includes("-Werror") && severity === "warning") severity = "error";
      code = flags.filter((f) => f !== "-Werror").at(-1) ?? "-Werror";
      message = text.slice(0, flag.index).trim();
    }
  }
  return {
    severity,
    // A note on its own: cl's (clang-cl's come after a warning or error).
    tool: severity === "note" ? "msvc" : toolOf(origin, location, code, printedCode !== null, sub),
    location,
    code,
    message,
    head: body.slice(0, body.length - rawText.length),
    text,
  };
}

function toolOf(
  origin: string,
  location: Location | null,
  code: string | null,
  printed: boolean,
  sub: string | null,
): Tool {
  const name = (origin.split(/[\\/]/).at(-1) ?? "").toLowerCase().replace(/\.exe$/, "");
  if (printed && code) {
    if (/^LNK\d/i.test(code)) return "link";
    if (/^MSB\d/i.test(code)) return "msbuild";
    if (/^[CD]\d{4,5}$/.test(code) || /^RC\d/.test(code)) return "msvc";
    if (/^U\d{4}$/.test(code) || name === "nmake") return "make";
  }
  if (name === "link" || name === "lib") return "link";
  if (name === "cl" || name === "c1" || name === "c1xx" || name === "c2") return "msvc";
  if (name === "clang-cl") return "clang-cl";
  // A diagnostic in a source file with no code is clang-cl's (cl always prints one).
  if (!printed && location && !/\.(?:\w*proj|props|targets)$/i.test(location.path)) return "clang-cl";
  if (!printed && sub === null && origin === "") return "msvc";
  return "msbuild";
}

function locationOf(path: string, printed: string): Location | null {
  if (path.trim() === "" || /^\s/.test(path)) return null;
  for (const [form, build] of LOCATION_FORMS) {
    const match = form.exec(printed);
    if (!match) continue;
    const [line, column, endLine, endColumn] = build(match.slice(1).map(Number));
    return { path, line, column, endLine, endColumn };
  }
  return null;
}

function pathOnly(path: string): Location {
  return { path, line: null, column: null, endLine: null, endColumn: null };
}

function quotes(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '"') n++;
  return n;
}
