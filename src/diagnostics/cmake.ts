/**
 * CMake's messages: a header line, then a block indented by two spaces.
 *
 *   CMake Error at cmake/helpers.cmake:3 (add_helper_library):
 *     Unknown CMake command "add_helper_library".
 *   Call Stack (most recent call first):
 *     CMakeLists.txt:5 (add_helpers)
 *
 * The block holds blank lines between its paragraphs; it ends at the first
 * line that is neither indented nor blank, except the `Call Stack` heading and
 * the `This warning is for project developers.` trailer, which are CMake's own.
 * Headers: `CMake Error at file:line (command):`, `CMake Error in file:`
 * (generate time, no line), `CMake Error:` / `CMake Error: message` (no file);
 * the same for `Warning`, `Warning (dev)`, `Deprecation Warning` and
 * `Deprecation Error`.
 *
 * Codes: `dev` for the (dev) ones, `deprecated` for the Deprecation ones, else none.
 */
import { finish, keepLine, MAX_LINES_PER_DIAGNOSTIC, type ParseContext, type ToolParser } from "./parser.ts";
import type { Frame, Location, Severity } from "./types.ts";

const KIND = String.raw`(?<kind>Error|Warning|Internal Error|Deprecation Warning|Deprecation Error)(?<dev> \(dev\))?`;
const HEADER_AT = new RegExp(String.raw`^CMake ${KIND} at (?<path>.+?):(?<line>\d+)(?: \((?<command>[^)]*)\))?:\s*$`);
const HEADER_IN = new RegExp(String.raw`^CMake ${KIND} in (?<path>.+?):\s*$`);
const HEADER_BARE = new RegExp(String.raw`^CMake ${KIND}:(?: (?<message>.*?))?\s*$`);
const CALL_STACK = /^Call Stack \(most recent call first\):\s*$/;
const DEV_TRAILER = /^This (?:warning|error) is for project developers\./;
//   CMakeLists.txt:10 (include)
const STACK_FRAME = /^ {2}(?<path>\S.*?):(?<line>\d+) \((?<command>[^)]*)\)\s*$/;

interface Assembling {
  severity: Severity;
  location: Location | null;
  /** The header's own message (`CMake Error: message`), if it has one. */
  inline: string | null;
  code: string | null;
  lines: string[];
  dropped: number;
  frames: Frame[];
  /** The block's text lines before the call stack, for the message. */
  text: string[];
  inCallStack: boolean;
  /** make's directory when it began: the line that ends it may be a `Leaving directory`. */
  directory: string | null;
}

export class CmakeParser implements ToolParser {
  private current: Assembling | null = null;

  accept(line: string, context: ParseContext): boolean {
    const header = HEADER_AT.exec(line) ?? HEADER_IN.exec(line) ?? HEADER_BARE.exec(line);
    if (header?.groups) {
      this.emit(context);
      const g = header.groups;
      const kind = g.kind ?? "Error";
      const location: Location | null =
        g.path === undefined
          ? null
          : {
              path: g.path,
              line: g.line === undefined ? null : Number(g.line),
              column: null,
              endLine: null,
              endColumn: null,
            };
      this.current = {
        severity: kind.endsWith("Error") ? "error" : "warning",
        location,
        inline: g.message ? g.message : null,
        code: g.dev ? "dev" : kind.startsWith("Deprecation") ? "deprecated" : null,
        lines: [line],
        dropped: 0,
        frames: [],
        text: [],
        inCallStack: false,
        directory: context.directory,
      };
      return true;
    }

    const d = this.current;
    if (!d) return false;
    if (line.trim() === "") {
      if (!d.inCallStack && d.text.length < MAX_LINES_PER_DIAGNOSTIC) d.text.push("");
      d.inCallStack = false;
      return this.append(d, line);
    }
    if (CALL_STACK.test(line)) {
      d.inCallStack = true;
      return this.append(d, line);
    }
    if (DEV_TRAILER.test(line)) return this.append(d, line);
    if (!line.startsWith("  ")) return false;
    if (d.inCallStack) {
      const frame = STACK_FRAME.exec(line)?.groups;
      if (frame && d.frames.length < MAX_LINES_PER_DIAGNOSTIC) {
        d.frames.push({
          kind: frame.command?.toLowerCase() === "include" ? "included-from" : "instantiated-from",
          path: frame.path ?? "",
          line: Number(frame.line),
          column: null,
          endLine: null,
          endColumn: null,
        });
      }
    } else if (d.text.length < MAX_LINES_PER_DIAGNOSTIC) {
      d.text.push(line);
    }
    return this.append(d, line);
  }

  flush(context: ParseContext): void {
    this.emit(context);
  }

  private append(d: Assembling, line: string): boolean {
    keepLine(d, line);
    return true;
  }

  private emit(context: ParseContext) {
    const d = this.current;
    this.current = null;
    if (!d) return;
    // The blank lines that close the block are the log's, not the message's.
    while (d.lines.length > 1 && d.lines.at(-1)?.trim() === "") d.lines.pop();
    const header = d.lines[0] ?? "";
    const message = d.inline ?? (messageOf(d.text) || header.replace(/:\s*$/, ""));
    context.emit(finish({ ...d, tool: "cmake", message }));
  }
}

/**
 * CMake wraps a message's paragraphs at 80 columns: the first paragraph,
 * unwrapped, is the message. One that ends in a colon introduces what follows
 * (`Cannot find source file:` / `not_there.cpp`), so the next paragraph joins it.
 */
function messageOf(text: readonly string[]): string {
  const paragraphs: string[][] = [];
  let paragraph: string[] = [];
  for (const line of text) {
    if (line.trim() === "") {
      if (paragraph.length > 0) paragraphs.push(paragraph);
      paragraph = [];
    } else {
      paragraph.push(line.trim());
    }
  }
  if (paragraph.length > 0) paragraphs.push(paragraph);
  const first = paragraphs[0]?.join(" ") ?? "";
  const second = paragraphs[1]?.join(" ");
  return first.endsWith(":") && second !== undefined ? `${first} ${second}` : first;
}
