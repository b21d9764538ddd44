/**
 * Custom axes (`matrix.axes`): multiplied with the built-in ones, excluded and
 * included by name like them, in cell names and ids, MATRIX_<NAME> in the
 * build; bad names, values and stray keys refused where they are written.
 */
import { describe, expect, test } from "vitest";
import { cellVariables } from "../../src/config/cell-environment.ts";
import { parseConfigOrThrow } from "../../src/config/parse.ts";
import { cellsOf, problemLines, yaml } from "./helpers.ts";

describe("a custom axis", () => {
  test("multiplies with the others, in declared order, named NAME=VALUE and NAME-VALUE in ids", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12]",
        "  axes:",
        "    shared: [ON, OFF]",
        "    backend: [a, 2, true]",
      ),
    );
    expect(cells.map((c) => c.name)).toEqual([
      "linux / gcc-12 / c++17 / Release / shared=ON / backend=a",
      "linux / gcc-12 / c++17 / Release / shared=ON / backend=2",
      "linux / gcc-12 / c++17 / Release / shared=ON / backend=true",
      "linux / gcc-12 / c++17 / Release / shared=OFF / backend=a",
      "linux / gcc-12 / c++17 / Release / shared=OFF / backend=2",
      "linux / gcc-12 / c++17 / Release / shared=OFF / backend=true",
    ]);
    expect(cells[4]?.id).toBe("linux-gcc-12-cxx17-release-shared-OFF-backend-2");
    expect(cells[4]?.customAxes).toEqual({ shared: "OFF", backend: "2" });
  });

  test("is excluded and included by name; an include entry's new cell takes a single-valued axis", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, clang@16]",
        "  axes: {shared: [ON, OFF], lto: [no]}",
        "  exclude:",
        "    - {compiler: clang@16, shared: OFF}",
        "  include:",
        "    - {shared: OFF, env: {STATIC: 1}}",
        "    - {compiler: gcc@13, shared: ON}",
      ),
    );
    expect(cells.map((c) => [c.name, c.env])).toEqual([
      ["linux / gcc-12 / c++17 / Release / shared=ON / lto=no", {}],
      ["linux / gcc-12 / c++17 / Release / shared=OFF / lto=no", { STATIC: "1" }],
      ["linux / clang-16 / c++17 / Release / shared=ON / lto=no", {}],
      ["linux / gcc-13 / c++17 / Release / shared=ON / lto=no", {}],
    ]);
  });

  test("a new cell from include must say which value of a several-valued custom axis", () => {
    expect(
      problemLines(
        yaml(
          "version: 1",
          "matrix:",
          "  compiler: [gcc@12]",
          "  axes: {shared: [ON, OFF]}",
          "  include:",
          "    - compiler: gcc@13",
        ),
      ),
    ).toEqual([
      "6:7 matrix.include.0: this include entry matches no combination, so it makes a new cell, but it does not say which shared (the matrix has ON, OFF); add shared to it",
    ]);
  });

  test("is MATRIX_<NAME> in the cell's variables", () => {
    const { cells } = parseConfigOrThrow(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  axes: {shared: [OFF], build_mode: [fast]}"),
    );
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    expect(cellVariables(cell)).toMatchObject({ MATRIX_SHARED: "OFF", MATRIX_BUILD_MODE: "fast" });
  });
});

describe("refused", () => {
  test("a name that is not lower case, or a built-in key; a value with spaces or slashes; the same value twice", () => {
    expect(
      problemLines(
        yaml(
          "version: 1",
          "matrix:",
          "  compiler: [gcc@12]",
          "  axes:",
          "    Shared: [ON]",
          "    tests: [a]",
          "    ok: [a b, x/y, a]",
          "    dup: [1, '1']",
        ),
      ),
    ).toEqual([
      "5:5 matrix.axes.Shared: key 'Shared': a custom axis's name is lower case letters, digits and _, starting with a letter",
      "6:5 matrix.axes.tests: key 'tests': is a built-in key of the matrix or its entries",
      "7:10 matrix.axes.ok.0: a custom axis's value is a word, number or true/false (letters, digits, . _ -, at most 64 characters); got 'a b'",
      "7:15 matrix.axes.ok.1: a custom axis's value is a word, number or true/false (letters, digits, . _ -, at most 64 characters); got 'x/y'",
      "8:14 matrix.axes.dup.1: value listed twice",
    ]);
  });

  test("an include or exclude key that is no declared axis, with a did-you-mean; a bad value for a declared one", () => {
    expect(
      problemLines(
        yaml(
          "version: 1",
          "matrix:",
          "  compiler: [gcc@12]",
          "  axes: {shared: [ON, OFF]}",
          "  include:",
          "    - {compiler: gcc@12, shraed: ON}",
          "    - {compiler: gcc@12, shared: [ON]}",
          "  exclude:",
          "    - {backend: a}",
        ),
      ),
    ).toEqual([
      "6:26 matrix.include.0.shraed: unknown key 'shraed'; did you mean 'shared'?",
      "7:34 matrix.include.1.shared: a custom axis's value is a word, number or true/false (letters, digits, . _ -, at most 64 characters); got a list of 1",
      "9:8 matrix.exclude.0.backend: unknown key 'backend'; allowed here: platform, compiler, cxx_standard, c_standard, llvm, build_type, shared (custom axes are declared in matrix.axes)",
    ]);
  });

  test("MATRIX_ names in env: they are the custom axes'", () => {
    expect(problemLines(yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "env: {MATRIX_SHARED: x}"))).toEqual([
      "4:7 env.MATRIX_SHARED: key 'MATRIX_SHARED': names starting MATRIX_ are the custom axes' (matrix.axes), set for every cell",
    ]);
  });
});
