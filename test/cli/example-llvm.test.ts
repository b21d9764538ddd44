/**
 * examples/llvm-tool through `heimdall-build run`, all 8 cells in real
 * containers with Debian's archive: gcc 12 and clang 16 × C++17 and 20 × LLVM
 * 16 and 19, packages from the config and the llvm axis, the project's own
 * build script, googletest's JUnit counted, the standard verified, each cell
 * built against its own LLVM release and its SBOM script's document kept.
 * Its derived images are shared with test/worker/example-llvm.test.ts and
 * kept: each is built once, by whichever test comes first.
 */
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cacheVolumeName } from "../../src/executor/docker/cache-volume.ts";
import { requireDocker } from "../support/docker.ts";
import {
  expectBuiltAgainstItsLlvm,
  LLVM_CELLS,
  LLVM_EXAMPLE,
  LLVM_TOOL_TESTS,
  LLVM_TOOL_UNITS,
  llvmDerivedImages,
  presentImages,
  recordImageTags,
} from "../support/llvm-example.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

let docker: Docker;
let scratch: string;
beforeAll(async () => {
  docker = await requireDocker();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-example-llvm-"));
}, 60_000);
afterAll(async () => {
  if (!scratch) return;
  // The compiler caches of the run's project folder (a derived image's cells use its base's).
  for (const image of ["heimdall-build/gcc-12:bookworm", "heimdall-build/clang-16:bookworm"]) {
    const owner = `local:${userInfo().username}:${path.join(scratch, "llvm-tool")}`;
    await docker
      .getVolume(cacheVolumeName(image, "trusted", owner))
      .remove()
      .catch(() => undefined);
  }
  await rm(scratch, { recursive: true, force: true });
});

it("8 cells pass, 7 tests each, their standard verified, each against its LLVM release; each derived image built once", async () => {
  const repo = path.join(scratch, "llvm-tool");
  await cp(LLVM_EXAMPLE, repo, { recursive: true, filter: (source) => path.basename(source) !== ".heimdall-build" });
  // Each compiler's image with the packages and llvm-16-dev or llvm-19-dev: 4, the compilers' own made first.
  const { byCell, made } = await llvmDerivedImages(docker);
  expect(made.size).toBe(4);
  const before = await presentImages(docker, made.keys());
  const tags = await recordImageTags(docker);
  const cli = runHarness({ docker, env: { HEIMDALL_APT_OPTIONS: process.env.HEIMDALL_APT_OPTIONS ?? "" } });
  const code = await cli.run(repo, ["--json", "report.json"]);
  tags.stop();
  expect(code, cli.out + cli.err).toBe(0);

  const { cells } = JSON.parse(await readFile(path.join(repo, "report.json"), "utf8")) as { cells: JsonCell[] };
  expect(
    cells.map((c) => ({ name: c.name, conclusion: c.conclusion, tests: c.tests, standard: c.standard_check })),
  ).toEqual(
    LLVM_CELLS.map((cell) => ({
      name: cell.name,
      conclusion: "success",
      tests: { passed: LLVM_TOOL_TESTS, failed: 0, skipped: 0 },
      standard: { expected: `c++${cell.standard}`, seen: { [`c++${cell.standard}`]: LLVM_TOOL_UNITS }, ok: true },
    })),
  );
  expect(cli.out).toContain(
    [
      "Release",
      "            c++17                       c++20",
      "  gcc-12    pass llvm-16, pass llvm-19  pass llvm-16, pass llvm-19",
      "  clang-16  pass llvm-16, pass llvm-19  pass llvm-16, pass llvm-19",
      "",
      "8 cells: 8 passed",
      "errors: 0, warnings: 0",
      "tests: 56 passed, 0 failed, 0 skipped",
    ].join("\n"),
  );

  // The images missing before were built once each, for the first of their two cells; the others not at all.
  const built = new Map([...tags.counts()].filter(([name]) => made.has(name)));
  expect(built).toEqual(new Map([...made.keys()].filter((tag) => !before.has(tag)).map((tag) => [tag, 1])));
  expect(await presentImages(docker, made.keys())).toEqual(new Set(made.keys()));

  for (const cell of LLVM_CELLS) {
    const dir = path.join(repo, ".heimdall-build", "latest", cell.id);
    // It ran in its compiler's image with its LLVM release's packages.
    expect(await readFile(path.join(dir, "summary.md"), "utf8")).toContain(`| \`${byCell.get(cell.id)}\` |`);
    expectBuiltAgainstItsLlvm(cell, {
      llvmVersion: await readFile(path.join(dir, "artifacts", "build", "llvm-version.txt"), "utf8"),
      inventory: await readFile(path.join(dir, "artifacts", "build", "inventory.json"), "utf8"),
      projectSbom: await readFile(path.join(dir, "project-sbom", "llvm-tool.cdx.json"), "utf8"),
    });
  }
}, 3_600_000);
