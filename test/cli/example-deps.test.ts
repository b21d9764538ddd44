/**
 * examples/deps-cpp, as README walks through it: packages from Debian, the
 * project's own build script told what the cell is, googletest's JUnit
 * counted, its SBOM script's document kept, its standard verified — one cell
 * of it through `heimdall-build run` in a real container.
 */
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { requireDocker } from "../support/docker.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/deps-cpp");
const PACKAGES = "libfmt-dev libgtest-dev libssl-dev";

let docker: Docker;
let scratch: string;
beforeAll(async () => {
  docker = await requireDocker();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-example-deps-"));
}, 60_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  const made = await docker.listImages({ filters: { label: [`dev.heimdall-build.packages=${PACKAGES}`] } });
  for (const image of made)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
});

it("gcc 12, C++20: built by scripts/build.sh, 3 googletest tests counted, the standard verified, its SBOM kept", async () => {
  const repo = path.join(scratch, "deps-cpp");
  await cp(EXAMPLE, repo, { recursive: true, filter: (source) => path.basename(source) !== ".heimdall-build" });
  const cli = runHarness({ docker });
  const code = await cli.run(repo, ["--cells", "*gcc-12*c++20*", "--json", "report.json"]);
  expect(code, cli.out + cli.err).toBe(0);
  const { cells } = JSON.parse(await readFile(path.join(repo, "report.json"), "utf8")) as { cells: JsonCell[] };
  expect(cells).toEqual([
    expect.objectContaining({
      name: "linux / gcc-12 / c++20 / Debug",
      conclusion: "success",
      tests: { passed: 3, failed: 0, skipped: 0 },
      standard_check: { expected: "c++20", seen: { "c++20": 3 }, ok: true },
    }),
  ]);
  const cellDir = path.join(repo, ".heimdall-build", "latest", "linux-gcc-12-cxx20-debug");
  expect(await readdir(path.join(cellDir, "project-sbom"))).toEqual(["digest-tool.cdx.json"]);
  const sbom = JSON.parse(await readFile(path.join(cellDir, "project-sbom", "digest-tool.cdx.json"), "utf8")) as {
    components: { name: string }[];
  };
  // The program links OpenSSL's libcrypto, which the cell's packages brought.
  expect(sbom.components.map((c) => c.name)).toContainEqual(expect.stringMatching(/^libcrypto\.so/));
  expect(await readdir(path.join(cellDir, "artifacts", "build"))).toEqual(["digest-tool"]);
}, 900_000);
