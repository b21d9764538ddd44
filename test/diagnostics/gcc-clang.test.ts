/**
 * The GCC/Clang grammar without Docker: the logs real-compilers.test.ts saved
 * (fixtures/logs, checked against the compilers' structured output saved next
 * to them), and hand-written lines for forms the compilers in the images do
 * not print here (no column, source ranges, clang-tidy, driver errors, a -j2
 * log, a note flood). Expected values say what the compiler output means.
 */
import { describe, expect, it } from "vitest";
import { DiagnosticsStream, parseLog } from "../../src/diagnostics/engine.ts";
import { GccClangParser } from "../../src/diagnostics/gcc-clang.ts";
import { MAX_LINES_PER_DIAGNOSTIC } from "../../src/diagnostics/parser.ts";
import type { Diagnostic } from "../../src/diagnostics/types.ts";
import { annotate } from "../../src/report/annotations.ts";
import {
  annotateLog,
  comparable,
  expectedAnnotations,
  expectedFor,
  loadSaved,
  normaliseMessage,
  sortExpected,
  unitDiagnostics,
} from "./structured-output.ts";

const SAVED = ["gcc-11", "gcc-12", "clang-14", "clang-16"] as const;

/** The GCC/Clang grammar alone. */
function gccClang(text: string): Diagnostic[] {
  return parseLog(text, [new GccClangParser()]);
}

function brief(d: Diagnostic | undefined) {
  if (!d) return undefined;
  return {
    tool: d.tool,
    severity: d.severity,
    location: d.location,
    message: d.message,
    code: d.code,
  };
}

function at(path: string, line: number, column: number | null, endLine: number | null = null, endColumn = endLine) {
  return { path, line, column, endLine, endColumn };
}

describe.each(SAVED)("the saved %s build log", (compiler) => {
  const { log, structured } = loadSaved(compiler);
  const options = { family: structured.family, root: structured.root };

  it("makes the annotations the compiler's structured output calls for", () => {
    for (const unit of structured.units) expect(unitDiagnostics(structured.family, unit).disagreements).toEqual([]);
    const { annotations } = annotateLog(log, compiler);
    expect(sortExpected(annotations.map(comparable))).toEqual(expectedAnnotations(structured.units, options));
  });

  it("keeps each diagnostic's notes in its annotation", () => {
    const byKey = new Map(annotateLog(log, compiler).annotations.map((a) => [JSON.stringify(comparable(a)), a]));
    for (const unit of structured.units) {
      for (const d of unitDiagnostics(structured.family, unit).diagnostics) {
        const details = normaliseMessage(byKey.get(JSON.stringify(expectedFor(d, unit, options)))?.raw_details ?? "");
        for (const child of d.children) expect(details).toContain(normaliseMessage(child.message));
      }
    }
  });

  it("reads the same whatever the chunks the log arrives in", () => {
    const whole = parseLog(log);
    const stream = new DiagnosticsStream();
    const bytes = Buffer.from(log, "utf8");
    const chunked: Diagnostic[] = [];
    // 7-byte chunks split lines and the UTF-8 of GCC's ‘quotes’.
    for (let i = 0; i < bytes.length; i += 7) chunked.push(...stream.write(bytes.subarray(i, i + 7)));
    chunked.push(...stream.end());
    expect(chunked).toEqual(whole);
  });

  it("names the compiler it guessed, as told when told", () => {
    const guessed = parseLog(log).filter((d) => d.tool === "gcc" || d.tool === "clang");
    expect(new Set(guessed.map((d) => d.tool))).toEqual(new Set([structured.family]));
    const stream = new DiagnosticsStream({ compiler: structured.family });
    const told = [...stream.write(log), ...stream.end()];
    expect(told).toEqual(parseLog(log));
  });
});

describe("GCC and Clang lines the images here do not print", () => {
  it("reads GCC's location without a column (-fno-show-column, old GCC)", () => {
    const ds = gccClang("a.cpp:3: warning: unused variable 'x' [-Wunused-variable]\n");
    expect(ds.map(brief)).toEqual([
      {
        tool: "gcc",
        severity: "warning",
        location: at("a.cpp", 3, null),
        message: "unused variable 'x'",
        code: "-Wunused-variable",
      },
    ]);
    const [a] = annotate(ds, { roots: [] }).annotations;
    expect(a).toMatchObject({ path: "a.cpp", start_line: 3, end_line: 3, start_column: null, end_column: null });
  });

  it("reads Clang's source ranges (-fdiagnostics-print-source-range-info): the range holding the caret is the extent", () => {
    const ds = gccClang(
      [
        "a.cpp:7:9:{7:5-7:15}: warning: comparison of integers of different signs: 'int' and 'unsigned int' [-Wsign-compare]",
        "  if (i < n) {}",
        "      ~ ^ ~",
        "b.cpp:2:3:{2:20-2:25}:{2:1-2:4}: error: no matching function for call to 'f'",
        "1 warning and 1 error generated.",
      ].join("\n"),
    );
    expect(ds.map(brief)).toEqual([
      {
        tool: "clang",
        severity: "warning",
        location: at("a.cpp", 7, 9, 7, 15),
        message: "comparison of integers of different signs: 'int' and 'unsigned int'",
        code: "-Wsign-compare",
      },
      {
        tool: "clang",
        severity: "error",
        // 2:3 is in {2:1-2:4}, the second range.
        location: at("b.cpp", 2, 3, 2, 4),
        message: "no matching function for call to 'f'",
        code: null,
      },
    ]);
    expect(ds[0]?.lines).toHaveLength(3);
    const [a] = annotate(ds, { roots: [] }).annotations;
    expect(a).toMatchObject({ start_line: 7, end_line: 7, start_column: 9, end_column: 15 });
  });

  it("makes GCC's -Werror= an error whose code is the warning's flag", () => {
    const ds = gccClang(
      [
        "a.cpp: In function 'int f()':",
        "a.cpp:3:7: error: unused variable 'x' [-Werror=unused-variable]",
        "    3 |   int x = 1;",
        "      |       ^",
        "cc1plus: all warnings being treated as errors",
      ].join("\n"),
    );
    expect(ds.map(brief)).toEqual([
      {
        tool: "gcc",
        severity: "error",
        location: at("a.cpp", 3, 7),
        message: "unused variable 'x'",
        code: "-Wunused-variable",
      },
      // -Werror's summary names no file: a note for the summary, not an annotation.
      {
        tool: "gcc",
        severity: "note",
        location: null,
        message: "all warnings being treated as errors",
        code: null,
      },
    ]);
    expect(ds[0]?.lines).toHaveLength(4);
    const { annotations, unplaced } = annotate(ds, { roots: [], label: "gcc-13" });
    expect(annotations.map((a) => [a.annotation_level, a.title])).toEqual([["failure", "gcc-13: -Wunused-variable"]]);
    expect(unplaced.map((d) => d.message)).toEqual(["all warnings being treated as errors"]);
  });

  it("makes Clang's [-Werror,-W...] an error whose code is the warning's flag", () => {
    const ds = gccClang(
      [
        "/src/a.cpp:3:7: error: unused variable 'x' [-Werror,-Wunused-variable]",
        "  int x = 1;",
        "      ^",
        "1 error generated.",
      ].join("\n"),
    );
    expect(ds.map(brief)).toEqual([
      {
        tool: "clang",
        severity: "error",
        location: at("/src/a.cpp", 3, 7),
        message: "unused variable 'x'",
        code: "-Wunused-variable",
      },
    ]);
    const [a] = annotate(ds, { roots: ["/src"], label: "clang-16" }).annotations;
    expect(a).toMatchObject({ path: "a.cpp", annotation_level: "failure", title: "clang-16: -Wunused-variable" });
  });

  it("reads clang-tidy's checks as codes, the tool as clang-tidy", () => {
    const ds = gccClang(
      [
        "/src/a.cpp:12:8: warning: 'v' used after it was moved [bugprone-use-after-move]",
        "  take(v);",
        "       ^",
        "/src/a.cpp:11:3: note: move occurred here",
        "  take(std::move(v));",
        "  ^",
        "/src/b.cpp:4:10: warning: Called C++ object pointer is null [clang-analyzer-core.CallAndMessage]",
        "Suppressed 1200 warnings (1200 in non-user code).",
        "Use -header-filter=.* to display errors from all non-system headers. Use -system-headers to display errors from system headers as well.",
      ].join("\n"),
    );
    expect(ds.map(brief)).toEqual([
      {
        tool: "clang-tidy",
        severity: "warning",
        location: at("/src/a.cpp", 12, 8),
        message: "'v' used after it was moved",
        code: "bugprone-use-after-move",
      },
      {
        tool: "clang-tidy",
        severity: "warning",
        location: at("/src/b.cpp", 4, 10),
        message: "Called C++ object pointer is null",
        code: "clang-analyzer-core.CallAndMessage",
      },
    ]);
    // The note is the first warning's, with its place as a frame.
    expect(ds[0]?.lines).toHaveLength(6);
    expect(ds[0]?.frames).toEqual([{ ...at("/src/a.cpp", 11, 3), kind: "note" }]);
  });

  it("keeps a bracket that is no flag in the message", () => {
    const ds = gccClang("a.cpp:5:3: error: no matching function for call to 'f' [with T = int]\n");
    expect(ds[0]).toMatchObject({ message: "no matching function for call to 'f' [with T = int]", code: null });
  });

  it("reads the drivers' own errors as diagnostics with no place", () => {
    const ds = gccClang(
      [
        "g++: error: unrecognized command-line option '-Wbogus'; did you mean '-Wbool-compare'?",
        "x86_64-linux-gnu-g++-12: fatal error: no input files",
        "compilation terminated.",
        "clang: error: unknown argument: '-fbogus'",
        "clang++-16: warning: argument unused during compilation: '-pthread' [-Wunused-command-line-argument]",
      ].join("\n"),
    );
    expect(ds.map(brief)).toEqual([
      {
        tool: "gcc",
        severity: "error",
        location: null,
        message: "unrecognized command-line option '-Wbogus'; did you mean '-Wbool-compare'?",
        code: null,
      },
      { tool: "gcc", severity: "error", location: null, message: "no input files", code: null },
      { tool: "clang", severity: "error", location: null, message: "unknown argument: '-fbogus'", code: null },
      {
        tool: "clang",
        severity: "warning",
        location: null,
        message: "argument unused during compilation: '-pthread'",
        code: "-Wunused-command-line-argument",
      },
    ]);
    // `compilation terminated.` ends the fatal error it follows, as one of its lines.
    expect(ds[1]?.lines).toEqual(["x86_64-linux-gnu-g++-12: fatal error: no input files", "compilation terminated."]);
    const { annotations, unplaced } = annotate(ds, { roots: ["/src"] });
    expect(annotations).toEqual([]);
    expect(unplaced).toHaveLength(4);
  });

  it("keeps `compilation terminated.` with GCC's fatal error, not as a diagnostic", () => {
    const ds = gccClang(
      [
        "/src/m.cpp:1:10: fatal error: missing.h: No such file or directory",
        '    1 | #include "missing.h"',
        "      |          ^~~~~~~~~~~",
        "compilation terminated.",
      ].join("\n"),
    );
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ severity: "error", message: "missing.h: No such file or directory" });
    expect(ds[0]?.lines.at(-1)).toBe("compilation terminated.");
  });

  it("ends a diagnostic at Clang's `N warnings generated.`, which is none itself", () => {
    const ds = gccClang(
      [
        "/src/a.cpp:2:7: warning: unused variable 'a' [-Wunused-variable]",
        "  int a;",
        "      ^",
        "1 warning generated.",
        "  int b;",
        "/src/b.cpp:9:1: warning: non-void function does not return a value [-Wreturn-type]",
        "}",
        "^",
        "2 warnings and 1 error generated.",
      ].join("\n"),
    );
    expect(ds.map((d) => [d.location?.path, d.lines.length])).toEqual([
      ["/src/a.cpp", 3],
      ["/src/b.cpp", 3],
    ]);
  });

  it("takes a lone note for a notice", () => {
    const { annotations } = annotate(gccClang("/src/a.cpp:4:1: note: 'x' declared here\n"), { roots: ["/src"] });
    expect(annotations.map((a) => [a.path, a.start_line, a.annotation_level, a.title])).toEqual([
      ["a.cpp", 4, "notice", "gcc: note"],
    ]);
  });

  it("keeps carets, labels and fix-its with their diagnostic", () => {
    const ds = gccClang(
      [
        // GCC: a fix-it that adds a line (`+++ |+`), with its note.
        "/src/p.cpp: In function 'int main()':",
        "/src/p.cpp:2:3: error: 'printf' was not declared in this scope",
        '    2 |   printf("hi");',
        "      |   ^~~~~~",
        "/src/p.cpp:1:1: note: 'printf' is defined in header '<cstdio>'; did you forget to '#include <cstdio>'?",
        "  +++ |+#include <cstdio>",
        "    1 | int main() {",
        // GCC: a replacement under the caret, and labelled ranges.
        "/src/p.cpp:4:17: warning: format '%d' expects argument of type 'int', but argument 2 has type 'const char*' [-Wformat=]",
        '    4 |   std::printf("%d", "x");',
        "      |                ~^   ~~~",
        "      |                 |   |",
        "      |                 int const char*",
        "      |                %s",
        // Clang: the fix-it under the caret, indented to its column.
        "/src/q.cpp:2:15: error: expected ';' after return statement",
        "  return x + 1",
        "              ^",
        "              ;",
        "/src/q.cpp:7:5: note: insert '[[fallthrough]];' to silence this warning",
        "    case 2:",
        "    ^",
        "    [[fallthrough]]; ",
        "1 error generated.",
      ].join("\n"),
    );
    expect(ds.map((d) => [d.location?.path, d.location?.line, d.severity, d.lines.length])).toEqual([
      ["/src/p.cpp", 2, "error", 7],
      ["/src/p.cpp", 4, "warning", 6],
      ["/src/q.cpp", 2, "error", 8],
    ]);
    expect(ds[0]?.lines).toContain("  +++ |+#include <cstdio>");
    expect(ds[1]?.lines.at(-1)).toBe("      |                %s");
    expect(ds[2]?.lines.at(-1)).toBe("    [[fallthrough]]; ");
  });

  it("keeps -j2 output apart when whole diagnostics of two translation units alternate", () => {
    // make -j2 without --output-sync: each compiler writes a whole diagnostic at
    // a time (GCC does), so units alternate between diagnostics, not inside one.
    const log = [
      "[ 25%] Building CXX object CMakeFiles/app.dir/a.cpp.o",
      "[ 50%] Building CXX object CMakeFiles/app.dir/b.cpp.o",
      "/src/a.cpp: In function 'int f(int)':",
      "/src/a.cpp:3:7: warning: unused variable 'x' [-Wunused-variable]",
      "    3 |   int x = 1;",
      "      |       ^",
      "In file included from /src/b.cpp:1:",
      "/src/b.h: In function 'bool g(int, unsigned int)':",
      "/src/b.h:2:12: warning: comparison of integer expressions of different signedness: 'int' and 'unsigned int' [-Wsign-compare]",
      "    2 |   return i < u;",
      "      |          ~~^~~",
      "/src/a.cpp:9:1: warning: control reaches end of non-void function [-Wreturn-type]",
      "    9 | }",
      "      | ^",
      "[ 75%] Building CXX object CMakeFiles/app.dir/c.cpp.o",
      "/src/b.cpp: In function 'int h()':",
      "/src/b.cpp:7:14: error: 'y' was not declared in this scope",
      "    7 |   return 2 * y;",
      "      |              ^",
      "make[2]: *** [CMakeFiles/app.dir/build.make:90: CMakeFiles/app.dir/b.cpp.o] Error 1",
    ].join("\n");
    const { annotations } = annotate(parseLog(log), { roots: ["/src"] });
    expect(annotations.map((a) => [a.path, a.start_line, a.start_column, a.annotation_level, a.code])).toEqual([
      ["a.cpp", 3, 7, "warning", "-Wunused-variable"],
      ["b.h", 2, 12, "warning", "-Wsign-compare"],
      ["a.cpp", 9, 1, "warning", "-Wreturn-type"],
      ["b.cpp", 7, 14, "failure", null],
    ]);
    // Each keeps its own context: b.h's include chain is not a.cpp's.
    const [, bh, a9] = annotations;
    expect(bh?.raw_details.split("\n").slice(0, 2)).toEqual([
      "In file included from /src/b.cpp:1:",
      "/src/b.h: In function 'bool g(int, unsigned int)':",
    ]);
    expect(a9?.raw_details.split("\n")).toHaveLength(3);
  });

  it("keeps a diagnostic of 10,000 notes bounded, and reads on after it", () => {
    const notes = Array.from(
      { length: 10_000 },
      (_, i) => `/usr/include/c++/12/bits/x.h:${i + 1}:5: note: candidate ${i + 1}: 'template<class T> void f(T*)'`,
    );
    const ds = gccClang(
      [
        "/src/a.cpp:3:4: error: no matching function for call to 'f(int)'",
        ...notes,
        "/src/a.cpp:5:1: warning: unused variable 'y' [-Wunused-variable]",
      ].join("\n"),
    );
    expect(ds).toHaveLength(2);
    const [flood, next] = ds;
    expect(flood?.lines).toHaveLength(MAX_LINES_PER_DIAGNOSTIC + 1);
    expect(flood?.lines.at(-1)).toBe(
      `[... ${10_001 - MAX_LINES_PER_DIAGNOSTIC} more lines of this diagnostic not kept]`,
    );
    expect(next).toMatchObject({ location: at("/src/a.cpp", 5, 1), code: "-Wunused-variable" });
    expect(annotate(ds, { roots: ["/src"] }).annotations.map((a) => a.annotation_level)).toEqual([
      "failure",
      "warning",
    ]);
  });
});

describe("placing diagnostics from system headers", () => {
  const clangSort = [
    "In file included from /src/t.cpp:1:",
    "In file included from /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/algorithm:61:",
    "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_algo.h:1867:11: error: no matching function for call to object of type 'C'",
    "          while (__comp(__first, __pivot))",
    "                 ^~~~~~",
    "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_algo.h:4820:12: note: in instantiation of function template specialization 'std::__sort<P *, C>' requested here",
    "      std::__sort(__first, __last, __gnu_cxx::__ops::__iter_less_iter());",
    "           ^",
    "/src/t.cpp:9:8: note: in instantiation of function template specialization 'std::sort<P *>' requested here",
    "  std::sort(p, p + 2);",
    "       ^",
    // The same instantiation again: Clang does not repeat its context.
    "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_algo.h:1870:11: error: no matching function for call to object of type 'C'",
    "          while (__comp(__pivot, __last))",
    "                 ^~~~~~",
  ];

  it("places Clang's error on the instantiating line, not the #include, and shows the header's path plainly", () => {
    const { annotations } = annotate(parseLog(clangSort.join("\n")), { roots: ["/src"] });
    expect(annotations.map((a) => [a.path, a.start_line, a.start_column, a.message])).toEqual([
      [
        "t.cpp",
        9,
        8,
        "no matching function for call to object of type 'C'\n(in /usr/include/c++/12/bits/stl_algo.h:1867:11, reached from here)",
      ],
      [
        "t.cpp",
        9,
        8,
        "no matching function for call to object of type 'C'\n(in /usr/include/c++/12/bits/stl_algo.h:1870:11, reached from here)",
      ],
    ]);
  });

  it("does not carry an instantiation context into another translation unit's output", () => {
    // u.cpp's error in the same header is in no instantiation: its #include is its place.
    const log = [
      ...clangSort.slice(0, 11),
      "[3/4] Building CXX object CMakeFiles/app.dir/u.cpp.o",
      "In file included from /src/u.cpp:2:",
      ...clangSort.slice(11),
    ].join("\n");
    const { annotations } = annotate(parseLog(log), { roots: ["/src"] });
    expect(annotations.map((a) => [a.path, a.start_line])).toEqual([
      ["t.cpp", 9],
      ["u.cpp", 2],
    ]);
  });

  it("places GCC's error on `required from here`, and a second one in the same instantiation there too", () => {
    const log = [
      "In file included from /usr/include/c++/12/algorithm:61,",
      "                 from /src/t.cpp:1:",
      "/usr/include/c++/12/bits/stl_algo.h: In instantiation of 'void std::__sort(_RAIter, _RAIter) [with _RAIter = P*]':",
      "/usr/include/c++/12/bits/stl_algo.h:4820:18:   required from 'void std::sort(_RAIter, _RAIter) [with _RAIter = P*]'",
      "/src/t.cpp:9:12:   required from here",
      "/usr/include/c++/12/bits/stl_algo.h:1867:11: error: no match for 'operator<' (operand types are 'P' and 'P')",
      " 1867 |           while (*__first < *__pivot)",
      "      |                  ~~~~~~~~~^~~~~~~~~~",
      "/usr/include/c++/12/bits/stl_algo.h:1870:11: error: no match for 'operator<' (operand types are 'P' and 'P')",
      " 1870 |           while (*__pivot < *__last)",
      "      |                  ~~~~~~~~~^~~~~~~~~",
    ].join("\n");
    const { annotations } = annotate(parseLog(log), { roots: ["/src"] });
    expect(annotations.map((a) => [a.path, a.start_line, a.start_column, a.message.split("\n")[1]])).toEqual([
      ["t.cpp", 9, 12, "(in /usr/include/c++/12/bits/stl_algo.h:1867:11, reached from here)"],
      ["t.cpp", 9, 12, "(in /usr/include/c++/12/bits/stl_algo.h:1870:11, reached from here)"],
    ]);
  });

  it("places a header's error with no instantiation on the #include that brought it in", () => {
    const log = [
      "In file included from /src/t.cpp:3:",
      "/usr/include/foo.h:2:1: error: unknown type name 'bar_t'",
      "bar_t x;",
      "^",
    ].join("\n");
    const { annotations } = annotate(parseLog(log), { roots: ["/src"] });
    expect(annotations.map((a) => [a.path, a.start_line, a.start_column])).toEqual([["t.cpp", 3, null]]);
  });
});
