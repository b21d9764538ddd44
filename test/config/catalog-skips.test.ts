/**
 * What the catalog does to the expanded matrix: cells a compiler cannot build
 * are skipped with a reason (never an error), the others get the compiler's own
 * `-std=` spelling.
 */
import { describe, expect, it } from "vitest";
import { skipReason } from "../../src/config/catalog.ts";
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { cellsOf, yaml } from "./helpers.ts";

/** The one cell of a config whose matrix makes exactly one. */
function onlyCell(...lines: string[]): Cell {
  const cells = cellsOf(yaml("version: 1", ...lines));
  expect(cells).toHaveLength(1);
  const [cell] = cells;
  if (!cell) throw new Error("no cell");
  return cell;
}

function expectSkipped(cell: Cell, ...words: string[]) {
  expect(cell.skipped).toBe(true);
  expect(cell.stdFlag).toBeNull();
  for (const word of words) expect(cell.skipReason).toContain(word);
}

function expectRuns(cell: Cell, stdFlag: string) {
  expect(cell.skipReason).toBeNull();
  expect(cell.skipped).toBe(false);
  expect(cell.stdFlag).toBe(stdFlag);
}

describe("standards", () => {
  it("skips gcc 7 with C++23 and says which standards it has", () => {
    const cell = onlyCell("image: gcc:7", "matrix:", "  compiler: [gcc@7]", "  cxx_standard: [23]");
    expectSkipped(cell, "gcc 7", "C++23", "C++11, C++14, C++17");
  });

  it("gives clang 16 C++23 as -std=c++2b, the only spelling it accepts", () => {
    expectRuns(onlyCell("matrix:", "  compiler: [clang@16]", "  cxx_standard: [23]"), "-std=c++2b");
  });

  it("gives clang 17 C++23 as -std=c++23", () => {
    expectRuns(onlyCell("matrix:", "  compiler: [clang@17]", "  cxx_standard: [23]"), "-std=c++23");
  });

  it("gives gcc 12 C++20 as -std=c++20", () => {
    expectRuns(onlyCell("matrix:", "  compiler: [gcc@12]", "  cxx_standard: [20]"), "-std=c++20");
  });

  it("gives gcc 8 C++20 as -std=c++2a", () => {
    // No Debian suite carries gcc 8: on linux it needs an image of its own.
    expectRuns(onlyCell("image: gcc:8", "matrix:", "  compiler: [gcc@8]", "  cxx_standard: [20]"), "-std=c++2a");
    expectRuns(onlyCell("matrix:", "  platform: [macos]", "  compiler: [gcc@8]", "  cxx_standard: [20]"), "-std=c++2a");
  });

  it("skips MSVC with C++11, which it has no mode for", () => {
    const cell = onlyCell("matrix:", "  platform: [windows]", "  compiler: [msvc@2022]", "  cxx_standard: [11]");
    expectSkipped(cell, "C++11", "/std:c++14");
  });

  it("gives MSVC its /std: flags", () => {
    expectRuns(
      onlyCell("matrix:", "  platform: [windows]", "  compiler: [msvc@2019]", "  cxx_standard: [20]"),
      "/std:c++20",
    );
  });
});

describe("platforms", () => {
  it("skips MSVC on linux", () => {
    expectSkipped(onlyCell("matrix:", "  compiler: [msvc@2022]"), "msvc", "linux", "windows");
  });

  it("skips gcc on windows and apple-clang off macos", () => {
    expectSkipped(onlyCell("matrix:", "  platform: [windows]", "  compiler: [gcc@12]"), "windows");
    expectSkipped(onlyCell("matrix:", "  platform: [linux]", "  compiler: [apple-clang@16]"), "linux", "macos");
  });

  it("skips a compiler no Debian suite carries on linux, unless the config names an image", () => {
    const cell = onlyCell("matrix:", "  compiler: [clang@12]");
    expectSkipped(cell, "clang 12", "image");
    expect(cell.image).toBeNull();

    const withImage = onlyCell("image: ghcr.io/me/clang-12:latest", "matrix:", "  compiler: [clang@12]");
    expectRuns(withImage, "-std=c++17");
    expect(withImage.image).toBe("ghcr.io/me/clang-12:latest");
  });

  it("runs a catalog compiler on linux in the catalog's image", () => {
    const cell = onlyCell("matrix:", "  compiler: [gcc@12]");
    expectRuns(cell, "-std=c++17");
    expect(cell.image).toMatch(/gcc-12/);
  });

  it("gives cells off linux no image", () => {
    expect(onlyCell("matrix:", "  platform: [macos]", "  compiler: [clang@17]").image).toBeNull();
  });
});

describe("sanitizers and coverage", () => {
  it("skips address with thread: they cannot be linked into one program", () => {
    const cell = onlyCell("sanitizers: [address, thread]", "matrix:", "  compiler: [gcc@12]");
    expectSkipped(cell, "address", "thread");
  });

  it.each([
    ["address", "memory"],
    ["thread", "memory"],
    ["thread", "leak"],
    ["memory", "leak"],
  ])("skips %s with %s", (a, b) => {
    expectSkipped(onlyCell(`sanitizers: [${a}, ${b}]`, "matrix:", "  compiler: [clang@17]"), a, b);
  });

  it("runs address with undefined", () => {
    expectRuns(onlyCell("sanitizers: [address, undefined]", "matrix:", "  compiler: [gcc@12]"), "-std=c++17");
  });

  it("skips gcc with the memory sanitizer, which only clang has", () => {
    expectSkipped(onlyCell("sanitizers: [memory]", "matrix:", "  compiler: [gcc@12]"), "memory");
    expectRuns(onlyCell("sanitizers: [memory]", "matrix:", "  compiler: [clang@17]"), "-std=c++17");
  });

  it("skips MSVC with coverage", () => {
    const cell = onlyCell("coverage: true", "matrix:", "  platform: [windows]", "  compiler: [msvc@2022]");
    expectSkipped(cell, "coverage");
  });
});

describe("skipped cells", () => {
  it("stay in the expansion, in order, and are never problems", () => {
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [linux, windows]",
      "  compiler: [gcc@7, gcc@12, clang@12, msvc@2022]",
      "  cxx_standard: [11, 23]",
    );
    const result = parseConfig(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([]);
    expect(result.cells).toHaveLength(2 * 4 * 2);
    const runs = result.cells.filter((c) => !c.skipped).map((c) => c.name);
    expect(runs.sort()).toEqual(
      [
        "linux / gcc-12 / c++11 / Release",
        "linux / gcc-12 / c++23 / Release",
        // clang targets windows, where no image is needed.
        "windows / clang-12 / c++11 / Release",
        "windows / clang-12 / c++23 / Release",
        "windows / msvc-2022 / c++23 / Release",
      ].sort(),
    );
    for (const cell of result.cells) {
      expect(cell.skipped).toBe(cell.skipReason !== null);
      expect(cell.skipped).toBe(cell.stdFlag === null);
    }
  });

  it("agree with skipReason for every catalog compiler and standard", () => {
    const compilers = ["gcc@7", "gcc@16", "clang@9", "clang@23", "apple-clang@12", "apple-clang@17", "msvc@2019"];
    const text = yaml(
      "version: 1",
      "matrix:",
      "  platform: [linux, macos, windows]",
      `  compiler: [${compilers.join(", ")}]`,
      "  cxx_standard: [11, 14, 17, 20, 23, 26]",
    );
    for (const cell of cellsOf(text)) {
      expect(cell.skipReason).toBe(
        skipReason({
          platform: cell.platform,
          family: cell.compiler.family,
          version: cell.compiler.version,
          cxxStandard: cell.cxxStandard,
          cStandard: cell.cStandard,
          sanitizers: cell.sanitizers,
          coverage: cell.coverage,
          imageOverride: false,
        }),
      );
    }
  });
});
