/**
 * The axes of `matrix.include` and `matrix.exclude` entries, read by
 * expandMatrix (config/matrix.ts): an include entry's properties go to the
 * cells with its axes' values, an exclude entry removes the combinations with
 * all of them. Each axis alone: an entry with it, and the same entry without.
 */
import { config, type KeyProbe, names, probe } from "./probe.ts";

/** An axis, two of its values (the second one the entry names), and a compiler line for the matrix. */
interface Axis {
  readonly key: string;
  /** The matrix's line for the axis: its two values. */
  readonly values: string;
  /** The entry's value, YAML: it picks the second value's cells. */
  readonly pick: string;
  /** The compiler axis, when the axis is not it. */
  readonly compiler?: string;
}

const AXES: readonly Axis[] = [
  { key: "platform", values: "platform: [linux, windows]", pick: "windows", compiler: "compiler: [gcc@12]" },
  { key: "compiler", values: "compiler: [gcc@12, clang@16]", pick: "clang@16" },
  { key: "cxx_standard", values: "cxx_standard: [17, 20]", pick: "20", compiler: "compiler: [gcc@12]" },
  { key: "c_standard", values: "c_standard: [11, 17]", pick: "17", compiler: "compiler: [gcc@12]" },
  { key: "llvm", values: "llvm: [16, 19]", pick: "19", compiler: "compiler: [gcc@12]" },
  { key: "build_type", values: "build_type: [Debug, Release]", pick: "Debug", compiler: "compiler: [gcc@12]" },
];

/** The cells of a two-value axis (and gcc 12, Release), in the matrix's order. */
const AXIS_CELLS: Readonly<Record<string, readonly [string, string]>> = {
  platform: ["linux / gcc-12 / c++17 / Release", "windows / gcc-12 / c++17 / Release"],
  compiler: ["linux / gcc-12 / c++17 / Release", "linux / clang-16 / c++17 / Release"],
  cxx_standard: ["linux / gcc-12 / c++17 / Release", "linux / gcc-12 / c++20 / Release"],
  c_standard: ["linux / gcc-12 / c11 / Release", "linux / gcc-12 / c17 / Release"],
  llvm: ["linux / gcc-12 / c++17 / llvm-16 / Release", "linux / gcc-12 / c++17 / llvm-19 / Release"],
  build_type: ["linux / gcc-12 / c++17 / Debug", "linux / gcc-12 / c++17 / Release"],
};

/** An include entry's axis: the entry's properties (coverage) go to the cells with that value only. */
function includeAxis(axis: Axis): KeyProbe {
  const matrix = ["matrix:", ...(axis.compiler ? [`  ${axis.compiler}`] : []), `  ${axis.values}`];
  const [first, second] = AXIS_CELLS[axis.key] ?? ["", ""];
  // build_type lists Debug first: the picked value's cell is the first one there.
  const pickedFirst = axis.key === "build_type";
  return probe({
    key: `matrix.include[].${axis.key}`,
    base: config(...matrix, "  include: [{coverage: true}]"),
    changed: config(...matrix, `  include: [{${axis.key}: ${axis.pick}, coverage: true}]`),
    observe: names,
    expected: [
      [`${first} / coverage`, `${second} / coverage`],
      pickedFirst ? [`${first} / coverage`, second] : [first, `${second} / coverage`],
    ],
  });
}

/** An exclude entry's axis: the entry removes only the combinations that have that value too. */
function excludeAxis(axis: Axis): KeyProbe {
  // The other axis the entry names: build_type (Debug), or the compiler (gcc 12) for build_type itself.
  if (axis.key === "build_type") {
    const matrix = ["matrix:", "  compiler: [gcc@12, clang@16]", `  ${axis.values}`];
    return probe({
      key: "matrix.exclude[].build_type",
      base: config(...matrix, "  exclude: [{compiler: gcc@12}]"),
      changed: config(...matrix, "  exclude: [{compiler: gcc@12, build_type: Debug}]"),
      observe: names,
      expected: [
        ["linux / clang-16 / c++17 / Debug", "linux / clang-16 / c++17 / Release"],
        ["linux / gcc-12 / c++17 / Release", "linux / clang-16 / c++17 / Debug", "linux / clang-16 / c++17 / Release"],
      ],
    });
  }
  const matrix = ["matrix:", ...(axis.compiler ? [`  ${axis.compiler}`] : []), `  ${axis.values}`];
  const [first, second] = AXIS_CELLS[axis.key] ?? ["", ""];
  return probe({
    key: `matrix.exclude[].${axis.key}`,
    base: config(...matrix, "  build_type: [Debug, Release]", "  exclude: [{build_type: Debug}]"),
    changed: config(
      ...matrix,
      "  build_type: [Debug, Release]",
      `  exclude: [{build_type: Debug, ${axis.key}: ${axis.pick}}]`,
    ),
    observe: names,
    // Every Debug combination removed, or only the picked value's.
    expected: [
      [first, second],
      [first.replace(/Release$/, "Debug"), first, second],
    ],
  });
}

/** The compiler written as an object, in an include or exclude entry: its name, then its version, each alone. */
function compilerObject(where: "include" | "exclude", part: "name" | "version"): KeyProbe {
  const [from, to] =
    part === "name"
      ? ["{name: gcc, version: 14}", "{name: clang, version: 14}"]
      : ["{name: clang, version: 14}", "{name: clang, version: 16}"];
  const matrix = ["matrix:", "  compiler: [gcc@14, clang@14, clang@16]"];
  const entry = (compiler: string) =>
    where === "include"
      ? `  include: [{compiler: ${compiler}, coverage: true}]`
      : `  exclude: [{compiler: ${compiler}}]`;
  return probe({
    key: `matrix.${where}[].compiler.${part}`,
    base: config(...matrix, entry(from)),
    changed: config(...matrix, entry(to)),
    observe: (text) => names(text).map((n) => n.replace(" / c++17 / Release", "")),
    expected:
      where === "include"
        ? part === "name"
          ? [
              ["linux / gcc-14 / coverage", "linux / clang-14", "linux / clang-16"],
              ["linux / gcc-14", "linux / clang-14 / coverage", "linux / clang-16"],
            ]
          : [
              ["linux / gcc-14", "linux / clang-14 / coverage", "linux / clang-16"],
              ["linux / gcc-14", "linux / clang-14", "linux / clang-16 / coverage"],
            ]
        : part === "name"
          ? [
              ["linux / clang-14", "linux / clang-16"],
              ["linux / gcc-14", "linux / clang-16"],
            ]
          : [
              ["linux / gcc-14", "linux / clang-16"],
              ["linux / gcc-14", "linux / clang-14"],
            ],
  });
}

/** A custom axis (matrix.axes) named in an entry, its other keys: the entry applies to that value's cells only. */
const CUSTOM_AXIS_ENTRIES: readonly KeyProbe[] = [
  probe({
    key: "matrix.include[].*",
    base: config("matrix:", "  compiler: [gcc@12]", "  axes: {shared: [ON, OFF]}", "  include: [{coverage: true}]"),
    changed: config(
      "matrix:",
      "  compiler: [gcc@12]",
      "  axes: {shared: [ON, OFF]}",
      "  include: [{shared: OFF, coverage: true}]",
    ),
    observe: names,
    expected: [
      [
        "linux / gcc-12 / c++17 / Release / shared=ON / coverage",
        "linux / gcc-12 / c++17 / Release / shared=OFF / coverage",
      ],
      ["linux / gcc-12 / c++17 / Release / shared=ON", "linux / gcc-12 / c++17 / Release / shared=OFF / coverage"],
    ],
  }),
  probe({
    key: "matrix.exclude[].*",
    base: config(
      "matrix:",
      "  compiler: [gcc@12, clang@16]",
      "  axes: {shared: [ON, OFF]}",
      "  exclude: [{compiler: clang@16}]",
    ),
    changed: config(
      "matrix:",
      "  compiler: [gcc@12, clang@16]",
      "  axes: {shared: [ON, OFF]}",
      "  exclude: [{compiler: clang@16, shared: OFF}]",
    ),
    observe: names,
    expected: [
      ["linux / gcc-12 / c++17 / Release / shared=ON", "linux / gcc-12 / c++17 / Release / shared=OFF"],
      [
        "linux / gcc-12 / c++17 / Release / shared=ON",
        "linux / gcc-12 / c++17 / Release / shared=OFF",
        "linux / clang-16 / c++17 / Release / shared=ON",
      ],
    ],
  }),
];

export const MATRIX_ENTRY_PROBES: readonly KeyProbe[] = [
  ...CUSTOM_AXIS_ENTRIES,
  ...AXES.map(includeAxis),
  ...AXES.map(excludeAxis),
  compilerObject("include", "name"),
  compilerObject("include", "version"),
  compilerObject("exclude", "name"),
  compilerObject("exclude", "version"),
];
