/**
 * What a cell is built with, for every cell (top level) or the cells an
 * include entry matches: sanitizers, coverage, tests, image, packages, env and
 * configure args. Read by makeCell (config/make-cell.ts), then by the cell's
 * script (executor/cell-script.ts) and the Docker executor (its image, with
 * its packages: test/cli/run-packages.test.ts builds them).
 */
import {
  cmakeFlags,
  config,
  configExports,
  exports,
  type KeyProbe,
  names,
  parsed,
  phase,
  phaseWords,
  probe,
  scriptOf,
} from "./probe.ts";

const GCC12 = ["matrix:", "  compiler: [gcc@12]"];
const TWO = ["matrix:", "  compiler: [gcc@12, clang@16]"];
const CLANG_ENTRY = "  include: [{compiler: clang@16}]";
const entry = (more: string) => `  include: [{compiler: clang@16, ${more}}]`;

/** Each cell's name and the C++ flags its configure passes. */
const flagsOf = (text: string) =>
  parsed(text).cells.map((c, i) => [
    c.name,
    cmakeFlags(scriptOf(text, i)).find((f) => f.startsWith("-DCMAKE_CXX_FLAGS=")),
  ]);

const NO_FLAGS = "-DCMAKE_CXX_FLAGS=";
const GCC_CELL = "linux / gcc-12 / c++17 / Release";
const CLANG_CELL = "linux / clang-16 / c++17 / Release";

export const CELL_PROBES: readonly KeyProbe[] = [
  probe({
    key: "sanitizers",
    base: config(...GCC12),
    changed: config(...GCC12, "sanitizers: [address, undefined]"),
    observe: (text) => ({ flags: cmakeFlags(scriptOf(text)), names: names(text) }),
    expected: [
      {
        flags: [NO_FLAGS, "-DCMAKE_C_FLAGS=", "-DCMAKE_EXE_LINKER_FLAGS=", "-DCMAKE_SHARED_LINKER_FLAGS="],
        names: [GCC_CELL],
      },
      {
        flags: [
          "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined",
          "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined",
          "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined",
          "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined",
        ],
        names: [`${GCC_CELL} / asan+ubsan`],
      },
    ],
  }),
  probe({
    key: "coverage",
    base: config(...GCC12),
    changed: config(...GCC12, "coverage: true"),
    observe: (text) => ({ flags: cmakeFlags(scriptOf(text)), names: names(text) }),
    expected: [
      {
        flags: [NO_FLAGS, "-DCMAKE_C_FLAGS=", "-DCMAKE_EXE_LINKER_FLAGS=", "-DCMAKE_SHARED_LINKER_FLAGS="],
        names: [GCC_CELL],
      },
      {
        flags: [
          "-DCMAKE_CXX_FLAGS=--coverage",
          "-DCMAKE_C_FLAGS=--coverage",
          "-DCMAKE_EXE_LINKER_FLAGS=--coverage",
          "-DCMAKE_SHARED_LINKER_FLAGS=--coverage",
        ],
        names: [`${GCC_CELL} / coverage`],
      },
    ],
  }),
  probe({
    key: "image",
    // gcc 7 has no image recipe (Debian carries gcc 9-16): skipped, unless the config names an image.
    base: config("matrix:", "  compiler: [gcc@12, gcc@7]"),
    changed: config("matrix:", "  compiler: [gcc@12, gcc@7]", "image: myorg/cpp:1"),
    observe: (text) => parsed(text).cells.map((c) => [c.name, c.image, c.skipReason]),
    expected: [
      [
        [GCC_CELL, "heimdall-build/gcc-12:bookworm", null],
        [
          "linux / gcc-7 / c++17 / Release",
          null,
          "no image recipe provides gcc 7 on linux (Debian's suites carry gcc 9-16); set `image:` to an image that has it",
        ],
      ],
      [
        [GCC_CELL, "myorg/cpp:1", null],
        ["linux / gcc-7 / c++17 / Release", "myorg/cpp:1", null],
      ],
    ],
  }),
  probe({
    key: "packages",
    base: config(...GCC12),
    changed: config(...GCC12, "packages: [libssl-dev, libfmt-dev]"),
    observe: (text) => parsed(text).cells.map((c) => c.packages),
    expected: [[[]], [["libfmt-dev", "libssl-dev"]]],
  }),
  probe({
    key: "env",
    base: config(...GCC12),
    changed: config(...GCC12, "env: {PROJECT_MODE: ci, LEVEL: 2}"),
    // Exported after the compiler check, values literal and as text.
    observe: (text) => configExports(scriptOf(text)),
    expected: [{}, { PROJECT_MODE: "ci", LEVEL: "2" }],
  }),
  probe({
    key: "matrix.include[].sanitizers",
    base: config(...TWO, CLANG_ENTRY),
    changed: config(...TWO, entry("sanitizers: [address]")),
    observe: flagsOf,
    expected: [
      [
        [GCC_CELL, NO_FLAGS],
        [CLANG_CELL, NO_FLAGS],
      ],
      [
        [GCC_CELL, NO_FLAGS],
        [`${CLANG_CELL} / asan`, "-DCMAKE_CXX_FLAGS=-fsanitize=address -fno-omit-frame-pointer"],
      ],
    ],
  }),
  probe({
    key: "matrix.include[].coverage",
    base: config(...TWO, CLANG_ENTRY),
    changed: config(...TWO, entry("coverage: true")),
    observe: flagsOf,
    expected: [
      [
        [GCC_CELL, NO_FLAGS],
        [CLANG_CELL, NO_FLAGS],
      ],
      [
        [GCC_CELL, NO_FLAGS],
        [`${CLANG_CELL} / coverage`, "-DCMAKE_CXX_FLAGS=--coverage"],
      ],
    ],
  }),
  probe({
    key: "matrix.include[].tests",
    base: config(...TWO, CLANG_ENTRY),
    changed: config(...TWO, entry("tests: false")),
    observe: (text) =>
      parsed(text).cells.map((_, i) => {
        const script = scriptOf(text, i);
        return [exports(script).ENABLE_TESTS, phase(script, "test") !== null];
      }),
    expected: [
      [
        ["true", true],
        ["true", true],
      ],
      [
        ["true", true],
        ["false", false],
      ],
    ],
  }),
  probe({
    key: "matrix.include[].image",
    base: config(...TWO, CLANG_ENTRY),
    changed: config(...TWO, entry("image: myorg/clang:16")),
    observe: (text) => parsed(text).cells.map((c) => c.image),
    expected: [
      ["heimdall-build/gcc-12:bookworm", "heimdall-build/clang-16:bookworm"],
      ["heimdall-build/gcc-12:bookworm", "myorg/clang:16"],
    ],
  }),
  probe({
    key: "matrix.include[].packages",
    base: config(...TWO, CLANG_ENTRY, "packages: [libfmt-dev]"),
    changed: config(...TWO, entry("packages: [libc++-16-dev]"), "packages: [libfmt-dev]"),
    // Added to the top level's, for the entry's cells.
    observe: (text) => parsed(text).cells.map((c) => c.packages),
    expected: [
      [["libfmt-dev"], ["libfmt-dev"]],
      [["libfmt-dev"], ["libc++-16-dev", "libfmt-dev"]],
    ],
  }),
  probe({
    key: "matrix.include[].env",
    base: config(...TWO, CLANG_ENTRY, "env: {MODE: ci}"),
    changed: config(...TWO, entry("env: {MODE: clang, USE_LIBCXX: 1}"), "env: {MODE: ci}"),
    // Over the top level's, for the entry's cells.
    observe: (text) => parsed(text).cells.map((_, i) => configExports(scriptOf(text, i))),
    expected: [
      [{ MODE: "ci" }, { MODE: "ci" }],
      [{ MODE: "ci" }, { MODE: "clang", USE_LIBCXX: "1" }],
    ],
  }),
  probe({
    key: "matrix.include[].configure_args",
    base: config(...TWO, CLANG_ENTRY, "build: {cmake: {configure_args: [-DA=1]}}"),
    changed: config(...TWO, entry("configure_args: [-DUSE_LIBCXX=ON]"), "build: {cmake: {configure_args: [-DA=1]}}"),
    // Appended to build.cmake.configure_args, for the entry's cells.
    observe: (text) => parsed(text).cells.map((_, i) => phaseWords(scriptOf(text, i), "configure")?.slice(13)),
    expected: [
      [["-DA=1"], ["-DA=1"]],
      [["-DA=1"], ["-DA=1", "-DUSE_LIBCXX=ON"]],
    ],
  }),
];
