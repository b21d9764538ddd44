/**
 * Matrix truth on real projects from Debian's source archive, built by
 * `heimdall-build run` in real containers: each cell says which standard its
 * translation units were really compiled as, and a project's tests run
 * against the distribution's packages it names.
 */
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyOfDebianSource, type SourceOptions } from "../support/debian-source.ts";
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

async function project(pkg: string, name: string, config: string, source: SourceOptions = {}): Promise<string> {
  const dir = path.join(tmpdir(), `heimdall-real-${name}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  made.push(dir);
  await copyOfDebianSource(pkg, dir, source);
  await writeFile(path.join(dir, ".heimdall-build.yml"), config);
  return dir;
}

async function runReport(dir: string): Promise<{ code: number; out: string; cells: JsonCell[] }> {
  // The apt options catalog images are built with, for the images `packages` derive from them.
  const cli = runHarness({ docker, env: { HEIMDALL_APT_OPTIONS: process.env.HEIMDALL_APT_OPTIONS ?? "" } });
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

/**
 * yaml-cpp's tests against Debian's googletest. Neither bookworm's yaml-cpp
 * (0.7.0) nor trixie's (0.8.0) has YAML_USE_SYSTEM_GTEST upstream, and
 * Debian's repack drops the googletest they vendor (test/gtest-1.11.0), so
 * their upstream sources cannot configure their tests at all. Debian's patch
 * 1035.patch (upstream's pull request 1035, merged after 0.8.0) adds the
 * option (bookworm's patch has none, and compiles /usr/src/googletest's
 * sources instead): trixie's sources with Debian's patches, built by gcc 12 against
 * bookworm's libgtest-dev and libgmock-dev (googletest 1.12.1). Without a
 * cache: the project's folder is new each run (its ccache volume would be too),
 * so every run compiles all 45 files; only the packages' image is reused.
 */
const YAML_GTEST = `version: 1
matrix:
  compiler: [gcc@12]
  cxx_standard: [17, 20]
  build_type: [Debug]
packages: [libgtest-dev, libgmock-dev]
build:
  cmake:
    configure_args: [-DYAML_CPP_BUILD_TESTS=ON, -DYAML_USE_SYSTEM_GTEST=ON, -DYAML_CPP_BUILD_TOOLS=OFF]
tests:
  ctest_args: [--verbose]
cache: false
sbom: false
`;

describe("a project whose tests need packages (yaml-cpp 0.8 and the system's googletest)", () => {
  it("passes each standard's cell: 993 googletest tests in ctest's one, built against /usr/include's googletest, the standard verified", async () => {
    const dir = await project("yaml-cpp", "yaml-gtest", YAML_GTEST, { suite: "trixie", patched: true });
    // Debian's repack has no googletest of its own to fall back on.
    await expect(stat(path.join(dir, "test", "gtest-1.11.0"))).rejects.toMatchObject({ code: "ENOENT" });
    const { code, out, cells } = await runReport(dir);
    expect(code, out).toBe(0);
    expect(cells.map((c) => [c.name, c.conclusion, c.reason, c.tests, c.failed_tests, c.standard_check])).toEqual([
      // ctest's JUnit has one test: yaml-cpp registers its whole googletest program as yaml-cpp::test.
      [
        "linux / gcc-12 / c++17 / Debug",
        "success",
        null,
        { passed: 1, failed: 0, skipped: 0 },
        [],
        { expected: "c++17", seen: { "c++17": 45 }, ok: true },
      ],
      [
        "linux / gcc-12 / c++20 / Debug",
        "success",
        null,
        { passed: 1, failed: 0, skipped: 0 },
        [],
        { expected: "c++20", seen: { "c++20": 45 }, ok: true },
      ],
    ]);
    expect(out).toMatch(/c\+\+17 +c\+\+20\n +gcc-12 +pass +pass\n/);
    for (const cell of cells) {
      const cellDir = path.join(dir, ".heimdall-build", "latest", cell.id);
      const log = await readFile(path.join(cellDir, "build.log"), "utf8");
      // CMake found the googletest libgtest-dev installed, and read YAML_USE_SYSTEM_GTEST: the variables
      // it says the project did not use are only the C compiler's, which a C++-only project never reads.
      expect(log).toContain(
        '-- Found GTest: /usr/lib/x86_64-linux-gnu/cmake/GTest/GTestConfig.cmake (found version "1.12.1")',
      );
      expect(log).toContain(
        "Manually-specified variables were not used by the project:\n\n    CMAKE_C_COMPILER\n    CMAKE_C_FLAGS\n\n\n",
      );
      // ctest --verbose (the config's ctest_args) shows googletest's own count: every test ran and passed.
      expect(log).toContain("1: [==========] 993 tests from 15 test suites ran.");
      expect(log).toContain("1: [  PASSED  ] 993 tests.");
      expect(log).toContain("100% tests passed, 0 tests failed out of 1");
      // No googletest source was compiled, and no include folder but yaml-cpp's own was given:
      // gtest/gtest.h and gmock/gmock.h came from the compiler's /usr/include.
      const commands = JSON.parse(await readFile(path.join(cellDir, "compile_commands.json"), "utf8")) as {
        file: string;
        command: string;
      }[];
      expect(commands.filter((c) => /gtest|gmock|googletest/.test(c.file))).toEqual([]);
      const includes = new Set(commands.flatMap((c) => c.command.match(/(?<= )-(I|isystem) ?\S+/g) ?? []));
      expect([...includes].sort()).toEqual([
        "-I/work/src/include",
        "-I/work/src/src",
        "-I/work/src/test",
        "-I/work/src/test/integration",
      ]);
    }
  }, 1_800_000);
});
