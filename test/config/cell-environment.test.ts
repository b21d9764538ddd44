/**
 * A cell's environment as the config gives it: the top level's `env`, a
 * script's `env` over it, the include entries' over both (later entries win),
 * include entries' `configure_args` appended; the variables every cell gets;
 * the names a config may not set, refused at their key.
 */
import { describe, expect, test } from "vitest";
import {
  CELL_VARIABLES,
  cellVariables,
  configEnvironment,
  ENV_BYTES,
  reservedEnvReason,
} from "../../src/config/cell-environment.ts";
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfigOrThrow } from "../../src/config/parse.ts";
import { forkConfig } from "../../src/config/trust.ts";
import { testCommand } from "../../src/executor/test-phase.ts";
import { ASAN_CELL_CONFIG, ASAN_CELL_VARIABLES } from "../support/cell-variables.ts";
import { problemsOf, yaml } from "./helpers.ts";

function parsed(text: string) {
  const { config, cells } = parseConfigOrThrow(text);
  const byName = (name: string): Cell => {
    const cell = cells.find((c) => c.name === name);
    if (!cell) throw new Error(`no cell ${name} in ${cells.map((c) => c.name).join(", ")}`);
    return cell;
  };
  return { config, cells, byName };
}

describe("env and include entries' env", () => {
  const text = yaml(
    "version: 1",
    "matrix:",
    "  compiler: [gcc@12, clang@16]",
    "  build_type: [Debug, Release]",
    "  include:",
    "    - {compiler: clang@16, env: {SHARED: from-clang, CLANG_ONLY: yes}}",
    "    - {build_type: Debug, env: {SHARED: from-debug}}",
    "    - {compiler: gcc@13, build_type: Release, env: {NEW: made}}",
    "env: {SHARED: top, TOP: 1, FLAG: true}",
  );

  test("the top level's reaches every cell; an entry's goes over it for the cells it matches, a later entry winning", () => {
    const { config, cells, byName } = parsed(text);
    const env = (name: string) => configEnvironment(config, byName(name));
    expect(env("linux / gcc-12 / c++17 / Release")).toEqual({ SHARED: "top", TOP: "1", FLAG: "true" });
    expect(env("linux / gcc-12 / c++17 / Debug")).toEqual({ SHARED: "from-debug", TOP: "1", FLAG: "true" });
    expect(env("linux / clang-16 / c++17 / Release")).toEqual({
      SHARED: "from-clang",
      TOP: "1",
      FLAG: "true",
      CLANG_ONLY: "yes",
    });
    expect(env("linux / clang-16 / c++17 / Debug")).toEqual({
      SHARED: "from-debug",
      TOP: "1",
      FLAG: "true",
      CLANG_ONLY: "yes",
    });
    // An entry that matches nothing makes its cell, with its env.
    expect(env("linux / gcc-13 / c++17 / Release")).toEqual({ SHARED: "top", TOP: "1", FLAG: "true", NEW: "made" });
    expect(cells).toHaveLength(5);
  });

  test("a script build's env goes over the top level's, an include entry's over both", () => {
    const { config, byName } = parsed(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, clang@16]",
        "  include:",
        "    - {compiler: clang@16, env: {A: include}}",
        "build:",
        "  script: {commands: [./build.sh], env: {A: script, B: script}}",
        "tests: false",
        "env: {A: top, B: top, C: top}",
      ),
    );
    expect(configEnvironment(config, byName("linux / gcc-12 / c++17 / Release"))).toEqual({
      A: "script",
      B: "script",
      C: "top",
    });
    expect(configEnvironment(config, byName("linux / clang-16 / c++17 / Release"))).toEqual({
      A: "include",
      B: "script",
      C: "top",
    });
  });

  test("a fork's env is its own to choose: kept, like its build commands", () => {
    const head = parsed(text).config;
    const fork = forkConfig(head, null);
    expect(fork.config.env).toEqual(head.env);
    expect(fork.cells.map((c) => c.env)).toEqual(parsed(text).cells.map((c) => c.env));
    expect(fork.overridden).not.toContain("env");
  });
});

describe("include entries' configure_args", () => {
  test("appended to build.cmake.configure_args, every matching entry's in order", () => {
    const { byName } = parsed(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, clang@16]",
        "  build_type: [Debug, Release]",
        "  include:",
        "    - {build_type: Debug, configure_args: [-DDEBUG_EXTRAS=ON]}",
        "    - {compiler: clang@16, configure_args: [-DUSE_LIBCXX=ON, '-DNOTE=a b']}",
        "build:",
        "  cmake: {configure_args: [-DBUILD_TESTING=ON]}",
      ),
    );
    expect(byName("linux / gcc-12 / c++17 / Release").configureArgs).toEqual([]);
    expect(byName("linux / gcc-12 / c++17 / Debug").configureArgs).toEqual(["-DDEBUG_EXTRAS=ON"]);
    expect(byName("linux / clang-16 / c++17 / Debug").configureArgs).toEqual([
      "-DDEBUG_EXTRAS=ON",
      "-DUSE_LIBCXX=ON",
      "-DNOTE=a b",
    ]);
  });

  test("with a script build they would do nothing: an error at the key", () => {
    const problems = problemsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12]",
        "  include:",
        "    - compiler: gcc@12",
        "      configure_args: [-DX=1]",
        "build:",
        "  script: {commands: [make]}",
        "tests: false",
      ),
    );
    expect(problems.map((q) => [q.line, q.column, q.path])).toEqual([
      [6, 7, ["matrix", "include", 0, "configure_args"]],
    ]);
    expect(problems[0]?.message).toContain("this config builds with build.script");
  });
});

describe("names a config may not set", () => {
  test("the cell's own variables, its compiler and flags, the worker's cache, HEIMDALL_*: errors at the key", () => {
    const problems = problemsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12]",
        "  include:",
        "    - compiler: gcc@12",
        "      env: {CXX_STANDARD: 17, CC: clang}",
        "build:",
        "  script:",
        "    commands: [make]",
        "    env: {HEIMDALL_SBOM_DIR: /tmp, CXXFLAGS: -O3}",
        "env:",
        "  BUILD_TYPE: Release",
        "  CCACHE_DIR: /tmp/cache",
        "  UID: 0",
        "  PATH: /opt/tools/bin:/usr/bin:/bin",
      ),
    );
    expect(problems.map((q) => [q.line, q.column, q.path.join(".")])).toEqual([
      [6, 13, "matrix.include.0.env.CXX_STANDARD"],
      [6, 31, "matrix.include.0.env.CC"],
      [10, 11, "build.script.env.HEIMDALL_SBOM_DIR"],
      [10, 36, "build.script.env.CXXFLAGS"],
      [12, 3, "env.BUILD_TYPE"],
      [13, 3, "env.CCACHE_DIR"],
      [14, 3, "env.UID"],
    ]);
    expect(problems[0]?.message).toBe(
      "key 'CXX_STANDARD': heimdall-build sets it for every cell: the cell's C++ standard; env cannot change it",
    );
    expect(problems[1]?.message).toContain("the cell's C compiler, checked before the build");
    expect(problems[2]?.message).toContain("names starting HEIMDALL_ are heimdall-build's own");
    expect(problems[6]?.message).toContain("read-only in bash");
  });

  test("every cell variable is refused; PATH, LD_LIBRARY_PATH, ASAN_OPTIONS and CMAKE_BUILD_PARALLEL_LEVEL are the config's", () => {
    for (const name of [...CELL_VARIABLES, "CC", "CXX", "CFLAGS", "CXXFLAGS", "CCACHE_MAXSIZE", "HEIMDALL_X"]) {
      expect(reservedEnvReason(name), name).not.toBeNull();
    }
    for (const name of ["PATH", "LD_LIBRARY_PATH", "ASAN_OPTIONS", "CMAKE_BUILD_PARALLEL_LEVEL", "cc", "Boost_DIR"]) {
      expect(reservedEnvReason(name), name).toBeNull();
    }
  });

  test("a value with a NUL character cannot reach a build: an error at the value", () => {
    const problems = problemsOf(yaml("version: 1", "matrix:", "  compiler: [gcc@12]", 'env: {A: "x\\0y"}'));
    expect(problems.map((q) => [q.line, q.column, q.path.join("."), q.message])).toEqual([
      [4, 10, "env.A", "a value cannot hold a NUL character"],
    ]);
  });

  test(`a cell's environment is at most ${ENV_BYTES} bytes, the include entries' added up`, () => {
    const half = "x".repeat(ENV_BYTES / 2);
    const problems = problemsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, gcc@13]",
        "  include:",
        `    - {compiler: gcc@12, env: {A: ${half}}}`,
        `    - {compiler: gcc@12, env: {B: ${half}}}`,
        `    - {compiler: gcc@13, env: {B: ${half}}}`,
      ),
    );
    expect(problems.map((q) => [q.line, q.column, q.path.join(".")])).toEqual([[4, 3, "matrix.include"]]);
    expect(problems[0]?.message).toContain(`'linux / gcc-12 / c++17 / Release'`);
    const top = problemsOf(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12]", `env: {A: ${half}, B: ${half}, C: ${half}}`),
    );
    expect(top.map((q) => [q.line, q.path.join(".")])).toEqual([[4, "env"]]);
  });
});

describe("the variables every cell gets", () => {
  test("linux / gcc-12 / c++20 / Debug / asan", () => {
    const { byName } = parsed(yaml(...ASAN_CELL_CONFIG));
    expect(cellVariables(byName("linux / gcc-12 / c++20 / Debug / asan"))).toEqual(ASAN_CELL_VARIABLES);
  });

  test("a C cell has an empty CXX_STANDARD; sanitizers in the catalog's order; tests and coverage as the cell has them", () => {
    const { byName } = parsed(
      yaml(
        "version: 1",
        "matrix:",
        "  platform: [linux, windows, macos]",
        "  compiler: [clang@16, msvc@2022, apple-clang@15]",
        "  c_standard: [11]",
        "  include:",
        "    - {compiler: clang@16, sanitizers: [undefined, address], coverage: true, tests: false}",
      ),
    );
    expect(cellVariables(byName("linux / clang-16 / c11 / Release / asan+ubsan+coverage"))).toMatchObject({
      COMPILER_TYPE: "clang",
      CXX_STANDARD: "",
      C_STANDARD: "11",
      ENABLE_TESTS: "false",
      ENABLE_COVERAGE: "true",
      SANITIZERS: "address,undefined",
    });
    expect(cellVariables(byName("windows / msvc-2022 / c11 / Release"))).toMatchObject({
      PLATFORM: "windows",
      COMPILER_TYPE: "msvc",
      COMPILER_VERSION: "2022",
      ENABLE_SANITIZERS: "false",
      SANITIZERS: "",
    });
    expect(cellVariables(byName("macos / apple-clang-15 / c11 / Release"))).toMatchObject({
      COMPILER_TYPE: "apple-clang",
    });
  });

  test("ENABLE_TESTS is true where the cell runs its tests: an include entry's tests: true under a top-level false", () => {
    const { config, cells } = parsed(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, gcc@13]",
        "  include: [{compiler: gcc@12, tests: true}]",
        "tests: false",
      ),
    );
    const { matrix: _matrix, ...settings } = config;
    // The variable says what the test step does (test-phase.ts): gcc 12 runs ctest, gcc 13 has no test step.
    expect(
      cells.map((c) => [c.id, cellVariables(c).ENABLE_TESTS, testCommand(c, settings, "/j.xml") !== null]),
    ).toEqual([
      ["linux-gcc-12-cxx17-release", "true", true],
      ["linux-gcc-13-cxx17-release", "false", false],
    ]);
  });
});
