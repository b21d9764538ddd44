/**
 * The matrix's keys: its axes, `exclude` and `include` (their entries' axes in
 * matrix-entries.ts), read by
 * expandMatrix (config/matrix.ts) and makeCell (config/make-cell.ts). What
 * they change is which cells there are: their names (and ids), images, flags
 * and skip reasons. test/config/matrix.test.ts has the semantics in depth.
 */
import { config, type KeyProbe, names, parsed, phaseWords, probe, scriptOf } from "./probe.ts";

/** Each cell's name, image and skip reason. */
const cellsSeen = (text: string) =>
  parsed(text).cells.map((c) => ({ name: c.name, image: c.image, skipped: c.skipReason }));

const GCC12 = "  compiler: [gcc@12]";

export const MATRIX_PROBES: readonly KeyProbe[] = [
  probe({
    key: "matrix",
    base: config("matrix:", GCC12),
    changed: config("matrix:", "  compiler: [gcc@12, clang@16]", "  build_type: [Debug, Release]"),
    observe: names,
    // The axes multiplied.
    expected: [
      ["linux / gcc-12 / c++17 / Release"],
      [
        "linux / gcc-12 / c++17 / Debug",
        "linux / gcc-12 / c++17 / Release",
        "linux / clang-16 / c++17 / Debug",
        "linux / clang-16 / c++17 / Release",
      ],
    ],
  }),
  probe({
    key: "matrix.platform",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  platform: [windows]"),
    observe: cellsSeen,
    expected: [
      [{ name: "linux / gcc-12 / c++17 / Release", image: "heimdall-build/gcc-12:bookworm", skipped: null }],
      [
        {
          name: "windows / gcc-12 / c++17 / Release",
          image: null,
          skipped: "gcc does not target windows (it runs on linux, macos)",
        },
      ],
    ],
  }),
  probe({
    key: "matrix.compiler",
    base: config("matrix:", GCC12),
    changed: config("matrix:", "  compiler: [clang@16]"),
    observe: (text) => ({ cells: cellsSeen(text), configure: phaseWords(scriptOf(text), "configure")?.slice(8, 10) }),
    expected: [
      {
        cells: [{ name: "linux / gcc-12 / c++17 / Release", image: "heimdall-build/gcc-12:bookworm", skipped: null }],
        configure: ["-DCMAKE_C_COMPILER=gcc-12", "-DCMAKE_CXX_COMPILER=g++-12"],
      },
      {
        cells: [
          { name: "linux / clang-16 / c++17 / Release", image: "heimdall-build/clang-16:bookworm", skipped: null },
        ],
        configure: ["-DCMAKE_C_COMPILER=clang-16", "-DCMAKE_CXX_COMPILER=clang++-16"],
      },
    ],
  }),
  probe({
    key: "matrix.compiler[].name",
    base: config("matrix:", "  compiler: [{name: gcc, version: 14}]"),
    changed: config("matrix:", "  compiler: [{name: clang, version: 14}]"),
    observe: names,
    expected: [["linux / gcc-14 / c++17 / Release"], ["linux / clang-14 / c++17 / Release"]],
  }),
  probe({
    key: "matrix.compiler[].version",
    base: config("matrix:", "  compiler: [{name: gcc, version: [12]}]"),
    changed: config("matrix:", "  compiler: [{name: gcc, version: [12, 13]}]"),
    observe: names,
    expected: [
      ["linux / gcc-12 / c++17 / Release"],
      ["linux / gcc-12 / c++17 / Release", "linux / gcc-13 / c++17 / Release"],
    ],
  }),
  probe({
    key: "matrix.cxx_standard",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  cxx_standard: [20]"),
    observe: (text) => parsed(text).cells.map((c) => [c.name, c.stdFlag]),
    expected: [
      [["linux / gcc-12 / c++17 / Release", "-std=c++17"]],
      [["linux / gcc-12 / c++20 / Release", "-std=c++20"]],
    ],
  }),
  probe({
    key: "matrix.c_standard",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  c_standard: [11]"),
    // A cell with a C standard has no C++ standard unless the matrix names one.
    observe: (text) => parsed(text).cells.map((c) => [c.name, c.stdFlag, c.cStdFlag]),
    expected: [
      [["linux / gcc-12 / c++17 / Release", "-std=c++17", null]],
      [["linux / gcc-12 / c11 / Release", null, "-std=c11"]],
    ],
  }),
  probe({
    key: "matrix.llvm",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  llvm: [16]"),
    observe: (text) => ({
      cells: parsed(text).cells.map((c) => [c.name, c.packages]),
      variables: scriptOf(text).match(/^export LLVM_\w+=.*$/gm) ?? [],
    }),
    expected: [
      {
        cells: [["linux / gcc-12 / c++17 / Release", []]],
        variables: ["export LLVM_VERSION=''", "export LLVM_CONFIG=''", "export LLVM_DIR=''"],
      },
      {
        cells: [["linux / gcc-12 / c++17 / llvm-16 / Release", ["llvm-16-dev"]]],
        variables: [
          "export LLVM_VERSION='16'",
          "export LLVM_CONFIG='/usr/bin/llvm-config-16'",
          "export LLVM_DIR='/usr/lib/llvm-16/lib/cmake/llvm'",
        ],
      },
    ],
  }),
  probe({
    key: "matrix.axes",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  axes: {shared: [ON, OFF]}"),
    observe: (text) => ({
      cells: names(text),
      // The last cell's script.
      variables: scriptOf(text, names(text).length - 1).match(/^export MATRIX_\w+=.*$/gm) ?? [],
    }),
    expected: [
      { cells: ["linux / gcc-12 / c++17 / Release"], variables: [] },
      {
        cells: ["linux / gcc-12 / c++17 / Release / shared=ON", "linux / gcc-12 / c++17 / Release / shared=OFF"],
        variables: ["export MATRIX_SHARED='OFF'"],
      },
    ],
  }),
  probe({
    key: "matrix.build_type",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  build_type: [Debug]"),
    observe: (text) => [names(text), phaseWords(scriptOf(text), "configure")?.[7]],
    expected: [
      [["linux / gcc-12 / c++17 / Release"], "-DCMAKE_BUILD_TYPE=Release"],
      [["linux / gcc-12 / c++17 / Debug"], "-DCMAKE_BUILD_TYPE=Debug"],
    ],
  }),
  probe({
    key: "matrix.exclude",
    base: config("matrix:", "  compiler: [gcc@12, clang@16]"),
    changed: config("matrix:", "  compiler: [gcc@12, clang@16]", "  exclude: [{compiler: clang@16}]"),
    observe: names,
    expected: [
      ["linux / gcc-12 / c++17 / Release", "linux / clang-16 / c++17 / Release"],
      ["linux / gcc-12 / c++17 / Release"],
    ],
  }),
  probe({
    key: "matrix.include",
    base: config("matrix:", GCC12),
    changed: config("matrix:", GCC12, "  include: [{compiler: clang@16}]"),
    observe: names,
    // An entry that matches no combination is a new cell.
    expected: [
      ["linux / gcc-12 / c++17 / Release"],
      ["linux / gcc-12 / c++17 / Release", "linux / clang-16 / c++17 / Release"],
    ],
  }),
];
