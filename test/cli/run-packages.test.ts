/**
 * `packages:` through `heimdall-build run`, in real containers with Debian's
 * archive: a derived image built once and reused, the packages usable by an
 * offline cell, an include entry's only in its cells, an unknown package
 * failing the cell with apt's words before anything is built.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGES_LABELS } from "../../src/executor/docker/packages-image.ts";
import { requireDocker } from "../support/docker.ts";
import { gcc12Image } from "../support/executor.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

let scratch: string;
let docker: Docker;
let baseId: string;

/** The package lists of this file's configs: its derived images are those, and only those (other tests' are theirs). */
const OWN_PACKAGES = ["libfmt-dev", "libdoesnotexist-dev"];

/** This file's derived images of gcc 12's image on this engine: id and creation time, by packages label. */
async function derivedImages(): Promise<{ id: string; created: number; packages: string; tags: string[] }[]> {
  const images = await docker.listImages({ filters: { label: [`${PACKAGES_LABELS.baseId}=${baseId}`] } });
  const own = images.filter((image) => OWN_PACKAGES.includes(image.Labels?.[PACKAGES_LABELS.packages] ?? ""));
  return own.map((image) => ({
    id: image.Id,
    created: image.Created,
    packages: image.Labels?.[PACKAGES_LABELS.packages] ?? "",
    tags: image.RepoTags ?? [],
  }));
}

async function removeDerivedImages(): Promise<void> {
  for (const image of await derivedImages()) {
    await docker
      .getImage(image.id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

beforeAll(async () => {
  docker = await requireDocker();
  baseId = (await docker.getImage(await gcc12Image(docker)).inspect()).Id;
  // "Built once" means nothing of an earlier run is reused.
  await removeDerivedImages();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-packages-"));
}, 900_000);

afterAll(async () => {
  if (docker && baseId) await removeDerivedImages();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * A cell's script: fmt's package is there (or not, in C++17's cells when only
 * an include entry names it: no want-fmt file), a program compiles and links against it, and
 * the container has no network but loopback.
 */
const SCRIPT = [
  'test "$(ls /sys/class/net)" = lo',
  'if [ ! -e want-fmt ]; then case "$CXXFLAGS" in *c++17*) ! dpkg -s libfmt-dev; exit ;; esac; fi',
  "dpkg -s libfmt-dev | grep -q '^Status: install ok installed'",
  "printf '#include <fmt/core.h>\\nint main() { fmt::print(\"fmt {}\\\\n\", FMT_VERSION); }\\n' > t.cpp",
  "$CXX $CXXFLAGS t.cpp -o t -lfmt && ./t",
];

function config(lines: string): string {
  return `version: 1
matrix:
  compiler: [gcc@12]
  cxx_standard: [17, 20]
${lines}build:
  script:
    commands: ${JSON.stringify(SCRIPT)}
tests: false
cache: false
sbom: false
`;
}

async function project(name: string, text: string, wantFmt = false): Promise<string> {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, ".heimdall-build.yml"), text);
  if (wantFmt) await writeFile(path.join(dir, "want-fmt"), "");
  return dir;
}

async function run(dir: string): Promise<{ code: number; cells: JsonCell[]; out: string }> {
  const cli = runHarness({ docker, env: { HEIMDALL_APT_OPTIONS: process.env.HEIMDALL_APT_OPTIONS ?? "" } });
  const code = await cli.run(dir, ["--json", "report.json"]);
  const report = JSON.parse(await readFile(path.join(dir, "report.json"), "utf8")) as { cells: JsonCell[] };
  return { code, cells: report.cells, out: cli.out + cli.err };
}

describe("packages in heimdall-build run", () => {
  it("installs an include entry's packages for its cells only, into a derived image a later run reuses", async () => {
    // Only C++20's cell names fmt: C++17's runs in gcc 12's own image, without it.
    const first = await run(
      await project("include", config("  include:\n    - cxx_standard: 20\n      packages: [libfmt-dev]\n")),
    );
    expect(first.code, first.out).toBe(0);
    expect(first.cells.map((c) => [c.id, c.conclusion])).toEqual([
      ["linux-gcc-12-cxx17-release", "success"],
      ["linux-gcc-12-cxx20-release", "success"],
    ]);
    const built = await derivedImages();
    expect(built).toHaveLength(1);
    expect(built[0]?.packages).toBe("libfmt-dev");
    expect(built[0]?.tags[0]).toMatch(/^heimdall-build\/with-packages:[0-9a-f]{24}$/);

    // Both cells now want fmt (the top level's), and get the same image: not built again.
    const second = await run(
      await project("top-level", config("").replace("tests:", "packages: [libfmt-dev]\ntests:"), true),
    );
    expect(second.code, second.out).toBe(0);
    expect(second.cells.map((c) => c.conclusion)).toEqual(["success", "success"]);
    expect(await derivedImages()).toEqual(built);
  }, 900_000);

  it("fails a cell whose package the archive lacks with apt's words, before its source or build", async () => {
    const { code, cells, out } = await run(
      await project("unknown", config("").replace("tests:", "packages: [libdoesnotexist-dev]\ntests:")),
    );
    expect(code, out).toBe(1);
    for (const cell of cells) {
      expect(cell.conclusion).toBe("failure");
      expect(cell.reason).toBe(
        "the packages could not be installed into heimdall-build/gcc-12:bookworm: E: Unable to locate package libdoesnotexist-dev",
      );
    }
    // No phase of the build started: progress never got past the image.
    expect(out).not.toMatch(/: (source|build)\n/);
    expect((await derivedImages()).map((image) => image.packages)).not.toContain("libdoesnotexist-dev");
  }, 900_000);
});
