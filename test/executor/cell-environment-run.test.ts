/**
 * What a cell's build sees, run for real in gcc 12's container and on this
 * host: the cell's own variables with their exact values (a C++ cell with a
 * sanitizer, a C cell), the config's `env` (the top level's and an include
 * entry's) in a script cell and in a CMake project that reads `$ENV{...}`, an
 * include entry's `configure_args`, and hostile values arriving verbatim.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { CELL_VARIABLES } from "../../src/config/cell-environment.ts";
import { runCell } from "../../src/executor/docker/run-cell.ts";
import type { CellRunResult } from "../../src/executor/executor.ts";
import { runCellOnHost } from "../../src/executor/host/run-cell-host.ts";
import { ASAN_CELL_CONFIG, ASAN_CELL_VARIABLES } from "../support/cell-variables.ts";
import { configured, gcc12Setup } from "../support/executor.ts";

const containers = gcc12Setup("heimdall-cell-env-");

type Where = "container" | "host";

/** A config of `lines`, without a cache or an SBOM (nothing here needs them). */
function config(...lines: string[]): string {
  return [...lines, "cache: false", "sbom: false"].join("\n");
}

/** Runs the config's only cell in a fresh workspace holding `files`; reads the workspace's files after. */
async function run(where: Where, yaml: string, files: Record<string, string> = {}) {
  const { cells, settings } = configured(yaml);
  const [cell, ...more] = cells;
  if (!cell || more.length > 0) throw new Error(`expected one cell, got ${cells.length}`);
  const { docker, image, scratch } = containers;
  const dir = await mkdtemp(path.join(scratch, `${where}-`));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  let log = "";
  const request = {
    workspace: dir,
    cell,
    settings,
    timeoutMs: 300_000,
    label: "gcc-12",
    onOutput: (chunk: string) => {
      log += chunk;
    },
  };
  const result: CellRunResult =
    where === "container" ? await runCell({ ...request, docker, image, network: false }) : await runCellOnHost(request);
  expect(result.conclusion, log.slice(-3000)).toBe("success");
  return { dir, read: (file: string) => readFile(path.join(dir, file), "utf8") };
}

/** A script step that writes each cell variable, CC and CXX as NAME=value (or NAME<unset>) to vars.txt. */
const PRINT_VARIABLES = `for v in ${[...CELL_VARIABLES, "CC", "CXX"].join(" ")}; do if [ -n "\${!v+set}" ]; then printf '%s=%s\\n' "$v" "\${!v}"; else printf '%s<unset>\\n' "$v"; fi; done > vars.txt`;

function variablesOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n").filter(Boolean)) {
    const at = line.indexOf("=");
    if (at < 0) throw new Error(`not set: ${line}`);
    out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** Unusual values that must arrive byte for byte: quotes, substitutions, backticks, newlines, a glob. */
const HOSTILE = `it's "quoted" $(touch /tmp/pwned-env) \`touch pwned-env\` \${HOME} \\ ; exit 7 # *\nsecond line\n`;

describe.each<Where>(["container", "host"])("a cell's environment (%s)", (where) => {
  test("a script cell linux / gcc-12 / c++20 / Debug / asan: every variable, exact; its tests see them too", async () => {
    const yaml = config(
      ...ASAN_CELL_CONFIG,
      `build: {script: {commands: [${JSON.stringify(PRINT_VARIABLES)}]}}`,
      `tests: {command: ${JSON.stringify('printf %s "$ENABLE_TESTS/$HEIMDALL_CELL" > tests.txt')}}`,
    );
    const { read } = await run(where, yaml);
    expect(variablesOf(await read("vars.txt"))).toEqual({ ...ASAN_CELL_VARIABLES, CC: "gcc-12", CXX: "g++-12" });
    expect(await read("tests.txt")).toBe("true/linux-gcc-12-cxx20-debug-asan");
  }, 300_000);

  test("a C cell (c_standard 11, coverage, no tests): CXX_STANDARD set and empty", async () => {
    const yaml = config(
      "version: 1",
      "matrix: {compiler: [gcc@12], c_standard: [11]}",
      "coverage: true",
      `build: {script: {commands: [${JSON.stringify(PRINT_VARIABLES)}]}}`,
      "tests: false",
    );
    const { read } = await run(where, yaml);
    expect(variablesOf(await read("vars.txt"))).toEqual({
      HEIMDALL_CELL: "linux-gcc-12-c11-release-coverage",
      HEIMDALL_CELL_NAME: "linux / gcc-12 / c11 / Release / coverage",
      PLATFORM: "linux",
      COMPILER_TYPE: "gcc",
      COMPILER_VERSION: "12",
      CXX_STANDARD: "",
      C_STANDARD: "11",
      BUILD_TYPE: "Release",
      ENABLE_TESTS: "false",
      ENABLE_COVERAGE: "true",
      ENABLE_SANITIZERS: "false",
      SANITIZERS: "",
      LLVM_VERSION: "",
      LLVM_CONFIG: "",
      LLVM_DIR: "",
      CC: "gcc-12",
      CXX: "g++-12",
    });
  }, 300_000);

  test("a script cell: the top level's env and its include entry's (over it), hostile values verbatim", async () => {
    const commands = [
      'printf %s "$FROM_TOP" > top.txt',
      'printf %s "$FROM_INCLUDE" > include.txt',
      'printf %s "$SHARED" > shared.txt',
    ];
    const yaml = config(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  include:",
      `    - {compiler: gcc@12, env: ${JSON.stringify({ SHARED: "from-include", FROM_INCLUDE: HOSTILE })}}`,
      `build: {script: {commands: ${JSON.stringify(commands)}}}`,
      `env: ${JSON.stringify({ FROM_TOP: HOSTILE, SHARED: "from-top" })}`,
      "tests: false",
    );
    const { read, dir } = await run(where, yaml);
    expect(await read("top.txt")).toBe(HOSTILE);
    expect(await read("include.txt")).toBe(HOSTILE);
    expect(await read("shared.txt")).toBe("from-include");
    await expect(readFile(path.join(dir, "pwned-env"))).rejects.toThrow();
  }, 300_000);

  test("a CMake cell: $ENV{...} sees the top level's and the include entry's env; the entry's configure_args are appended", async () => {
    const project = [
      "cmake_minimum_required(VERSION 3.13)",
      "project(probe NONE)",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CMake's, not a template's
      'file(WRITE "${CMAKE_BINARY_DIR}/seen.txt" "top=$ENV{FROM_TOP}|include=$ENV{FROM_INCLUDE}|hostile=$ENV{HOSTILE}|own=${OWN_ARG}|extra=${EXTRA_ARG}|cell=$ENV{HEIMDALL_CELL}|type=$ENV{BUILD_TYPE}")',
      "",
    ].join("\n");
    const extra = `it's "x" $(id) \`id\``;
    const yaml = config(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  build_type: [RelWithDebInfo]",
      "  include:",
      `    - {build_type: RelWithDebInfo, env: {FROM_INCLUDE: inc}, configure_args: [${JSON.stringify(`-DEXTRA_ARG=${extra}`)}]}`,
      "build: {cmake: {configure_args: [-DOWN_ARG=own]}}",
      `env: ${JSON.stringify({ FROM_TOP: "top", HOSTILE: "a;b $(id) `id` 'q' \"d\"" })}`,
      "tests: false",
    );
    const { read } = await run(where, yaml, { "CMakeLists.txt": project });
    expect(await read("build/seen.txt")).toBe(
      `top=top|include=inc|hostile=a;b $(id) \`id\` 'q' "d"|own=own|extra=${extra}|cell=linux-gcc-12-cxx17-relwithdebinfo|type=RelWithDebInfo`,
    );
  }, 300_000);
});
