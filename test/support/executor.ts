/** What the executor tests share: gcc 12's image, a parsed config, the example project. */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll } from "vitest";
import { findCompiler } from "../../src/config/catalog.ts";
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { type AttemptReport, runAttempt } from "../../src/executor/attempt.ts";
import type { BuildSettings } from "../../src/executor/cell-script.ts";
import { ensureImage, imageSpec } from "../../src/executor/docker/images.ts";
import type { PreparedExecutor } from "../../src/executor/executor.ts";
import { requireDocker } from "./docker.ts";

export const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/hello-cpp");

/** heimdall-build/gcc-12:bookworm, built first when missing. */
export async function gcc12Image(docker: Docker): Promise<string> {
  const gcc12 = findCompiler("gcc", 12);
  if (!gcc12) throw new Error("gcc 12 missing from the catalog");
  return ensureImage(docker, imageSpec(gcc12, { aptOptions: process.env.HEIMDALL_APT_OPTIONS ?? "" }));
}

/** A config's cells and the settings a worker gets. */
export function configured(yaml: string): { cells: Cell[]; settings: BuildSettings } {
  const parsed = parseConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  return { cells: [...parsed.cells], settings: settings as BuildSettings };
}

/**
 * A config of gcc 12 whose build runs `command`: no tests, cache or SBOM. One
 * cell, unless `matrix` adds to the matrix (its lines, indented); `extra` are
 * top-level settings after the rest.
 */
export function scriptConfig(
  command: string,
  more: { readonly matrix?: string; readonly extra?: string } = {},
): string {
  return `version: 1
matrix:
  compiler: [gcc@12]
${more.matrix ?? ""}build:
  script:
    commands: [${JSON.stringify(command)}]
tests: false
cache: false
sbom: false
${more.extra ?? ""}`;
}

/** Changes the example's tests so that one (greeting.counts_words) fails in C++20 only. */
export async function failCountsWordsInCxx20(repo: string): Promise<void> {
  const test = path.join(repo, "tests/greeting_test.cpp");
  const source = await readFile(test, "utf8");
  await writeFile(
    test,
    source.replace(
      'if (std::strcmp(argv[1], "words") == 0)',
      'if (std::strcmp(argv[1], "words") == 0 && __cplusplus > 201703L) return expect_eq("C++20", "C++17");\n  if (std::strcmp(argv[1], "words") == 0)',
    ),
  );
}

/** A fresh copy of examples/hello-cpp (or the example at `from`) at `dir`, changed by `edit`. */
export async function copyExample(dir: string, edit?: (dir: string) => Promise<void>, from = EXAMPLE): Promise<string> {
  // Not the outputs of a `heimdall-build run` someone made in the example.
  await cp(from, dir, { recursive: true, filter: (source) => path.basename(source) !== ".heimdall-build" });
  await edit?.(dir);
  return dir;
}

/**
 * A git repository of the example (hello-cpp, or the one at `from`) with
 * `config` as its .heimdall-build.yml, committed on main: what a push names,
 * cloned by workers over file://.
 */
export async function exampleRepository(
  dir: string,
  config: string,
  edit?: (dir: string) => Promise<void>,
  from = EXAMPLE,
): Promise<{ repo: string; head: string; cloneUrl: string }> {
  await copyExample(dir, edit, from);
  await writeFile(path.join(dir, ".heimdall-build.yml"), config);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      encoding: "utf8",
    }).trim();
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "example");
  return { repo: dir, head: git("rev-parse", "HEAD"), cloneUrl: `file://${dir}` };
}

/** The first cell of `yaml`, one attempt in `workspace` with `executor` (nothing stored): its report and output. */
export async function attemptFirstCell(
  yaml: string,
  workspace: string,
  executor: PreparedExecutor,
): Promise<{ report: AttemptReport; log: string }> {
  const { cells, settings } = configured(yaml);
  const cell = cells[0];
  if (!cell) throw new Error("no cell");
  let log = "";
  const report = await runAttempt({
    cell,
    settings,
    workspace,
    repository: "octo/lib",
    headSha: "a".repeat(40),
    jobs: 2,
    outputs: null,
    onOutput: (chunk) => {
      log += chunk;
    },
    executor,
  });
  return { report, log };
}

/**
 * A test file's Docker engine, gcc 12's image and a scratch folder: made
 * before its tests (the image built first if missing), the folder removed after.
 */
export function gcc12Setup(prefix: string): {
  readonly docker: Docker;
  readonly image: string;
  readonly scratch: string;
} {
  const setup = { docker: undefined as unknown as Docker, image: "", scratch: "" };
  beforeAll(async () => {
    setup.docker = await requireDocker();
    setup.image = await gcc12Image(setup.docker);
    setup.scratch = await mkdtemp(path.join(tmpdir(), prefix));
  }, 900_000);
  afterAll(async () => {
    if (setup.scratch) await rm(setup.scratch, { recursive: true, force: true });
  });
  return setup;
}
