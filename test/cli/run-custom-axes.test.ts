// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config spells ${{ matrix.<axis> }}, GitHub Actions' syntax.
/**
 * Custom axes and `${{ matrix.<axis> }}` in real containers: one CMake
 * project, a shared and a static library from one `configure_args` line,
 * cells excluded and given env by name, each cell's artifacts chosen by its
 * own values, and the MATRIX_ variables seen by the project's CMake.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { requireDocker } from "../support/docker.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

let docker: Docker;
let scratch: string;
beforeAll(async () => {
  docker = await requireDocker();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-axes-"));
}, 60_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
  axes:
    shared: [ON, OFF]
    flavor: [lean, full]
  exclude:
    - {shared: OFF, flavor: full}
  include:
    - {flavor: full, env: {EXTRA: 'full-\${{ matrix.shared }}'}}
build:
  cmake:
    configure_args: ['-DBUILD_SHARED_LIBS=\${{ matrix.shared }}']
env: {WHO: '\${{ matrix.compiler.name }}-\${{ matrix.compiler.version }}'}
tests: false
sbom: false
artifacts: ['build/libgreet.*', 'build/seen-\${{ matrix.flavor }}.txt']
`;

// The library follows BUILD_SHARED_LIBS; configure writes what the cell's environment says.
const CMAKE = `cmake_minimum_required(VERSION 3.16)
project(greet CXX)
add_library(greet greet.cpp)
file(WRITE "\${CMAKE_BINARY_DIR}/seen-$ENV{MATRIX_FLAVOR}.txt" "$ENV{MATRIX_SHARED}|$ENV{MATRIX_FLAVOR}|$ENV{EXTRA}|$ENV{WHO}\\n")
`;

it("builds shared and static libraries by ${{ matrix.shared }}, each cell's own values in its env and artifacts", async () => {
  const repo = path.join(scratch, "repo");
  await mkdir(repo);
  await writeFile(path.join(repo, ".heimdall-build.yml"), CONFIG);
  await writeFile(path.join(repo, "CMakeLists.txt"), CMAKE);
  await writeFile(path.join(repo, "greet.cpp"), "int greet() { return 42; }\n");

  const cli = runHarness({ docker });
  const code = await cli.run(repo, ["--json", "report.json"]);
  expect(code, cli.both).toBe(0);
  const report = JSON.parse(await readFile(path.join(repo, "report.json"), "utf8")) as { cells: JsonCell[] };
  expect(report.cells.map((c) => [c.name, c.conclusion])).toEqual([
    ["linux / gcc-12 / c++17 / Release / shared=ON / flavor=lean", "success"],
    ["linux / gcc-12 / c++17 / Release / shared=ON / flavor=full", "success"],
    ["linux / gcc-12 / c++17 / Release / shared=OFF / flavor=lean", "success"],
  ]);
  // The grid tells the three cells in its one position apart.
  expect(cli.out).toContain("pass shared=ON flavor=lean, pass shared=ON flavor=full, pass shared=OFF flavor=lean");

  const kept = async (id: string) => {
    const dir = path.join(repo, ".heimdall-build", "latest", id, "artifacts", "build");
    const files = (await readdir(dir)).sort();
    const seen = files.find((f) => f.startsWith("seen-"));
    return [files, seen ? await readFile(path.join(dir, seen), "utf8") : null];
  };
  expect(await kept("linux-gcc-12-cxx17-release-shared-ON-flavor-lean")).toEqual([
    ["libgreet.so", "seen-lean.txt"],
    "ON|lean||gcc-12\n",
  ]);
  expect(await kept("linux-gcc-12-cxx17-release-shared-ON-flavor-full")).toEqual([
    ["libgreet.so", "seen-full.txt"],
    "ON|full|full-ON|gcc-12\n",
  ]);
  expect(await kept("linux-gcc-12-cxx17-release-shared-OFF-flavor-lean")).toEqual([
    ["libgreet.a", "seen-lean.txt"],
    "OFF|lean||gcc-12\n",
  ]);
}, 600_000);
