/** parseConfig's `matrix` option (the API's explicit cells): the file's settings, exactly the given cells. */
import { describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import { yaml } from "./helpers.ts";

const FILE = yaml(
  "version: 1", // 1
  "matrix:", // 2
  "  compiler: [clang@16, gcc@13]", // 3
  "  axes: {shared: [ON, OFF]}", // 4
  "tests: false", // 5
);
const cell = (compiler: string, cxx: number) => ({
  platform: "linux",
  compiler,
  cxx_standard: cxx,
  build_type: "Debug",
});

describe("parseConfig with a matrix given", () => {
  test("builds exactly its cells with the file's other settings; an impossible one is skipped, not an error", () => {
    const result = parseConfig(FILE, { matrix: { include: [cell("gcc@12", 20), cell("gcc@9", 23)] } });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.cells.map((c) => [c.name, c.skipped])).toEqual([
      ["linux / gcc-12 / c++20 / Debug", false],
      ["linux / gcc-9 / c++23 / Debug", true],
    ]);
    expect(result.config.tests.enabled).toBe(false);
  });

  test("a given cell's problem keeps its path and points at the file's start; the file's own keep their places", () => {
    const bad = parseConfig(FILE, { matrix: { include: [cell("gcc@99", 17)] } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => [p.line, p.column, p.path.join(".")])).toEqual([
      [1, 1, "matrix.include.0.compiler"],
    ]);
    const uses = `${FILE}build:\n  cmake:\n    configure_args: ['-DX=\${{ matrix.shared }}']\n`;
    const axis = parseConfig(uses, { matrix: { include: [cell("gcc@12", 17)] } });
    expect(axis.ok).toBe(false);
    if (axis.ok) return;
    // The file's matrix (and its axes) are replaced: a setting naming its axis is a problem, on its own line.
    expect(axis.problems.map((p) => [p.line, p.message])).toEqual([[8, expect.stringContaining("names no axis")]]);
  });
});
