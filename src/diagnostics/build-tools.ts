/**
 * The build drivers around the compilers: GNU make, ninja and ctest. What they
 * say of their own (a recipe failed, a test failed) becomes a diagnostic with
 * no location; make's `Entering directory` lines move the engine's directory.
 */
import { type Draft, finish, keepLine, type ParseContext, type ToolParser } from "./parser.ts";
import type { Location, Severity, Tool } from "./types.ts";

/** `directory` is make's when the diagnostic began (the line that ends it may be a `Leaving directory`). */
type Assembling = Omit<Draft, "tool" | "code">;

/** One diagnostic at a time, emitted when the next one starts or on flush. */
class Builder {
  private readonly tool: Tool;
  current: Assembling | null = null;

  constructor(tool: Tool) {
    this.tool = tool;
  }

  start(context: ParseContext, line: string, severity: Severity, message: string, location: Location | null = null) {
    this.emit(context);
    this.current = { severity, location, message, lines: [line], dropped: 0, frames: [], directory: context.directory };
  }

  append(line: string): boolean {
    const d = this.current;
    if (!d) return false;
    keepLine(d, line);
    return true;
  }

  emit(context: ParseContext) {
    const d = this.current;
    this.current = null;
    if (!d) return;
    context.emit(finish({ ...d, tool: this.tool, code: null }));
  }
}

function place(path: string, line: number | null): Location {
  return { path, line, column: null, endLine: null, endColumn: null };
}

// make: ...   make[2]: ...   /usr/bin/make: ...   gmake[1]: ...   mingw32-make: ...
const MAKE_LINE = /^(?:\S*[\\/])?(?:g|mingw32-)?make(?:\.exe)?(?:\[\d+\])?: (?<rest>.*)$/;
// Entering directory '/src/build'   (make before 4.0 and ninja quote with `...')
const DIRECTORY = /^(?<action>Entering|Leaving) directory [`'‘"](?<directory>.*)['’"]$/;
// Makefile:10: *** missing separator.  Stop.   CMakeFiles/app.dir/build.make:76: warning: ...
const MAKEFILE_LINE =
  /^(?<path>(?:[A-Za-z]:)?(?:[^\s:]*[\\/])?(?:GNUmakefile|[Mm]akefile[\w.-]*|[\w.-]+\.(?:mk|make))):(?<line>\d+): (?<rest>.*)$/;

/**
 * GNU make: `make[2]: *** [build.make:76: main.cpp.o] Error 1`, `make: *** No
 * rule to make target 'x', needed by 'y'.  Stop.`, `make: warning: ...` (no
 * location), and `Makefile:10: *** missing separator.  Stop.` or `Makefile:7:
 * warning: overriding recipe for target 'a'` (located in the makefile; the
 * `ignoring old recipe` line after it is part of it). `Entering directory` and
 * `Leaving directory` are taken to keep the engine's directory stack.
 */
export class MakeParser implements ToolParser {
  private readonly builder = new Builder("make");

  accept(line: string, context: ParseContext): boolean {
    let match = MAKE_LINE.exec(line);
    if (match?.groups) {
      const rest = match.groups.rest ?? "";
      const directory = DIRECTORY.exec(rest)?.groups;
      if (directory) {
        this.builder.emit(context);
        if (directory.action === "Entering") context.enterDirectory(directory.directory ?? "");
        else context.leaveDirectory(directory.directory ?? "");
        return true;
      }
      if (rest.startsWith("*** ")) {
        this.builder.start(context, line, "error", rest.slice(4));
        return true;
      }
      if (rest.startsWith("warning: ")) {
        this.builder.start(context, line, "warning", rest.slice(9));
        return true;
      }
      return false;
    }

    match = MAKEFILE_LINE.exec(line);
    if (match?.groups) {
      const location = place(match.groups.path ?? "", Number(match.groups.line));
      const rest = match.groups.rest ?? "";
      if (rest.startsWith("*** ")) {
        this.builder.start(context, line, "error", rest.slice(4), location);
        return true;
      }
      if (rest.startsWith("warning: ")) {
        const message = rest.slice(9);
        const current = this.builder.current;
        if (
          current &&
          /^ignoring old recipe for target /.test(message) &&
          /^overriding recipe /.test(current.message)
        ) {
          current.frames.push({ ...location, kind: "note" });
          return this.builder.append(line);
        }
        this.builder.start(context, line, "warning", message, location);
        return true;
      }
      // make's own reports of a recipe's exit come as `make: ***` lines; this is their old echo.
      if (/^recipe for target .* failed$/.test(rest)) return false;
      this.builder.start(context, line, "error", rest, location);
      return true;
    }
    return false;
  }

  flush(context: ParseContext): void {
    this.builder.emit(context);
  }
}

const FAILED = /^FAILED: (?<target>.*?)\s*$/;
const NINJA_LINE = /^ninja: (?<rest>.*)$/;
// [3/10] Building CXX object ...   (ninja's status line: its text is the step's description or command)
const NINJA_PROGRESS = /^\[\d+\/\d+\] /;

/**
 * ninja: `FAILED: <outputs>` and the one line after it, the failed command
 * (taken whatever it looks like: it is a command, not a diagnostic; the
 * command's own output follows and belongs to the other grammars);
 * `ninja: build stopped: ...` and `ninja: error: ...`. Status lines
 * (`[2/4] ...`) are taken too, producing nothing, since a custom command's
 * status line is its command. `ninja: Entering directory `dir'` (from -C) sets
 * the directory until the next one.
 */
export class NinjaParser implements ToolParser {
  private readonly builder = new Builder("ninja");
  private expectingCommand = false;
  private entered: string | null = null;

  accept(line: string, context: ParseContext): boolean {
    if (this.expectingCommand) {
      this.expectingCommand = false;
      this.builder.append(line);
      this.builder.emit(context);
      return true;
    }
    const failed = FAILED.exec(line)?.groups;
    if (failed) {
      this.builder.start(context, line, "error", `FAILED: ${failed.target ?? ""}`);
      this.expectingCommand = true;
      return true;
    }
    if (NINJA_PROGRESS.test(line)) {
      this.builder.emit(context);
      return true;
    }
    const rest = NINJA_LINE.exec(line)?.groups?.rest;
    if (rest === undefined) return false;
    const directory = DIRECTORY.exec(rest)?.groups;
    if (directory?.action === "Entering") {
      this.builder.emit(context);
      if (this.entered !== null) context.leaveDirectory(this.entered);
      this.entered = directory.directory ?? "";
      context.enterDirectory(this.entered);
      return true;
    }
    if (rest.startsWith("build stopped: ")) {
      this.builder.start(context, line, "error", rest);
      return true;
    }
    const said = /^(?<severity>error|fatal|warning): (?<message>.*)$/.exec(rest)?.groups;
    if (said) {
      this.builder.start(context, line, said.severity === "warning" ? "warning" : "error", said.message ?? "");
      return true;
    }
    return false;
  }

  flush(context: ParseContext): void {
    this.expectingCommand = false;
    this.builder.emit(context);
  }
}

const CTEST_SUMMARY = /^\d+% tests passed, \d+ tests? failed out of \d+\s*$/;
const CTEST_FAILED = /^The following tests FAILED:\s*$/;
const CTEST_NOT_RUN = /^The following tests did not run:\s*$/;
const CTEST_ERRORS = /^Errors while running CTest\s*$/;
// \t  2 - greeting.counts_words (Failed)   (labels may follow)
const CTEST_TEST = /^\s+(?<number>\d+) - (?<name>.+) \((?<status>[^()]+)\)(?:\s+\S.*)?$/;

/**
 * ctest's closing report: each test under `The following tests FAILED:` is a
 * diagnostic (`test <name> failed (<status>)`). The summary, the `did not
 * run` list and `Errors while running CTest` are taken and produce nothing;
 * the per-test progress lines (`2/4 Test #2: ...***Failed`) are not ctest's
 * diagnostics and are left alone.
 */
export class CtestParser implements ToolParser {
  private section: "failed" | "not-run" | null = null;

  accept(line: string, context: ParseContext): boolean {
    // ctest's summary lines start with a digit, "Errors" or "The following".
    const first = line.charCodeAt(0);
    if (!this.section && !(first >= 48 && first <= 57) && first !== 69 && first !== 84) return false;
    if (CTEST_SUMMARY.test(line) || CTEST_ERRORS.test(line)) {
      this.section = null;
      return true;
    }
    if (CTEST_FAILED.test(line)) {
      this.section = "failed";
      return true;
    }
    if (CTEST_NOT_RUN.test(line)) {
      this.section = "not-run";
      return true;
    }
    const test = this.section ? CTEST_TEST.exec(line)?.groups : undefined;
    if (!test) {
      this.section = null;
      return false;
    }
    if (this.section === "failed") {
      context.emit({
        tool: "ctest",
        severity: "error",
        location: null,
        message: `test ${test.name ?? ""} failed (${test.status ?? ""})`,
        code: null,
        lines: [line],
        frames: [],
        directory: context.directory,
      });
    }
    return true;
  }

  flush(): void {
    this.section = null;
  }
}
