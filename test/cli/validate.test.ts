/** `heimdall-build validate` and friends, run in-process on temporary folders. */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFolder } from "../support/cli-folder.ts";

const { root, run, write } = useCliFolder();

const VALID = [
  "version: 1",
  "matrix:",
  "  compiler: [gcc@12, clang@12]",
  "  include:",
  "    - compiler: gcc@12",
  "      sanitizers: [address, undefined]",
  "",
].join("\n");

const CELL_KEYS = [
  "id",
  "name",
  "platform",
  "compiler",
  "compiler_version",
  "cxx_standard",
  "c_standard",
  "build_type",
  "sanitizers",
  "coverage",
  "tests",
  "skipped",
  "skip_reason",
  "image",
];

describe("validate --json", () => {
  it("prints the cells and exits 0 for a valid config", async () => {
    await write("repo/.heimdall-build.yml", VALID);
    const { code, stdout, stderr } = await run("validate", "repo", "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const output = JSON.parse(stdout) as { cells: Record<string, unknown>[] };
    expect(Object.keys(output)).toEqual(["cells"]);
    expect(output.cells).toHaveLength(2);
    for (const cell of output.cells) expect(Object.keys(cell)).toEqual(CELL_KEYS);
    expect(output.cells[0]).toEqual({
      id: expect.any(String),
      name: "linux / gcc-12 / c++17 / Release / asan+ubsan",
      platform: "linux",
      compiler: "gcc",
      compiler_version: 12,
      cxx_standard: 17,
      c_standard: null,
      build_type: "Release",
      sanitizers: ["address", "undefined"],
      coverage: false,
      tests: true,
      skipped: false,
      skip_reason: null,
      image: "heimdall-build/gcc-12:bookworm",
    });
    expect(output.cells[1]).toMatchObject({
      name: "linux / clang-12 / c++17 / Release",
      compiler: "clang",
      compiler_version: 12,
      sanitizers: [],
      skipped: true,
      skip_reason: expect.stringContaining("image"),
      image: null,
    });
  });

  it("gives a C cell its c_standard, no cxx_standard, and both flags in the table", async () => {
    await write(
      "repo/.heimdall-build.yml",
      ["version: 1", "matrix:", "  compiler: [gcc@12]", "  c_standard: [23]", ""].join("\n"),
    );
    const json = await run("validate", "repo", "--json");
    expect((JSON.parse(json.stdout) as { cells: unknown[] }).cells).toEqual([
      expect.objectContaining({ name: "linux / gcc-12 / c23 / Release", cxx_standard: null, c_standard: 23 }),
    ]);
    const table = await run("validate", "repo");
    expect(table.stdout).toMatch(/linux \/ gcc-12 \/ c23 \/ Release +-std=c2x /);
  });

  it("gives a cell off Linux no image", async () => {
    await write("repo/.heimdall-build.yml", "version: 1\nmatrix:\n  platform: [windows]\n  compiler: [msvc@2022]\n");
    const { code, stdout, stderr } = await run("validate", "repo", "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const { cells } = JSON.parse(stdout) as { cells: Record<string, unknown>[] };
    expect(cells.map((cell) => [cell.platform, cell.image, "image_present" in cell])).toEqual([
      ["windows", null, false],
    ]);
  });

  it("accepts an absolute folder", async () => {
    await write("repo/.heimdall-build.yml", VALID);
    const { code, stdout } = await run("validate", path.join(root(), "repo"), "--json");
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { cells: unknown[] }).cells).toHaveLength(2);
  });

  it("reads the current folder when none is given", async () => {
    await write(".heimdall-build.yml", VALID);
    const { code } = await run("validate", "--json");
    expect(code).toBe(0);
  });

  it("prints warnings on stderr and still exits 0", async () => {
    await write(
      "repo/.heimdall-build.yml",
      ["version: 1", "matrix:", "  compiler: [gcc@12]", "  exclude:", "    - compiler: gcc@13", ""].join("\n"),
    );
    const { code, stdout, stderr } = await run("validate", "repo", "--json");
    expect(code).toBe(0);
    expect(stderr).toMatch(/^repo\/\.heimdall-build\.yml:5:7: warning: matrix\.exclude\[0\]: /);
    expect((JSON.parse(stdout) as { cells: unknown[] }).cells).toHaveLength(1);
  });
});

describe("validate on a bad config", () => {
  const BAD = ["version: 1", "matrix:", "  compilr: [gcc@12]", "coverage: yes", ""].join("\n");

  it("exits 1 with one FILE:LINE:COL: error: line a problem, FILE relative to the current folder", async () => {
    await write("repo/.heimdall-build.yml", BAD);
    const { code, stderr } = await run("validate", "repo");
    expect(code).toBe(1);
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^repo\/\.heimdall-build\.yml:\d+:\d+: error: /);
    expect(lines[0]).toBe(
      "repo/.heimdall-build.yml:3:3: error: matrix: unknown key 'compilr'; did you mean 'compiler'?",
    );
    expect(lines[1]).toMatch(/^repo\/\.heimdall-build\.yml:4:11: error: coverage: /);
  });

  it("with --json, also prints the errors as JSON on stdout", async () => {
    await write("repo/.heimdall-build.yml", BAD);
    const { code, stdout, stderr } = await run("validate", "repo", "--json");
    expect(code).toBe(1);
    expect(stderr).toMatch(/^repo\/\.heimdall-build\.yml:3:3: error: /);
    const output = JSON.parse(stdout) as { errors: Record<string, unknown>[] };
    expect(output.errors.map((e) => [e.file, e.line, e.column, e.field])).toEqual([
      ["repo/.heimdall-build.yml", 3, 3, "matrix.compilr"],
      ["repo/.heimdall-build.yml", 4, 11, "coverage"],
    ]);
  });

  it("exits 1 for YAML it cannot read", async () => {
    await write("repo/.heimdall-build.yml", "version: 1\nmatrix:\n\tcompiler: [gcc@12]\n");
    const { code, stderr } = await run("validate", "repo");
    expect(code).toBe(1);
    expect(stderr).toMatch(/^repo\/\.heimdall-build\.yml:3:1: error: YAML: /);
  });

  it("exits 1 for a file over the size limit", async () => {
    await write("repo/.heimdall-build.yml", `version: 1\n#${"x".repeat(300 * 1024)}\n`);
    const { code, stderr } = await run("validate", "repo");
    expect(code).toBe(1);
    expect(stderr).toMatch(/^repo\/\.heimdall-build\.yml:1:1: error: .*limit/);
  });
});

describe("validate --config", () => {
  it("reads the named file instead of DIR/.heimdall-build.yml", async () => {
    await write("repo/.heimdall-build.yml", "version: 2\n");
    await write("ci/heimdall.yml", VALID);
    const { code, stdout, stderr } = await run("validate", "repo", "--config", "ci/heimdall.yml", "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { cells: unknown[] }).cells).toHaveLength(2);
  });

  it("reports problems under the named file", async () => {
    await write("ci/heimdall.yml", "version: 1\nmatrix:\n  compiler: [gcc@6]\n");
    const { code, stderr } = await run("validate", "--config", "ci/heimdall.yml");
    expect(code).toBe(1);
    expect(stderr).toBe(
      "ci/heimdall.yml:3:14: error: matrix.compiler[0]: compiler 'gcc@6' is not in the catalog; gcc versions known: 7-16\n",
    );
  });
});

describe("validate without a file", () => {
  it("exits 1 and names the file it looked for", async () => {
    await mkdir(path.join(root(), "empty"));
    const { code, stderr } = await run("validate", "empty");
    expect(code).toBe(1);
    expect(stderr).toMatch(/^empty\/\.heimdall-build\.yml:1:1: error: no such file/);
  });

  it("exits 1 for a missing --config file", async () => {
    const { code, stderr } = await run("validate", "--config", "nope.yml", "--json");
    expect(code).toBe(1);
    expect(stderr).toMatch(/^nope\.yml:1:1: error: /);
  });
});

describe("validate as a table", () => {
  it("lists every cell with its flag or skip reason, and counts them", async () => {
    await write("repo/.heimdall-build.yml", VALID);
    const { code, stdout } = await run("validate", "repo");
    expect(code).toBe(0);
    expect(stdout).toContain("linux / gcc-12 / c++17 / Release / asan+ubsan");
    expect(stdout).toContain("-std=c++17");
    expect(stdout).toMatch(/skipped: .*clang 12/);
    expect(stdout).toContain("2 cells, 1 to run, 1 skipped");
  });
});

describe("help and catalog", () => {
  it("--help lists validate and catalog and exits 0", async () => {
    const { code, stdout } = await run("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+validate\b/m);
    expect(stdout).toMatch(/^\s+catalog\b/m);
  });

  it("validate --help shows its options", async () => {
    const { code, stdout } = await run("validate", "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("--config");
    expect(stdout).toContain("--json");
  });

  it("an unknown command is a usage error, exit 2", async () => {
    const { code, stderr } = await run("frobnicate");
    expect(code).toBe(2);
    expect(stderr).not.toBe("");
  });

  it("catalog --json gives each compiler's flags", async () => {
    const { code, stdout } = await run("catalog", "--json");
    expect(code).toBe(0);
    const { compilers } = JSON.parse(stdout) as {
      compilers: { family: string; version: number; standardFlags: Record<string, string> }[];
    };
    const clang16 = compilers.find((c) => c.family === "clang" && c.version === 16);
    expect(clang16?.standardFlags["23"]).toBe("-std=c++2b");
    const msvc = compilers.find((c) => c.family === "msvc" && c.version === 2022);
    expect(msvc?.standardFlags["11"]).toBeUndefined();
  });

  it("catalog prints a table row a compiler", async () => {
    const { code, stdout } = await run("catalog");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^gcc@12\s/m);
    expect(stdout).toMatch(/^msvc@2022\s/m);
  });
});
