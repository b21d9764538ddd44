/** compile_commands.json read as translation units, and the cell's standards checked against them. */
import { describe, expect, test } from "vitest";
import { parseCompileCommands, splitCommand } from "../../src/report/compile-commands.ts";
import {
  checkStandards,
  concludeWithStandards,
  mismatchWords,
  type StandardCheckCell,
  standardCheckJson,
  standardSection,
} from "../../src/report/standard-check.ts";

/** A CMake-style entry: `command`, with the object under CMakeFiles/<target>.dir. */
function entry(file: string, flags: string, target = "lib", compiler = "/usr/bin/g++-12") {
  return {
    directory: "/work/src/build",
    command: `${compiler} -I/work/src/include ${flags} -o CMakeFiles/${target}.dir/${file}.o -c /work/src/${file}`,
    file: `/work/src/${file}`,
    output: `CMakeFiles/${target}.dir/${file}.o`,
  };
}

const gcc12Cxx20: StandardCheckCell = {
  family: "gcc",
  version: 12,
  cxxStandard: 20,
  cStandard: null,
  stdFlag: "-std=c++20",
  cStdFlag: null,
};

describe("parseCompileCommands", () => {
  test("the last -std= of each file wins; the language comes from -x or the extension; targets from the object", () => {
    const commands = parseCompileCommands(
      JSON.stringify([
        entry("src/a.cpp", "-std=c++20 -std=gnu++11", "yaml-cpp"),
        {
          directory: "/b",
          arguments: ["cc", "-std=c99", "-c", "x.c", "-o", "sub/CMakeFiles/cjson.dir/x.c.o"],
          file: "x.c",
        },
        { directory: "/b", arguments: ["g++", "-x", "c++", "-c", "y.c"], file: "y.c" },
        { directory: "/b", arguments: ["cl", "/std:c++latest", "/TP", "/Fo:z.obj", "z.c"], file: "z.c" },
        { directory: "/b", command: "as -o s.o s.S", file: "s.S" },
        { directory: "/b", command: "g++ -xc++-header -c pch.h", file: "pch.h" },
        "not an entry",
      ]),
    );
    expect(commands.units).toEqual([
      { file: "/work/src/src/a.cpp", language: "c++", std: "gnu++11", target: "yaml-cpp" },
      { file: "x.c", language: "c", std: "c99", target: "cjson" },
      { file: "y.c", language: "c++", std: null, target: null },
      { file: "z.c", language: "c++", std: "c++latest", target: null },
    ]);
    expect(commands.ignored).toBe(3);
  });

  test("a file that is not a JSON array is a CompileCommandsError", () => {
    expect(() => parseCompileCommands("{")).toThrow(/not JSON/);
    expect(() => parseCompileCommands('{"a": 1}')).toThrow(/not a JSON array/);
  });

  test("commands are split as a shell would, with no expansion", () => {
    expect(splitCommand(`g++ -DX="a b" -DY='$(id)' a\\ b.cpp "q\\"uote"`)).toEqual([
      "g++",
      "-DX=a b",
      "-DY=$(id)",
      "a b.cpp",
      'q"uote',
    ]);
  });
});

describe("checkStandards", () => {
  test("yaml-cpp in a C++20 cell: its own CXX_STANDARD 11 wins, counted by spelling and target", () => {
    const commands = parseCompileCommands(
      JSON.stringify([
        ...Array.from({ length: 3 }, (_, i) => entry(`src/f${i}.cpp`, "-std=c++20 -std=gnu++11", "yaml-cpp")),
        entry("test/t.cpp", "-std=gnu++14", "yaml-cpp-tests"),
        entry("util/u.cpp", "-std=c++20", "util"),
      ]),
    );
    const [check] = checkStandards(commands, gcc12Cxx20);
    expect(check && standardCheckJson(check)).toEqual({
      expected: "c++20",
      seen: { "gnu++11": 3, "gnu++14": 1, "c++20": 1 },
      ok: false,
    });
    expect(check?.off).toEqual([
      { target: "yaml-cpp", std: "gnu++11", units: 3 },
      { target: "yaml-cpp-tests", std: "gnu++14", units: 1 },
    ]);
    expect(check && mismatchWords(check)).toBe(
      "built as gnu++11 (3 TUs), gnu++14 (1 TU), not C++20 (1 of 5 TUs were): the project sets its own standard",
    );
    const section = standardSection(check ? [check] : [], null);
    expect(section).toContain("| `yaml-cpp` | `gnu++11` | 3 |");
  });

  test("other spellings and GNU dialects of the same standard pass; no -std= is the compiler's default", () => {
    const commands = parseCompileCommands(
      JSON.stringify([entry("a.cpp", "-std=c++2a"), entry("b.cpp", "-std=gnu++20"), entry("c.c", "-std=gnu89")]),
    );
    expect(checkStandards(commands, gcc12Cxx20).map(standardCheckJson)).toEqual([
      { expected: "c++20", seen: { "c++2a": 1, "gnu++20": 1 }, ok: true },
    ]);
    // gcc 12 compiles C++ as gnu++17 unless told: a C++17 cell without -std= is C++17, a C++20 one is not.
    const bare = parseCompileCommands(JSON.stringify([entry("a.cpp", "-O2")]));
    expect(checkStandards(bare, { ...gcc12Cxx20, cxxStandard: 17, stdFlag: "-std=c++17" })[0]?.ok).toBe(true);
    const [off] = checkStandards(bare, gcc12Cxx20);
    expect(off?.ok).toBe(false);
    expect(off && mismatchWords(off)).toBe(
      "built as the compiler's default gnu++17 (1 TU), not C++20: no -std= reached them",
    );
  });

  test("a C cell checks C files only; a C++ cell of a C project says C++ was not exercised", () => {
    const commands = parseCompileCommands(
      JSON.stringify([entry("cJSON.c", "-std=c89", "cjson", "/usr/bin/gcc-12"), entry("test.c", "-std=c11", "t")]),
    );
    const cCell = { ...gcc12Cxx20, cxxStandard: null, cStandard: 11, stdFlag: null, cStdFlag: "-std=c11" };
    const [c] = checkStandards(commands, cCell);
    expect(c && standardCheckJson(c)).toEqual({ expected: "c11", seen: { c89: 1, c11: 1 }, ok: false });
    const [cxx] = checkStandards(commands, gcc12Cxx20);
    expect(cxx && standardCheckJson(cxx)).toEqual({ expected: "c++20", seen: {}, ok: false });
    expect(cxx && mismatchWords(cxx)).toBe("no C++ translation unit was built, so C++20 was not exercised");
  });

  test("MSVC's /std:c++latest is the catalog's C++23 for MSVC 2022; an unknown default is not a verdict", () => {
    const msvc = parseCompileCommands(
      JSON.stringify([{ directory: "d", arguments: ["cl", "/std:c++latest", "/c", "a.cpp"], file: "a.cpp" }]),
    );
    const cell = {
      family: "msvc",
      version: 2022,
      cxxStandard: 23,
      cStandard: null,
      stdFlag: "/std:c++latest",
      cStdFlag: null,
    } as const;
    expect(checkStandards(msvc, cell)[0]?.ok).toBe(true);
    const apple = parseCompileCommands(JSON.stringify([entry("a.cpp", "-O2")]));
    const appleCell = { ...gcc12Cxx20, family: "apple-clang", version: 15 } as const;
    expect(checkStandards(apple, appleCell)[0]?.ok).toBeNull();
  });
});

describe("concludeWithStandards", () => {
  const commands = parseCompileCommands(JSON.stringify([entry("a.cpp", "-std=gnu++11")]));
  const checks = checkStandards(commands, gcc12Cxx20);
  test("warn makes a pass neutral, fail a failure, ignore leaves it; other conclusions stay", () => {
    expect(concludeWithStandards("success", checks, "warn")).toBe("neutral");
    expect(concludeWithStandards("success", checks, "fail")).toBe("failure");
    expect(concludeWithStandards("success", checks, "ignore")).toBe("success");
    expect(concludeWithStandards("timed_out", checks, "fail")).toBe("timed_out");
    expect(concludeWithStandards("success", null, "fail")).toBe("success");
  });
});
