/**
 * MSVC's cl, clang-cl, link and MSBuild: MSBuild's canonical error format
 * (`origin : [subcategory] category code : text`), every location form, every
 * origin kind, the notes and blocks that continue a diagnostic, MSBuild's
 * project prefixes and suffixes, and the summary that repeats a failed build's
 * errors. The fixtures are written to the grammar cl.exe, clang-cl, link.exe
 * and MSBuild print (none of them runs here); the expected values come from
 * that grammar, not from the parser's output.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseLog } from "../../src/diagnostics/engine.ts";
import { MsvcParser } from "../../src/diagnostics/msvc.ts";
import { MAX_LINES_PER_DIAGNOSTIC } from "../../src/diagnostics/parser.ts";
import type { Diagnostic, Frame } from "../../src/diagnostics/types.ts";

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/msvc/${name}`, import.meta.url), "utf8");
}

function parse(text: string): Diagnostic[] {
  return parseLog(text, [new MsvcParser()]);
}

/** What a test states about a diagnostic: everything but the raw lines, which it counts. */
interface Shape {
  readonly tool: Diagnostic["tool"];
  readonly severity: Diagnostic["severity"];
  readonly path: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly endLine: number | null;
  readonly endColumn: number | null;
  readonly message: string;
  readonly code: string | null;
  readonly lines: number;
}

function shape(d: Diagnostic | undefined): Shape {
  if (!d) throw new Error("no diagnostic there");
  return {
    tool: d.tool,
    severity: d.severity,
    path: d.location?.path ?? null,
    line: d.location?.line ?? null,
    column: d.location?.column ?? null,
    endLine: d.location?.endLine ?? null,
    endColumn: d.location?.endColumn ?? null,
    message: d.message,
    code: d.code,
    lines: d.lines.length,
  };
}

type Where = [
  path: string | null,
  line: number | null,
  column: number | null,
  endLine: number | null,
  endColumn: number | null,
];

const NOWHERE: Where = [null, null, null, null, null];

function expected(
  tool: Diagnostic["tool"],
  severity: Diagnostic["severity"],
  [path, line, column, endLine, endColumn]: Where,
  code: string | null,
  message: string,
  lines = 1,
): Shape {
  return { tool, severity, path, line, column, endLine, endColumn, message, code, lines };
}

function frame(kind: Frame["kind"], path: string, line: number, column: number | null = null): Frame {
  return { kind, path, line, column, endLine: null, endColumn: null };
}

describe("cl: every location form, every kind of path", () => {
  const found = parse(fixture("cl-locations.log"));

  it("finds the eleven diagnostics and nothing in `main.cpp` or `Generating Code...`", () => {
    expect(found).toHaveLength(11);
  });

  it.each<[string, number, Shape]>([
    [
      "file(l)",
      0,
      expected(
        "msvc",
        "error",
        ["C:\\src\\app\\main.cpp", 10, null, null, null],
        "C2065",
        "'count': undeclared identifier",
      ),
    ],
    [
      "file(l,c)",
      1,
      expected(
        "msvc",
        "warning",
        ["C:\\src\\app\\main.cpp", 12, 5, null, null],
        "C4996",
        "'strcpy': This function or variable may be unsafe. Consider using strcpy_s instead. To disable deprecation, use _CRT_SECURE_NO_WARNINGS. See online help for details.",
      ),
    ],
    [
      "file(l-l), a line range",
      2,
      expected("msvc", "warning", ["src\\parser.cpp", 40, null, 42, null], "C4702", "unreachable code"),
    ],
    [
      "file(l,c-c), a column range on one line",
      3,
      expected("msvc", "error", ["src/lexer.cpp", 7, 9, null, 14], "C2143", "syntax error: missing ';' before '}'"),
    ],
    [
      "file(l,c,l,c), a full range",
      4,
      expected("msvc", "warning", ["..\\include\\util.h", 3, 1, 5, 2], "C4005", "'MAX': macro redefinition"),
    ],
    [
      "file(l-l,c), MSBuild's line range with a column",
      5,
      expected(
        "msvc",
        "warning",
        ["src\\table.cpp", 15, 9, 18, null],
        "C4456",
        "declaration of 'i' hides previous local declaration",
      ),
    ],
    [
      "a UNC path",
      6,
      expected(
        "msvc",
        "error",
        ["\\\\buildsrv\\share\\src\\net.cpp", 88, 17, null, null],
        "C2039",
        "'connect': is not a member of 'Socket'",
      ),
    ],
    [
      "a path with spaces",
      7,
      expected(
        "msvc",
        "error",
        ["C:\\My Projects\\app\\main.cpp", 10, 5, null, null],
        "C2065",
        "'x': undeclared identifier",
      ),
    ],
    [
      "a drive-letter path with forward slashes",
      8,
      expected(
        "msvc",
        "warning",
        ["C:/work/app/src/io.cpp", 21, 3, null, null],
        "C4267",
        "'argument': conversion from 'size_t' to 'int', possible loss of data",
      ),
    ],
    [
      "a path with parentheses that are not a location",
      9,
      expected(
        "msvc",
        "warning",
        ["C:\\Program Files (x86)\\Windows Kits\\10\\Include\\10.0.22621.0\\shared\\minwindef.h", 130, 1, null, null],
        "C4005",
        "'FAR': macro redefinition",
      ),
    ],
    [
      "fatal error, an error",
      10,
      expected(
        "msvc",
        "error",
        ["C:\\src\\app\\main.cpp", 1, null, null, null],
        "C1083",
        "Cannot open include file: 'missing.h': No such file or directory",
      ),
    ],
  ])("%s", (_form, index, want) => {
    expect(shape(found[index])).toEqual(want);
  });

  it("keeps each raw line as printed", () => {
    expect(found[7]?.lines).toEqual(["C:\\My Projects\\app\\main.cpp(10,5): error C2065: 'x': undeclared identifier"]);
    expect(found.every((d) => d.frames.length === 0 && d.directory === null)).toBe(true);
  });
});

describe("cl: tool origins have no location", () => {
  it("reads the command-line errors and warnings of cl and the fatal errors of c1xx", () => {
    expect(parse(fixture("cl-tool-origins.log")).map(shape)).toEqual([
      expected("msvc", "error", NOWHERE, "D8021", "invalid numeric argument '/Wextra'"),
      expected("msvc", "warning", NOWHERE, "D9025", "overriding '/W3' with '/W4'"),
      expected("msvc", "warning", NOWHERE, "D9002", "ignoring unknown option '/std:c++99'"),
      expected("msvc", "error", NOWHERE, "C1083", "Cannot open source file: 'nothere.cpp': No such file or directory"),
    ]);
  });

  it("reads an origin-less diagnostic, which the canonical format allows", () => {
    expect(parse("fatal error C1001: Internal compiler error.").map(shape)).toEqual([
      expected("msvc", "error", NOWHERE, "C1001", "Internal compiler error."),
    ]);
  });
});

describe("cl: notes and `with` blocks belong to the diagnostic before them", () => {
  const found = parse(fixture("notes.log"));

  it("attaches the with block and the notes of a template error, innermost first", () => {
    expect(found).toHaveLength(4);
    const [error] = found;
    expect(shape(error)).toEqual(
      expected(
        "msvc",
        "error",
        ["C:\\src\\app\\box.h", 14, 20, null, null],
        "C2440",
        "'initializing': cannot convert from 'const char [6]' to 'T'",
        9,
      ),
    );
    expect(error?.lines.slice(1, 5)).toEqual(["        with", "        [", "            T=int", "        ]"]);
    expect(error?.frames).toEqual([
      frame("note", "C:\\src\\app\\box.h", 14, 20),
      frame("instantiated-from", "C:\\src\\app\\box.h", 12),
      frame("instantiated-from", "C:\\src\\app\\box.cpp", 8, 14),
      frame("instantiated-from", "C:\\src\\app\\box.cpp", 8),
    ]);
  });

  it("makes a note with nothing before it a diagnostic of its own", () => {
    expect(shape(found[1])).toEqual(
      expected("msvc", "note", ["C:\\src\\app\\old.h", 5, null, null, null], null, "see declaration of 'legacy_api'"),
    );
    expect(found[1]?.frames).toEqual([]);
  });

  it("attaches notes with and without a location", () => {
    expect(shape(found[2])).toEqual(
      expected(
        "msvc",
        "error",
        ["C:\\src\\app\\widget.cpp", 30, null, null, null],
        "C2280",
        "'Widget::Widget(const Widget &)': attempting to reference a deleted function",
        4,
      ),
    );
    expect(found[2]?.frames).toEqual([
      frame("note", "C:\\src\\app\\widget.h", 9),
      frame("note", "C:\\src\\app\\widget.h", 9, 5),
    ]);
    expect(found[2]?.lines[3]).toMatch(
      /^note: see reference to function template instantiation 'void copy_all<Widget>/,
    );
    expect(shape(found[3])).toEqual(
      expected(
        "msvc",
        "warning",
        ["C:\\src\\app\\widget.cpp", 41, 1, null, null],
        "C4715",
        "'Widget::kind': not all control paths return a value",
      ),
    );
  });

  it("reads the same log with Windows line ends the same way", () => {
    expect(parse(fixture("notes.log").replaceAll("\n", "\r\n"))).toEqual(found);
  });

  it("leaves a bare `note:` line with nothing before it alone (pip and others print them too)", () => {
    expect(parse("note: This error originates from a subprocess, and is likely not a problem with pip.")).toEqual([]);
  });

  it("reads the nested locations of cl's structured output as notes", () => {
    const [error, ...rest] = parse(fixture("structured.log"));
    expect(rest).toEqual([]);
    expect(shape(error)).toEqual(
      expected(
        "msvc",
        "error",
        ["C:\\src\\app\\main.cpp", 20, 5, null, null],
        "C2665",
        "'describe': no overloaded function could convert all the argument types",
        9,
      ),
    );
    expect(error?.frames).toEqual([
      frame("note", "C:\\src\\app\\describe.h", 3, 6),
      frame("note", "C:\\src\\app\\main.cpp", 20, 5),
      frame("note", "C:\\src\\app\\main.cpp", 20, 14),
      frame("note", "C:\\src\\app\\main.cpp", 20, 5),
    ]);
    expect(error?.lines.at(-1)).toBe("1>    while trying to match the argument list '(Widget)'");
  });
});

describe("clang-cl", () => {
  const found = parse(fixture("clang-cl.log"));

  it("takes the code from the bracketed flag and keeps the source excerpt", () => {
    expect(found.map(shape)).toEqual([
      expected(
        "clang-cl",
        "warning",
        NOWHERE,
        "-Wunused-command-line-argument",
        "argument unused during compilation: '/Zc:preprocessor'",
      ),
      expected(
        "clang-cl",
        "warning",
        ["C:\\src\\app\\main.cpp", 10, 9, null, null],
        "-Wunused-variable",
        "unused variable 'x'",
        3,
      ),
      expected(
        "clang-cl",
        "error",
        ["C:\\src\\app\\main.cpp", 14, 12, null, null],
        "-Wunused-variable",
        "unused variable 'y'",
        3,
      ),
      expected("clang-cl", "error", ["C:\\src\\app\\util.cpp", 25, 6, null, null], null, "redefinition of 'helper'", 6),
      expected(
        "clang-cl",
        "error",
        ["C:\\src\\app\\config.cpp", 3, 10, null, null],
        null,
        "'config.h' file not found",
        3,
      ),
    ]);
  });

  it("attaches a note and its excerpt to the error before it", () => {
    expect(found[3]?.frames).toEqual([frame("note", "C:\\src\\app\\util.cpp", 20, 6)]);
    expect(found[3]?.lines.slice(3)).toEqual([
      "C:\\src\\app\\util.cpp(20,6): note: previous definition is here",
      "   20 | void helper() {}",
      "      |      ^",
    ]);
  });

  it("reads a warning MSBuild has logged (`warning :`, project suffix after the flag)", () => {
    const line =
      "1>C:\\src\\app\\util.cpp(5,1): warning : non-void function does not return a value [-Wreturn-type] [C:\\src\\app\\app.vcxproj]";
    expect(parse(line).map(shape)).toEqual([
      expected(
        "clang-cl",
        "warning",
        ["C:\\src\\app\\util.cpp", 5, 1, null, null],
        "-Wreturn-type",
        "non-void function does not return a value",
      ),
    ]);
  });

  it("makes a warning promoted by -Werror= an error with the warning's flag", () => {
    const [d] = parse("main.cpp(3,7): warning: unused parameter 'argc' [-Werror,-Wunused-parameter]");
    expect(d?.severity).toBe("error");
    expect(d?.code).toBe("-Wunused-parameter");
  });
});

describe("link", () => {
  it("reads object, executable, library and tool origins without a location", () => {
    expect(parse(fixture("link.log")).map(shape)).toEqual([
      expected(
        "link",
        "error",
        NOWHERE,
        "LNK2019",
        'unresolved external symbol "void __cdecl missing(void)" (?missing@@YAXXZ) referenced in function main',
      ),
      expected("link", "error", NOWHERE, "LNK1120", "1 unresolved externals"),
      expected("link", "error", NOWHERE, "LNK1104", "cannot open file 'foo.lib'"),
      expected(
        "link",
        "warning",
        NOWHERE,
        "LNK4098",
        "defaultlib 'MSVCRT' conflicts with use of other libs; use /NODEFAULTLIB:library",
      ),
      expected(
        "link",
        "error",
        NOWHERE,
        "LNK2019",
        'unresolved external symbol main referenced in function "int __cdecl invoke_main(void)" (?invoke_main@@YAHXZ)',
      ),
      expected(
        "link",
        "error",
        NOWHERE,
        "LNK2019",
        'unresolved external symbol "int __cdecl scale(int)" (?scale@@YAHH@Z) referenced in function "int __cdecl run(void)" (?run@@YAHXZ)',
        3,
      ),
      expected("link", "error", NOWHERE, "LNK1181", "cannot open input file 'missing.obj'"),
    ]);
  });
});

describe("MSBuild", () => {
  const found = parse(fixture("msbuild.log"));

  it("reads MSBuild's own errors and warnings, with a location or without", () => {
    const targets = (vs: string, file: string) => `C:\\Program Files${vs}\\MSBuild\\Microsoft\\VC\\${file}`;
    expect(found.map(shape)).toEqual([
      expected("msbuild", "error", NOWHERE, "MSB1009", "Project file does not exist.", 2),
      expected(
        "msbuild",
        "error",
        ["C:\\src\\app\\app.vcxproj", 25, 5, null, null],
        "MSB4019",
        'The imported project "C:\\Microsoft.Cpp.Default.props" was not found. Confirm that the expression in the Import declaration "\\Microsoft.Cpp.Default.props" is correct, and that the file exists on disk.',
      ),
      expected(
        "msbuild",
        "error",
        NOWHERE,
        "MSB4126",
        'The specified solution configuration "Debug|x86" is invalid. Please specify a valid solution configuration using the Configuration and Platform properties (e.g. MSBuild.exe Solution.sln /p:Configuration=Debug /p:Platform="Any CPU") or leave those properties blank to use the default solution configuration.',
      ),
      expected(
        "msbuild",
        "error",
        [targets("\\Microsoft Visual Studio\\2022\\Enterprise", "v170\\Microsoft.Cpp.targets"), 123, 5, null, null],
        "MSB3073",
        'The command "cmd /c exit 1" exited with code 1.',
      ),
      expected(
        "msbuild",
        "error",
        [
          targets(" (x86)\\Microsoft Visual Studio\\2019\\BuildTools", "v160\\Microsoft.CppCommon.targets"),
          155,
          5,
          null,
          null,
        ],
        "MSB3073",
        'The command "setlocal',
        10,
      ),
      expected(
        "msbuild",
        "warning",
        [
          targets("\\Microsoft Visual Studio\\2022\\Enterprise", "v170\\Microsoft.CppCommon.targets"),
          254,
          5,
          null,
          null,
        ],
        "MSB8065",
        'Custom build for item "C:\\src\\app\\gen\\a.rule" succeeded, but specified output "c:\\src\\app\\build\\gen\\a.h" has not been created. This may cause incremental build to work incorrectly.',
      ),
      expected(
        "msbuild",
        "warning",
        [
          targets("\\Microsoft Visual Studio\\2022\\Enterprise", "v170\\Microsoft.CppCommon.targets"),
          254,
          5,
          null,
          null,
        ],
        "MSB8065",
        'Custom build for item "C:\\src\\app\\gen\\b.rule" succeeded, but specified output "c:\\src\\app\\build\\gen\\b.h" has not been created. This may cause incremental build to work incorrectly.',
      ),
      expected("msbuild", "error", NOWHERE, null, "Generator failed: schema.json is not valid JSON"),
    ]);
  });

  it("keeps the switch line of a command-line error and every line of a multi-line command", () => {
    expect(found[0]?.lines).toEqual([
      "MSBUILD : error MSB1009: Project file does not exist.",
      "Switch: missing.vcxproj",
    ]);
    expect(found[4]?.lines.at(-1)).toMatch(
      /error MSB3073: :VCEnd" exited with code 1\. \[C:\\src\\app\\build\\ZERO_CHECK\.vcxproj\]$/,
    );
  });

  it("reads NMAKE's fatal errors as make's", () => {
    const line = "NMAKE : fatal error U1077: 'C:\\PROGRA~1\\MICROS~1\\cl.exe' : return code '0x2'";
    expect(parse(line).map(shape)).toEqual([
      expected("make", "error", NOWHERE, "U1077", "'C:\\PROGRA~1\\MICROS~1\\cl.exe' : return code '0x2'"),
    ]);
  });

  it("strips `N:M>` prefixes and the project suffix, keeping both in the raw line only", () => {
    const line =
      "  5:7>C:\\src\\lib\\a.cpp(3,1): warning C4100: 'argc': unreferenced formal parameter [C:\\src\\lib\\lib.vcxproj]";
    const [d] = parse(line);
    expect(shape(d)).toEqual(
      expected(
        "msvc",
        "warning",
        ["C:\\src\\lib\\a.cpp", 3, 1, null, null],
        "C4100",
        "'argc': unreferenced formal parameter",
      ),
    );
    expect(d?.lines).toEqual([line]);
  });

  it("gives a source file named without a line a location with no line", () => {
    expect(
      parse('C:\\src\\app\\app.vcxproj : error MSB4057: The target "Deploy" does not exist in the project.').map(shape),
    ).toEqual([
      expected(
        "msbuild",
        "error",
        ["C:\\src\\app\\app.vcxproj", null, null, null, null],
        "MSB4057",
        'The target "Deploy" does not exist in the project.',
      ),
    ]);
  });
});

describe("a multi-project `msbuild /m` build", () => {
  const log = fixture("multi-project.log");
  const core = "C:\\src\\demo\\core";

  it("finds each diagnostic once, projects interleaved, the summary's repeats left out", () => {
    expect(parse(log).map(shape)).toEqual([
      expected(
        "msvc",
        "error",
        [`${core}\\box.h`, 14, 20, null, null],
        "C2440",
        "'initializing': cannot convert from 'const char [6]' to 'T'",
        8,
      ),
      expected(
        "msvc",
        "warning",
        ["C:\\src\\demo\\app\\main.cpp", 22, 17, null, null],
        "C4244",
        "'=': conversion from 'double' to 'int', possible loss of data",
      ),
      // Project 2's last note came after project 3's warning: it cannot be attached.
      expected(
        "msvc",
        "note",
        [`${core}\\box.cpp`, 8, null, null, null],
        null,
        "see reference to class template instantiation 'Box<int>' being compiled",
      ),
      expected(
        "msvc",
        "warning",
        [`${core}\\strings.cpp`, 31, 5, null, null],
        "C4996",
        "'strncpy': This function or variable may be unsafe. Consider using strncpy_s instead. To disable deprecation, use _CRT_SECURE_NO_WARNINGS. See online help for details.",
      ),
      expected(
        "link",
        "error",
        NOWHERE,
        "LNK2019",
        'unresolved external symbol "int __cdecl core_version(void)" (?core_version@@YAHXZ) referenced in function main',
      ),
      expected("link", "error", NOWHERE, "LNK1120", "1 unresolved externals"),
    ]);
  });

  it("attaches the notes of project 2's error across unprefixed lines, innermost first", () => {
    const [error] = parse(log);
    expect(error?.frames).toEqual([
      frame("note", `${core}\\box.h`, 14, 20),
      frame("instantiated-from", `${core}\\box.h`, 12),
      frame("instantiated-from", `${core}\\box.cpp`, 8, 14),
    ]);
    expect(error?.lines[0]).toBe(
      "     2>C:\\src\\demo\\core\\box.h(14,20): error C2440: 'initializing': cannot convert from 'const char [6]' to 'T' [C:\\src\\demo\\build\\core\\core.vcxproj]",
    );
    expect(error?.lines[2]).toBe("                 [");
  });

  it("reports what only the summary shows, and a new build's repeats", () => {
    const a = "C:\\src\\a.cpp(1,1): error C2065: 'a': undeclared identifier [C:\\src\\a.vcxproj]";
    const b = "C:\\src\\b.cpp(2,2): error C2065: 'b': undeclared identifier [C:\\src\\b.vcxproj]";
    const text = [a, "Build FAILED.", "", `  ${a}`, `  ${b}`, "    2 Error(s)", "Time Elapsed 00:00:01.00", a].join(
      "\n",
    );
    expect(parse(text).map((d) => d.message)).toEqual([
      "'a': undeclared identifier",
      "'b': undeclared identifier",
      "'a': undeclared identifier",
    ]);
  });
});

describe("lines that are not MSVC's", () => {
  it("produces nothing for plain build output", () => {
    expect(parse(fixture("plain.log"))).toEqual([]);
  });

  it("claims no GCC, Clang, linker, make or CMake line", () => {
    const text = [
      "main.c:10:5: error: expected ';' before '}' token",
      "C:\\work\\app\\main.c:10:5: warning: unused variable 'x' [-Wunused-variable]",
      "cc1plus: fatal error: missing.h: No such file or directory",
      "In file included from main.cpp:1:",
      "main.cpp: In function 'int main()':",
      "main.cpp:4:3: note: declared here",
      "collect2: error: ld returned 1 exit status",
      "/usr/bin/ld: main.o: in function `main':",
      "clang: error: linker command failed with exit code 1 (use -v to see invocation)",
      "lld-link: error: undefined symbol: void __cdecl missing(void)",
      "make[2]: *** [CMakeFiles/app.dir/build.make:76: CMakeFiles/app.dir/main.cpp.o] Error 1",
      "CMake Error at CMakeLists.txt:3 (add_executable):",
      "warning: unknown warning option '-Wfoo' [-Wunknown-warning-option]",
    ].join("\n");
    expect(parse(text)).toEqual([]);
  });

  it("ends a diagnostic at a plain line: an indented line is not a continuation by itself", () => {
    const error = "main.cpp(3): error C2143: syntax error: missing ';' before '}'";
    expect(parse([error, "  util.cpp", "        with"].join("\n")).map((d) => d.lines.length)).toEqual([1]);
    expect(parse([error, "with"].join("\n")).map((d) => d.lines.length)).toEqual([1]);
  });
});

describe("beside the other parsers", () => {
  it.each(readdirSync(new URL("./fixtures/msvc/", import.meta.url)).filter((f) => f.endsWith(".log")))(
    "%s parses the same through the default parsers",
    (name) => {
      const text = fixture(name);
      expect(parseLog(text)).toEqual(parse(text));
    },
  );
});

describe("bounds", () => {
  it(`keeps at most ${MAX_LINES_PER_DIAGNOSTIC} lines of a diagnostic and goes on parsing after it`, () => {
    const block = Array.from({ length: 1000 }, (_, i) => `            T${i}=int,`);
    const text = [
      "big.h(1): error C2440: 'initializing': cannot convert from 'U' to 'T'",
      "        with",
      "        [",
      ...block,
      "        ]",
      "next.cpp(2): warning C4100: 'x': unreferenced formal parameter",
    ].join("\n");
    const [big, next, ...rest] = parse(text);
    expect(rest).toEqual([]);
    expect(big?.lines).toHaveLength(MAX_LINES_PER_DIAGNOSTIC + 1);
    expect(big?.lines.at(-1)).toBe(`[... ${1004 - MAX_LINES_PER_DIAGNOSTIC} more lines of this diagnostic not kept]`);
    expect(shape(next)).toEqual(
      expected("msvc", "warning", ["next.cpp", 2, null, null, null], "C4100", "'x': unreferenced formal parameter"),
    );
  });
});
