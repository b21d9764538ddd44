/**
 * The linker, CMake, make, ninja and ctest grammars, on logs the real tools
 * printed (test/diagnostics/fixtures/regenerate-tools.sh makes them from
 * fixtures/sources/) and on a few hand-written lines for forms this machine's
 * tools do not print.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CtestParser, MakeParser, NinjaParser } from "../../src/diagnostics/build-tools.ts";
import { CmakeParser } from "../../src/diagnostics/cmake.ts";
import { parseLog } from "../../src/diagnostics/engine.ts";
import { GccClangParser } from "../../src/diagnostics/gcc-clang.ts";
import { LinkerParser } from "../../src/diagnostics/linker.ts";
import { MAX_LINES_PER_DIAGNOSTIC, type ToolParser } from "../../src/diagnostics/parser.ts";
import { defaultParsers } from "../../src/diagnostics/parsers.ts";
import type { Diagnostic, Location } from "../../src/diagnostics/types.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures");

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), "utf8");
}

/** The output of the command in a fixture whose `$ ` line contains `command`. */
function output(name: string, command: string, nth = 0): string {
  const sections = fixture(name).split(/^(?=\$ )/m);
  const matching = sections.filter((s) => (s.split("\n")[0] ?? "").includes(command));
  const section = matching[nth];
  if (section === undefined) throw new Error(`no command ${command} in ${name}`);
  return section;
}

function at(file: string, line: number | null): Location {
  return { path: file, line, column: null, endLine: null, endColumn: null };
}

/** What a test states about a diagnostic: its fields, and how many lines it kept. */
function brief(d: Diagnostic) {
  return {
    tool: d.tool,
    severity: d.severity,
    location: d.location,
    message: d.message,
    code: d.code,
    lines: d.lines.length,
  };
}

function parse(text: string, ...parsers: ToolParser[]) {
  return parseLog(text, parsers);
}

const collect2 = {
  tool: "ld",
  severity: "error",
  location: null,
  message: "ld returned 1 exit status",
  code: null,
  lines: 1,
} as const;

const clangLinkFailed = {
  tool: "ld",
  severity: "error",
  location: null,
  message: "linker command failed with exit code 1 (use -v to see invocation)",
  code: null,
  lines: 1,
} as const;

describe("GNU ld (bfd)", () => {
  const log = "linker/gcc-bfd.txt";

  it("places an undefined reference without debug info in the source file, with no line", () => {
    const ds = parse(output(log, "g++-12 obj/main.o obj/a.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "error",
        location: at("main.cpp", null),
        message: "undefined reference to `missing()'",
        code: "undefined-reference",
        lines: 2,
      },
      {
        tool: "ld",
        severity: "error",
        location: at("main.cpp", null),
        message: "undefined reference to `other()'",
        code: "undefined-reference",
        lines: 1,
      },
      collect2,
    ]);
    // The `in function` line introduces the reference printed after it.
    expect(ds[0]?.lines).toEqual([
      "/usr/bin/ld: obj/main.o: in function `main':",
      "main.cpp:(.text+0xa): undefined reference to `missing()'",
    ]);
  });

  it("places an undefined reference with debug info at its line", () => {
    const ds = parse(output(log, "g++-12 obj/main-g.o obj/a.o -o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to `missing()'",
        code: "undefined-reference",
        lines: 2,
      },
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to `other()'",
        code: "undefined-reference",
        lines: 1,
      },
      collect2,
    ]);
    expect(ds.every((d) => d.frames.length === 0 && d.directory === null)).toBe(true);
  });

  it("gives a multiple definition the first definition as a frame", () => {
    const ds = parse(output(log, "obj/main-g.o obj/a.o obj/b.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/b.cpp", 1),
        message: "multiple definition of `dup()'; obj/a.o:/src/linker/a.cpp:1: first defined here",
        code: "multiple-definition",
        lines: 2,
      },
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to `missing()'",
        code: "undefined-reference",
        lines: 2,
      },
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to `other()'",
        code: "undefined-reference",
        lines: 1,
      },
      collect2,
    ]);
    expect(ds[0]?.frames).toEqual([{ ...at("/src/linker/a.cpp", 1), kind: "note" }]);
    expect(ds[1]?.lines[0]).toBe("/usr/bin/ld: obj/main-g.o: in function `main':");
  });

  it("gives a multiple definition without debug info the first definition's file", () => {
    const [d, ...rest] = parse(output(log, "libdup.so"), new LinkerParser());
    expect(d && brief(d)).toEqual({
      tool: "ld",
      severity: "error",
      location: at("b.cpp", null),
      message: "multiple definition of `dup()'; obj/a-nd.o:a.cpp:(.text+0x0): first defined here",
      code: "multiple-definition",
      lines: 2,
    });
    expect(d?.frames).toEqual([{ ...at("a.cpp", null), kind: "note" }]);
    expect(rest.map(brief)).toEqual([collect2]);
  });

  it("reports a missing library", () => {
    const ds = parse(output(log, "-lfoo"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "error",
        location: null,
        message: "cannot find -lfoo: No such file or directory",
        code: "cannot-find-library",
        lines: 1,
      },
      collect2,
    ]);
  });

  it("reports link-time warnings of deprecated and dangerous functions", () => {
    const ds = parse(output(log, "obj/uses-legacy.o obj/legacy.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "warning",
        location: at("uses-legacy.cpp", null),
        message: "old_api() is deprecated; use new_api()",
        code: null,
        lines: 2,
      },
      {
        tool: "ld",
        severity: "warning",
        location: at("uses-legacy.cpp", null),
        message: "the use of `tmpnam' is dangerous, better use `mkstemp'",
        code: null,
        lines: 1,
      },
    ]);
  });

  it("names the object file in relocation messages, which have no source place", () => {
    const ds = parse(output(log, "libcounter.so"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "warning",
        location: null,
        message: "obj/counter.o: relocation against `counter' in read-only section `.text'",
        code: null,
        lines: 1,
      },
      {
        tool: "ld",
        severity: "error",
        location: null,
        message:
          "obj/counter.o: relocation R_X86_64_PC32 against symbol `counter' can not be used when making a shared object; recompile with -fPIC",
        code: null,
        lines: 1,
      },
      { tool: "ld", severity: "error", location: null, message: "final link failed: bad value", code: null, lines: 1 },
      collect2,
    ]);
  });

  it("keeps the NOTE that follows a warning in it", () => {
    const ds = parse(output(log, "libstart.so"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "warning",
        location: null,
        message: "obj/start.o: missing .note.GNU-stack section implies executable stack",
        code: null,
        lines: 2,
      },
    ]);
  });

  it("knows ld under its other names", () => {
    const bfd = parse(output(log, "-fuse-ld=bfd"), new LinkerParser());
    expect(bfd.map((d) => [d.tool, d.location?.line ?? null, d.code])).toEqual([
      ["ld", 6, "undefined-reference"],
      ["ld", 6, "undefined-reference"],
      ["ld", null, null],
    ]);
    expect(bfd[0]?.lines[0]).toBe("/usr/bin/ld.bfd: obj/main-g.o: in function `main':");

    const triplet = parse(fixture("linker/clang-bfd.txt"), new LinkerParser());
    expect(triplet.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to `missing()'",
        code: "undefined-reference",
        lines: 2,
      },
      {
        tool: "ld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to `other()'",
        code: "undefined-reference",
        lines: 1,
      },
      clangLinkFailed,
    ]);

    const bare = parse(output(log, "$ ld obj/main.o"), new LinkerParser());
    expect(bare.map(brief)).toEqual([
      {
        tool: "ld",
        severity: "warning",
        location: null,
        message: "cannot find entry symbol _start; defaulting to 0000000000401000",
        code: null,
        lines: 1,
      },
      ...["missing()", "other()", "dup()"].map((symbol, i) => ({
        tool: "ld",
        severity: "error",
        location: at("main.cpp", null),
        message: `undefined reference to \`${symbol}'`,
        code: "undefined-reference",
        lines: i === 0 ? 2 : 1,
      })),
    ]);
  });

  it("finds every diagnostic in the whole log, and nothing in the command lines", () => {
    const ds = parse(fixture(log), new LinkerParser());
    expect(ds).toHaveLength(28);
    expect(ds.filter((d) => d.lines.some((l) => l.startsWith("$ ")))).toEqual([]);
  });
});

describe("gold", () => {
  const log = "linker/gcc-gold.txt";

  it("reads its unprefixed undefined references, without and with debug info", () => {
    const ds = parse(output(log, "obj/main.o obj/a.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "gold",
        severity: "error",
        location: at("main.cpp", null),
        message: "undefined reference to 'missing()'",
        code: "undefined-reference",
        lines: 1,
      },
      {
        tool: "gold",
        severity: "error",
        location: at("main.cpp", null),
        message: "undefined reference to 'other()'",
        code: "undefined-reference",
        lines: 1,
      },
      collect2,
    ]);
  });

  it("keeps `previous definition here` with the multiple definition", () => {
    const ds = parse(output(log, "obj/main-g.o obj/a.o obj/b.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "gold",
        severity: "error",
        location: null,
        message: "obj/b.o: multiple definition of 'dup()'",
        code: "multiple-definition",
        lines: 2,
      },
      {
        tool: "gold",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to 'missing()'",
        code: "undefined-reference",
        lines: 1,
      },
      {
        tool: "gold",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined reference to 'other()'",
        code: "undefined-reference",
        lines: 1,
      },
      collect2,
    ]);
    expect(ds[0]?.lines[1]).toBe("/usr/bin/ld.gold: obj/a.o: previous definition here");
  });

  it("reports a missing library, warnings and relocation errors", () => {
    expect(parse(output(log, "-lfoo"), new LinkerParser()).map(brief)).toEqual([
      {
        tool: "gold",
        severity: "error",
        location: null,
        message: "cannot find -lfoo",
        code: "cannot-find-library",
        lines: 1,
      },
      collect2,
    ]);
    expect(parse(output(log, "obj/uses-legacy.o"), new LinkerParser()).map(brief)).toEqual([
      {
        tool: "gold",
        severity: "warning",
        location: at("uses-legacy.cpp", null),
        message: "the use of `tmpnam' is dangerous, better use `mkstemp'",
        code: null,
        lines: 1,
      },
      {
        tool: "gold",
        severity: "warning",
        location: at("uses-legacy.cpp", null),
        message: "old_api() is deprecated; use new_api()",
        code: null,
        lines: 1,
      },
    ]);
    expect(parse(output(log, "libcounter.so"), new LinkerParser()).map(brief)).toEqual([
      {
        tool: "gold",
        severity: "error",
        location: null,
        message:
          "obj/counter.o: requires dynamic R_X86_64_PC32 reloc against 'counter' which may overflow at runtime; recompile with -fPIC",
        code: null,
        lines: 1,
      },
      collect2,
    ]);
  });
});

describe("lld", () => {
  const log = "linker/clang-lld.txt";

  it("takes the >>> lines, and the first reference as the location", () => {
    const ds = parse(output(log, "obj-clang/main.o obj-clang/a.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "lld",
        severity: "error",
        location: at("main.cpp", null),
        message: "undefined symbol: missing()",
        code: "undefined-reference",
        lines: 3,
      },
      {
        tool: "lld",
        severity: "error",
        location: at("main.cpp", null),
        message: "undefined symbol: other()",
        code: "undefined-reference",
        lines: 3,
      },
      clangLinkFailed,
    ]);
    // The blank line between two of lld's diagnostics belongs to neither.
    expect(ds[0]?.lines).toEqual([
      "ld.lld: error: undefined symbol: missing()",
      ">>> referenced by main.cpp",
      ">>>               obj-clang/main.o:(main)",
    ]);
  });

  it("prefers the absolute path of a reference with debug info, under a versioned name", () => {
    const ds = parse(output(log, "--ld-path=/usr/bin/ld.lld-16"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "lld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined symbol: missing()",
        code: "undefined-reference",
        lines: 3,
      },
      {
        tool: "lld",
        severity: "error",
        location: at("/src/linker/main.cpp", 6),
        message: "undefined symbol: other()",
        code: "undefined-reference",
        lines: 3,
      },
      clangLinkFailed,
    ]);
  });

  it("places a duplicate symbol at its first definition, the others as frames", () => {
    const ds = parse(output(log, "obj-clang/b.o"), new LinkerParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "lld",
        severity: "error",
        location: at("/src/linker/a.cpp", 1),
        message: "duplicate symbol: dup()",
        code: "multiple-definition",
        lines: 5,
      },
      clangLinkFailed,
    ]);
    expect(ds[0]?.frames).toEqual([{ ...at("/src/linker/b.cpp", 1), kind: "note" }]);
  });

  it("reports a missing library and warnings", () => {
    expect(parse(output(log, "-lfoo"), new LinkerParser()).map(brief)).toEqual([
      {
        tool: "lld",
        severity: "error",
        location: null,
        message: "unable to find library -lfoo",
        code: "cannot-find-library",
        lines: 1,
      },
      clangLinkFailed,
    ]);
    expect(parse(output(log, "-z,foo"), new LinkerParser()).map(brief)).toEqual([
      { tool: "lld", severity: "warning", location: null, message: "unknown -z value: foo", code: null, lines: 1 },
    ]);
  });
});

describe("the linker grammar leaves the compilers' lines alone", () => {
  it("claims no compiler, make or CMake line", () => {
    const text = [
      "/src/app/main.cpp:4:27: error: 'undeclared' was not declared in this scope",
      "/src/app/old.c:3: warning: implicit declaration of function 'f'",
      "Makefile:7: warning: overriding recipe for target 'a'",
      "g++: error: unrecognized command-line option '-Wfoo'",
      "clang: error: no such file or directory: 'x.cpp'",
      "CMake Error at CMakeLists.txt:4 (add_executable):",
      "  Cannot find source file:",
      ">>> referenced by main.cpp",
    ].join("\n");
    expect(parse(text, new LinkerParser())).toEqual([]);
  });

  it("claims none of MSVC's lines, nor do the build tools' grammars", () => {
    const text = [
      'main.obj : error LNK2019: unresolved external symbol "int __cdecl missing(void)" (?missing@@YAHXZ) referenced in function main',
      "LINK : fatal error LNK1104: cannot open file 'foo.lib'",
      "C:\\src\\main.cpp(5): error C2065: 'x': undeclared identifier",
      "  1>C:\\src\\main.cpp(5,10): warning C4996: 'strcpy': This function or variable may be unsafe.",
      "NMAKE : fatal error U1077: 'cl.exe' : return code '0x2'",
      "Build FAILED.",
    ].join("\n");
    const parsers = [new LinkerParser(), new NinjaParser(), new MakeParser(), new CmakeParser(), new CtestParser()];
    expect(parse(text, ...parsers)).toEqual([]);
  });
});

describe("CMake", () => {
  it("reads a configure error's block, joining a paragraph that ends in a colon to the next", () => {
    const ds = parse(fixture("cmake/missing-source.txt"), new CmakeParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "cmake",
        severity: "error",
        location: at("CMakeLists.txt", 4),
        message: "Cannot find source file: not_there.cpp",
        code: null,
        lines: 4,
      },
      {
        tool: "cmake",
        severity: "error",
        location: at("CMakeLists.txt", 4),
        message: "No SOURCES given to target: app",
        code: null,
        lines: 2,
      },
    ]);
    expect(ds[0]?.lines).toEqual([
      "CMake Error at CMakeLists.txt:4 (add_executable):",
      "  Cannot find source file:",
      "",
      "    not_there.cpp",
    ]);
  });

  it("turns the call stack into frames", () => {
    const ds = parse(fixture("cmake/unknown-command.txt"), new CmakeParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "cmake",
        severity: "error",
        location: at("cmake/helpers.cmake", 3),
        message: 'Unknown CMake command "add_helper_library".',
        code: null,
        lines: 4,
      },
    ]);
    expect(ds[0]?.frames).toEqual([{ ...at("CMakeLists.txt", 5), kind: "instantiated-from" }]);
  });

  it("reads dev, plain and deprecation warnings, in subdirectories too", () => {
    const ds = parse(fixture("cmake/warnings.txt"), new CmakeParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "cmake",
        severity: "warning",
        location: at("CMakeLists.txt", 1),
        message: "Compatibility with CMake < 2.8.12 will be removed from a future version of CMake.",
        code: "deprecated",
        lines: 6,
      },
      {
        tool: "cmake",
        severity: "warning",
        location: at("CMakeLists.txt", 4),
        message: "the greeting library is experimental",
        code: "dev",
        lines: 3,
      },
      {
        tool: "cmake",
        severity: "warning",
        location: at("sub/CMakeLists.txt", 1),
        message: "sub: no tests configured",
        code: null,
        lines: 2,
      },
      {
        tool: "cmake",
        severity: "warning",
        location: at("sub/options.cmake", 3),
        message: "GREETING_OLD_API is deprecated and will be removed in greeting 2.0",
        code: "deprecated",
        lines: 4,
      },
    ]);
    expect(ds[1]?.lines.at(-1)).toBe("This warning is for project developers.  Use -Wno-dev to suppress it.");
    expect(ds[3]?.frames).toEqual([{ ...at("sub/CMakeLists.txt", 2), kind: "included-from" }]);
  });

  it("reads generate-time errors and messages that name no file", () => {
    const ds = parse(fixture("cmake/generate-error.txt"), new CmakeParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "cmake",
        severity: "error",
        location: at("CMakeLists.txt", null),
        message:
          'Target "greeting" INTERFACE_INCLUDE_DIRECTORIES property contains path: "/src/cmake/generate-error/include"',
        code: null,
        lines: 6,
      },
      {
        tool: "cmake",
        severity: "warning",
        location: null,
        message: "Manually-specified variables were not used by the project: OTHER_OPTION UNUSED_OPTION",
        code: null,
        lines: 5,
      },
      {
        tool: "cmake",
        severity: "error",
        location: null,
        message: 'The source directory "/src/cmake/not-there" does not exist.',
        code: null,
        lines: 1,
      },
    ]);
  });

  it("reads the forms this machine's CMake did not print", () => {
    const text = [
      "CMake Warning (dev) in CMakeLists.txt:",
      "  No cmake_minimum_required command is present.",
      "This warning is for project developers.  Use -Wno-dev to suppress it.",
      "",
      "CMake Error at CMakeLists.txt:3:",
      '  Parse error.  Expected a command name, got unquoted argument with text "x".',
      "",
      "-- Configuring incomplete, errors occurred!",
    ].join("\n");
    expect(parse(text, new CmakeParser()).map(brief)).toEqual([
      {
        tool: "cmake",
        severity: "warning",
        location: at("CMakeLists.txt", null),
        message: "No cmake_minimum_required command is present.",
        code: "dev",
        lines: 3,
      },
      {
        tool: "cmake",
        severity: "error",
        location: at("CMakeLists.txt", 3),
        message: 'Parse error.  Expected a command name, got unquoted argument with text "x".',
        code: null,
        lines: 2,
      },
    ]);
  });

  it("produces nothing from CMake's progress lines", () => {
    const text = [
      "-- The CXX compiler identification is GNU 12.2.0",
      "-- Configuring done",
      "-- Generating done",
      "-- Build files have been written to: /tmp/warnings",
      "CMake Generate step failed.  Build files cannot be regenerated correctly.",
    ].join("\n");
    expect(parse(text, new CmakeParser())).toEqual([]);
  });
});

describe("make", () => {
  it("follows Entering and Leaving directory through a recursive make", () => {
    const ds = parse(fixture("make/recursive.txt"), new MakeParser());
    expect(ds.map((d) => [brief(d), d.directory])).toEqual([
      [
        {
          tool: "make",
          severity: "error",
          location: null,
          message: "[Makefile:4: greeting.o] Error 1",
          code: null,
          lines: 1,
        },
        "/src/make/lib",
      ],
      [
        { tool: "make", severity: "error", location: null, message: "[Makefile:6: lib] Error 2", code: null, lines: 1 },
        "/src/make",
      ],
      [
        {
          tool: "make",
          severity: "error",
          location: null,
          message: "No rule to make target 'config.h', needed by 'main.o'.",
          code: null,
          lines: 1,
        },
        "/src/make/app",
      ],
      [
        { tool: "make", severity: "error", location: null, message: "[Makefile:6: app] Error 2", code: null, lines: 1 },
        "/src/make",
      ],
      [
        {
          tool: "make",
          severity: "error",
          location: null,
          message: "No rule to make target 'config.h', needed by 'main.o'.  Stop.",
          code: null,
          lines: 1,
        },
        "/src/make/app",
      ],
      [
        {
          tool: "make",
          severity: "warning",
          location: at("Makefile", 7),
          message: "overriding recipe for target 'a'",
          code: null,
          lines: 2,
        },
        "/src/make/broken",
      ],
      [
        {
          tool: "make",
          severity: "error",
          location: at("Makefile", 10),
          message: "missing separator (did you mean TAB instead of 8 spaces?).  Stop.",
          code: null,
          lines: 1,
        },
        "/src/make/broken",
      ],
    ]);
    expect(ds[5]?.frames).toEqual([{ ...at("Makefile", 4), kind: "note" }]);
  });

  it("gives the compiler's diagnostics inside a sub-make that make's directory", () => {
    const ds = parse(fixture("make/recursive.txt"), new GccClangParser(), new MakeParser());
    const compiler = ds.find((d) => d.tool === "gcc");
    expect(compiler?.location?.path).toBe("greeting.cpp");
    expect(compiler?.directory).toBe("/src/make/lib");
  });

  it("reads CMake's Unix Makefiles build, and nothing of its progress lines", () => {
    const ds = parse(fixture("make/cmake-makefiles.txt"), new MakeParser());
    expect(ds.map((d) => [d.message, d.directory])).toEqual([
      ["[CMakeFiles/app.dir/build.make:76: CMakeFiles/app.dir/main.cpp.o] Error 1", "/src/app/build-make"],
      ["[CMakeFiles/Makefile2:85: CMakeFiles/app.dir/all] Error 2", "/src/app/build-make"],
      ["[Makefile:91: all] Error 2", "/src/app/build-make"],
    ]);
    expect(ds.every((d) => d.tool === "make" && d.severity === "error" && d.location === null)).toBe(true);
    expect(parse("[ 33%] Building CXX object CMakeFiles/app.dir/main.cpp.o", new MakeParser())).toEqual([]);
  });

  it("reads the backquoted directories of make before 4.0, and restores the outer one", () => {
    const text = [
      "make: Entering directory `/x'",
      "make[1]: Entering directory `/x/sub'",
      "make[1]: *** [all] Error 1",
      "make[1]: Leaving directory `/x/sub'",
      "make: *** [all] Error 2",
      "make: Leaving directory `/x'",
      "make: *** No targets specified and no makefile found.  Stop.",
    ].join("\n");
    expect(parse(text, new MakeParser()).map((d) => [d.message, d.directory])).toEqual([
      ["[all] Error 1", "/x/sub"],
      ["[all] Error 2", "/x"],
      ["No targets specified and no makefile found.  Stop.", null],
    ]);
  });

  it("keeps the directory a diagnostic began in when Leaving directory ends it", () => {
    const text = [
      "make[1]: Entering directory '/src/build/sub'",
      "/usr/bin/ld: cannot find -lfoo: No such file or directory",
      "make[1]: Leaving directory '/src/build/sub'",
    ].join("\n");
    const ds = parse(text, new LinkerParser(), new MakeParser());
    expect(ds.map((d) => [d.tool, d.directory])).toEqual([["ld", "/src/build/sub"]]);
  });

  it("produces nothing from make's chatter", () => {
    const text = [
      "make[1]: Nothing to be done for 'all'.",
      "make: 'app' is up to date.",
      "make[1]: Target 'all' not remade because of errors.",
      "make -C lib",
    ].join("\n");
    expect(parse(text, new MakeParser())).toEqual([]);
  });
});

describe("ninja", () => {
  const log = "ninja/build.txt";
  const lintCommand =
    'cd /src/app/build-ninja && /usr/bin/cmake -E echo "main.cpp:4:3: error: gets() is banned" && /usr/bin/cmake -E false';

  it("reads FAILED and the command after it as one diagnostic", () => {
    const ds = parse(fixture(log), new NinjaParser());
    const failed = (target: string) => ({
      tool: "ninja",
      severity: "error",
      location: null,
      message: `FAILED: ${target}`,
      code: null,
      lines: 2,
    });
    const said = (message: string) => ({
      tool: "ninja",
      severity: "error",
      location: null,
      message,
      code: null,
      lines: 1,
    });
    expect(ds.map(brief)).toEqual([
      failed("CMakeFiles/app.dir/main.cpp.o"),
      failed("CMakeFiles/lint /src/app/build-ninja/CMakeFiles/lint"),
      said("build stopped: cannot make progress due to previous errors."),
      failed("CMakeFiles/lint /src/app/build-ninja/CMakeFiles/lint"),
      said("build stopped: subcommand failed."),
      said("unknown target 'nosuchtarget'"),
    ]);
    expect(ds[1]?.lines).toEqual(["FAILED: CMakeFiles/lint /src/app/build-ninja/CMakeFiles/lint ", lintCommand]);
    // ninja -C: the compilers ran in the build directory.
    expect(ds[0]?.directory).toBe("app/build-ninja");
  });

  it("never reads the failed command line or a status line as a diagnostic", () => {
    const ds = parseLog(fixture(log), defaultParsers());
    const holding = ds.filter((d) => d.lines.includes(lintCommand));
    expect(holding.map((d) => [d.tool, d.lines.length])).toEqual([
      ["ninja", 2],
      ["ninja", 2],
    ]);
    expect(ds.filter((d) => d.lines.some((l) => /^\[\d+\/\d+\] /.test(l)))).toEqual([]);
    // What the command printed is the compiler grammar's: the same text, now a diagnostic.
    expect(ds.filter((d) => d.lines[0] === "main.cpp:4:3: error: gets() is banned")).toHaveLength(2);
  });

  it("takes exactly one line after FAILED, whatever it looks like", () => {
    const text = [
      "FAILED: libgreeting.so ",
      "/usr/bin/ld: cannot find -lfoo: No such file or directory",
      "/usr/bin/ld: cannot find -lbar: No such file or directory",
      "[2/3] Linking CXX executable app",
    ].join("\n");
    const ds = parse(text, new LinkerParser(), new NinjaParser(), new MakeParser(), new CmakeParser());
    expect(ds.map((d) => [d.tool, d.message, d.lines.length])).toEqual([
      ["ninja", "FAILED: libgreeting.so", 2],
      ["ld", "cannot find -lbar: No such file or directory", 1],
    ]);
  });
});

describe("ctest", () => {
  it("makes each failed test of the closing report a diagnostic", () => {
    const ds = parse(fixture("ctest/ctest.txt"), new CtestParser());
    expect(ds.map(brief)).toEqual([
      {
        tool: "ctest",
        severity: "error",
        location: null,
        message: "test greeting.counts_words failed (Failed)",
        code: null,
        lines: 1,
      },
      {
        tool: "ctest",
        severity: "error",
        location: null,
        message: "test greeting.times_out failed (Timeout)",
        code: null,
        lines: 1,
      },
    ]);
  });

  it("produces nothing from the progress lines, the summary or the tests that did not run", () => {
    const text = [
      "1/4 Test #1: greeting.says_hello ..............   Passed    0.01 sec",
      "2/4 Test #2: greeting.counts_words ............***Failed    0.00 sec",
      "75% tests passed, 1 tests failed out of 4",
      "The following tests did not run:",
      "\t  3 - greeting.on_windows (Disabled)",
      "Errors while running CTest",
    ].join("\n");
    expect(parse(text, new CtestParser())).toEqual([]);
  });

  it("reads test names with parentheses, and labels after the status", () => {
    const text = ["The following tests FAILED:", "\t 12 - parse (utf-8) (SEGFAULT)  unit fast"].join("\n");
    expect(parse(text, new CtestParser()).map((d) => d.message)).toEqual(["test parse (utf-8) failed (SEGFAULT)"]);
  });
});

describe("bounds", () => {
  it("keeps at most MAX_LINES_PER_DIAGNOSTIC lines of one diagnostic, and says how many it left out", () => {
    const references = Array.from({ length: 1000 }, (_, i) => `>>> referenced by f${i}.cpp:1 (/src/f${i}.cpp:1)`);
    const [lld] = parse(["ld.lld: error: undefined symbol: x()", ...references].join("\n"), new LinkerParser());
    expect(lld?.lines).toHaveLength(MAX_LINES_PER_DIAGNOSTIC + 1);
    expect(lld?.lines.at(-1)).toBe("[... 601 more lines of this diagnostic not kept]");
    expect(lld?.location).toEqual(at("/src/f0.cpp", 1));

    const block = Array.from({ length: 1000 }, (_, i) => `  line ${i}`);
    const [cmake] = parse(["CMake Error at CMakeLists.txt:1 (message):", ...block].join("\n"), new CmakeParser());
    expect(cmake?.lines).toHaveLength(MAX_LINES_PER_DIAGNOSTIC + 1);
    expect(cmake?.message).toBe(
      block
        .slice(0, MAX_LINES_PER_DIAGNOSTIC)
        .map((l) => l.trim())
        .join(" "),
    );
  });
});

describe("the registry", () => {
  it("offers lines to the linker and ninja before the compilers", () => {
    const names = defaultParsers().map((p) => p.constructor.name);
    for (const name of ["LinkerParser", "NinjaParser", "MakeParser", "CmakeParser", "CtestParser"]) {
      expect(names).toContain(name);
    }
    expect(names.indexOf("LinkerParser")).toBeLessThan(names.indexOf("GccClangParser"));
    expect(names.indexOf("NinjaParser")).toBeLessThan(names.indexOf("GccClangParser"));
  });

  it("reads every fixture with all the parsers, each tool's lines going to its own grammar", () => {
    const expected: [string, string[], number][] = [
      ["linker/gcc-bfd.txt", ["ld"], 28],
      ["linker/gcc-gold.txt", ["gold", "ld"], 13],
      ["linker/clang-lld.txt", ["lld", "ld"], 11],
      ["linker/clang-bfd.txt", ["ld"], 3],
      ["cmake/missing-source.txt", ["cmake"], 2],
      ["cmake/unknown-command.txt", ["cmake"], 1],
      ["cmake/warnings.txt", ["cmake"], 4],
      ["cmake/generate-error.txt", ["cmake"], 3],
      ["ctest/ctest.txt", ["ctest"], 2],
    ];
    for (const [name, tools, count] of expected) {
      const ds = parseLog(fixture(name));
      expect(
        ds.map((d) => d.tool).filter((t) => !tools.includes(t)),
        name,
      ).toEqual([]);
      expect(ds, name).toHaveLength(count);
    }
  });
});
