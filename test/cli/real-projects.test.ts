/**
 * Matrix truth on real projects from Debian's source archive, built by
 * `heimdall-build run` in real containers: each cell says which standard its
 * translation units were really compiled as.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyOfDebianSource } from "../support/debian-source.ts";
import { requireDocker } from "../support/docker.ts";
import { gcc12Image } from "../support/executor.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

let docker: Docker;
const made: string[] = [];

beforeAll(async () => {
  docker = await requireDocker();
  await gcc12Image(docker);
}, 900_000);

afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function project(pkg: string, name: string, config: string): Promise<string> {
  const dir = path.join(tmpdir(), `heimdall-real-${name}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  made.push(dir);
  await copyOfDebianSource(pkg, dir);
  await writeFile(path.join(dir, ".heimdall-build.yml"), config);
  return dir;
}

async function runReport(dir: string): Promise<{ code: number; out: string; cells: JsonCell[] }> {
  const cli = runHarness({ docker });
  const code = await cli.run(dir, ["--json", "report.json"]);
  const report = JSON.parse(await readFile(path.join(dir, "report.json"), "utf8")) as { cells: JsonCell[] };
  return { code, out: cli.out + cli.err, cells: report.cells };
}

/** yaml-cpp built by its own CMake call: no CMAKE_CXX_STANDARD reaches it, so its CXX_STANDARD 11 wins over CXXFLAGS. */
function yamlCppScript(commands: readonly string[], extra = ""): string {
  return `version: 1
matrix:
  compiler: [gcc@12]
  cxx_standard: [20]
build:
  script:
    commands: ${JSON.stringify(commands)}
tests: false
sbom: false
${extra}`;
}

const CONFIGURE =
  "cmake -S . -B build -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF";

describe("a project that sets its own standard (yaml-cpp 0.7, C++20 cell)", () => {
  it("passes the build but is neutral (standard_mismatch: warn), counted per spelling, marked pass≠", async () => {
    const dir = await project("yaml-cpp", "yaml-warn", yamlCppScript([CONFIGURE, "cmake --build build"]));
    const { code, out, cells } = await runReport(dir);
    expect(code, out).toBe(0);
    const [cell] = cells;
    expect(cell?.conclusion).toBe("neutral");
    expect(cell?.standard_check?.expected).toBe("c++20");
    expect(cell?.standard_check?.ok).toBe(false);
    // Every library file was compiled as gnu++11 (the last -std= of `-std=c++20 ... -std=gnu++11`).
    expect(Object.keys(cell?.standard_check?.seen ?? {})).toEqual(["gnu++11"]);
    expect(cell?.standard_check?.seen["gnu++11"]).toBeGreaterThan(20);
    expect(cell?.reason).toMatch(/^built as gnu\+\+11 \(\d+ TUs\), not C\+\+20: the project sets its own standard$/);
    expect(out).toMatch(/gcc-12 +pass≠/);
    // The compile commands are kept beside the log, and the summary names the target.
    const cellDir = path.join(dir, ".heimdall-build", "latest", cell?.id ?? "");
    const kept = JSON.parse(await readFile(path.join(cellDir, "compile_commands.json"), "utf8")) as unknown[];
    expect(kept.length).toBe(cell?.standard_check?.seen["gnu++11"]);
    expect(await readFile(path.join(cellDir, "summary.md"), "utf8")).toContain("| `yaml-cpp` | `gnu++11` |");
  }, 900_000);

  it("fails with standard_mismatch: fail, its reason the standards it was built as", async () => {
    // The compile commands are written when CMake configures: no need to build to know them.
    const dir = await project("yaml-cpp", "yaml-fail", yamlCppScript([CONFIGURE], "standard_mismatch: fail\n"));
    const { code, out, cells } = await runReport(dir);
    expect(code, out).toBe(1);
    expect(cells[0]).toMatchObject({ conclusion: "failure", standard_check: { expected: "c++20", ok: false } });
    expect(cells[0]?.reason).toMatch(/^built as gnu\+\+11/);
    expect(out).toMatch(/gcc-12 +FAIL≠/);
  }, 900_000);

  it("still passes with standard_mismatch: ignore, unmarked, the check kept in the report", async () => {
    const dir = await project("yaml-cpp", "yaml-ignore", yamlCppScript([CONFIGURE], "standard_mismatch: ignore\n"));
    const { code, out, cells } = await runReport(dir);
    expect(code, out).toBe(0);
    expect(cells[0]).toMatchObject({ conclusion: "success", reason: null, standard_check: { ok: false } });
    expect(out).toMatch(/gcc-12 +pass\n/);
  }, 900_000);
});

describe("a C project on the c_standard axis (cJSON)", () => {
  it("names each cell by its C standard and verifies it, though the project asks for -std=c89 itself", async () => {
    const dir = await project(
      "cjson",
      "cjson",
      `version: 1
matrix:
  compiler: [gcc@12]
  c_standard: [99, 11, 23]
build:
  cmake:
    configure_args: [-DENABLE_CJSON_TEST=OFF]
tests: false
sbom: false
`,
    );
    const { code, out, cells } = await runReport(dir);
    expect(code, out).toBe(0);
    expect(cells.map((c) => [c.name, c.conclusion, c.standard_check])).toEqual([
      ["linux / gcc-12 / c99 / Release", "success", { expected: "c99", seen: { c99: 1 }, ok: true }],
      ["linux / gcc-12 / c11 / Release", "success", { expected: "c11", seen: { c11: 1 }, ok: true }],
      // gcc 12 spells C23 `c2x` (the catalog's spelling; `c23` came with gcc 14).
      ["linux / gcc-12 / c23 / Release", "success", { expected: "c23", seen: { c2x: 1 }, ok: true }],
    ]);
    // cJSON puts -std=c89 in CMAKE_C_FLAGS; CMake's flag for CMAKE_C_STANDARD comes after it and wins.
    const commands = await readFile(
      path.join(dir, ".heimdall-build", "latest", "linux-gcc-12-c11-release", "compile_commands.json"),
      "utf8",
    );
    expect(commands).toMatch(/-std=c89 .* -std=c11 /);
    expect(out).toMatch(/c99 +c11 +c23\n +gcc-12 +pass +pass +pass/);
  }, 900_000);
});
