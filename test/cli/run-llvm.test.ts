/** The llvm axis in real containers: the cell's image gets llvm-N-dev, and the cell is told where it is. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { requireDocker } from "../support/docker.ts";
import { runHarness } from "../support/run-harness.ts";

let docker: Docker;
let scratch: string;
beforeAll(async () => {
  docker = await requireDocker();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-llvm-"));
}, 60_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  // The derived image this test made (llvm-16-dev on clang 16's).
  const made = await docker.listImages({ filters: { label: ["dev.heimdall-build.packages=llvm-16-dev"] } });
  for (const image of made)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
});

// What the cell sees, and llvm-config's own answer.
const REPORT = `printf '%s|%s|%s|%s\\n' "$LLVM_VERSION" "$LLVM_CONFIG" "$LLVM_DIR" "$("$LLVM_CONFIG" --version)" > llvm.txt && test -f "$LLVM_DIR/LLVMConfig.cmake"`;

it("clang 16 against LLVM 16: llvm-config-16 answers 16.x; gcc 14 (trixie) with LLVM 16 is skipped, saying where LLVM 16 is", async () => {
  const repo = path.join(scratch, "repo");
  await mkdir(repo);
  await writeFile(
    path.join(repo, ".heimdall-build.yml"),
    `version: 1
matrix:
  compiler: [clang@16, gcc@14]
  llvm: [16]
build:
  script:
    commands: [${JSON.stringify(REPORT)}]
tests: false
sbom: false
artifacts: [llvm.txt]
`,
  );
  const cli = runHarness({ docker });
  const code = await cli.run(repo, ["--json", "report.json"]);
  expect(code, cli.out + cli.err).toBe(0);
  const report = JSON.parse(await readFile(path.join(repo, "report.json"), "utf8")) as {
    cells: { id: string; name: string; conclusion: string; reason: string | null }[];
  };
  expect(report.cells.map((c) => [c.name, c.conclusion])).toEqual([
    ["linux / clang-16 / c++17 / llvm-16 / Release", "success"],
    ["linux / gcc-14 / c++17 / llvm-16 / Release", "skipped"],
  ]);
  expect(report.cells[1]?.reason).toBe(
    "gcc 14's image is Debian trixie, which carries LLVM 17, 18, 19, 22, not 16 (LLVM 16 is in bullseye, bookworm); set an include entry's image that has both",
  );
  const seen = await readFile(
    path.join(repo, ".heimdall-build", "latest", "linux-clang-16-cxx17-llvm16-release", "artifacts", "llvm.txt"),
    "utf8",
  );
  expect(seen).toMatch(/^16\|\/usr\/bin\/llvm-config-16\|\/usr\/lib\/llvm-16\/lib\/cmake\/llvm\|16\.\d+\.\d+\n$/);
}, 900_000);
