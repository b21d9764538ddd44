/** `heimdall-build run` and the images a config names: warned of before anything runs, their cells failing saying so. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeImageName, requireDocker, uniqueImageTag } from "../support/docker.ts";
import { copyExample, gcc12Image } from "../support/executor.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

let scratch: string;
let docker: Docker;

beforeAll(async () => {
  docker = await requireDocker();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-images-test-"));
}, 60_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("heimdall-build run, images the config names", () => {
  // gcc 12 in gcc 12's image under a name of the config's (so not built from a recipe), clang 16 in one this host lacks.
  const named = uniqueImageTag("run-named-gcc-12");
  const absent = uniqueImageTag("run-absent");
  const config = `version: 1
matrix:
  compiler: [gcc@12, clang@16]
  include:
    - compiler: clang@16
      image: ${absent}
image: ${named}
build:
  script:
    commands: ['echo built']
tests: false
cache: false
sbom: false
`;

  beforeAll(async () => {
    const colon = named.lastIndexOf(":");
    await docker.getImage(await gcc12Image(docker)).tag({ repo: named.slice(0, colon), tag: named.slice(colon + 1) });
  }, 900_000);

  // Only the name goes: gcc 12's image keeps its own.
  afterAll(() => removeImageName(docker, named));

  it("warns before any cell runs; the others run, and the cell whose image is missing fails saying so", async () => {
    const repo = await copyExample(path.join(scratch, "named-images"), async (dir) => {
      await writeFile(path.join(dir, ".heimdall-build.yml"), config);
    });
    const cli = runHarness({ docker });
    const code = await cli.run(repo, ["--json", "r.json"]);
    expect(code, cli.out + cli.err).toBe(1);

    const warning = `heimdall-build run: warning: image '${absent}' is not on this host (docker image inspect found none); 1 cell uses it (linux / clang-16 / c++17 / Release): it will fail unless the image is pulled or built first\n`;
    expect(cli.err).toBe(warning);
    // Before the run's first line and any cell's progress.
    expect(cli.both.startsWith(warning), cli.both).toBe(true);

    const reason = `image '${absent}' is not on this host (no registry is pulled from): pull or build it first`;
    const report = JSON.parse(await readFile(path.join(repo, "r.json"), "utf8")) as { cells: JsonCell[] };
    expect(report.cells.map((c) => [c.id, c.conclusion, c.reason])).toEqual([
      ["linux-gcc-12-cxx17-release", "success", null],
      ["linux-clang-16-cxx17-release", "failure", reason],
    ]);
    expect(cli.out).toContain(reason);
  }, 600_000);

  it("on the host, where no image is used, says nothing of them", async () => {
    const repo = await copyExample(path.join(scratch, "named-images-host"), async (dir) => {
      await writeFile(path.join(dir, ".heimdall-build.yml"), config);
    });
    const cli = runHarness({ docker });
    const code = await cli.run(repo, ["--executor", "host", "--cells", "*gcc-12*"]);
    expect(code, cli.out + cli.err).toBe(0);
    expect(cli.err).toBe("");
  }, 300_000);
});
