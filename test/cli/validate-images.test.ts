/** `heimdall-build validate` and the images a config names, asked of the real Docker engine. */
import path from "node:path";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { useCliFolder } from "../support/cli-folder.ts";
import { uniqueImageTag, useLabelOnlyImage } from "../support/docker.ts";

const { root, run, runWith, write } = useCliFolder();

describe("validate and the images the config names (the real Docker engine)", () => {
  const present = uniqueImageTag("validate-present");
  const absent = uniqueImageTag("validate-absent");
  // gcc 12 in the image this host has, clang 16 (two standards) in one it lacks.
  const PRESENT_AND_ABSENT = [
    "version: 1",
    "matrix:",
    "  compiler: [gcc@12, clang@16]",
    "  cxx_standard: [17, 20]",
    "  include:",
    "    - compiler: clang@16",
    `      image: ${absent}`,
    `image: ${present}`,
    "",
  ].join("\n");
  const engine = useLabelOnlyImage(present);
  const WARNING = `warning: image '${absent}' is not on this host (docker image inspect found none); 2 cells use it (linux / clang-16 / c++17 / Release, linux / clang-16 / c++20 / Release): they will fail unless the image is pulled or built first\n`;

  it("warns, on stderr, for the image the engine lacks only, naming its cells, and exits 0", async () => {
    await write("repo/.heimdall-build.yml", PRESENT_AND_ABSENT);
    const { code, stdout, stderr } = await run("validate", "repo");
    expect(stderr).toBe(WARNING);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`linux / gcc-12 / c\\+\\+17 / Release +-std=c\\+\\+17 +${present} +runs`));
    expect(stdout).toMatch(new RegExp(`linux / clang-16 / c\\+\\+20 / Release +-std=c\\+\\+20 +${absent} +runs`));
    expect(stdout).toContain("4 cells, 4 to run, 0 skipped");
  });

  it("--json: each cell's image, and image_present for an image the config names (not for the catalog's)", async () => {
    await write(
      "repo/.heimdall-build.yml",
      [
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, gcc@13, clang@16]",
        "  include:",
        "    - compiler: gcc@12",
        `      image: ${present}`,
        "    - compiler: clang@16",
        `      image: ${absent}`,
        "",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await run("validate", "repo", "--json");
    expect(code).toBe(0);
    expect(stderr).toMatch(
      new RegExp(
        `^warning: image '${absent}' is not on this host .*; 1 cell uses it \\(linux / clang-16 / c\\+\\+17 / Release\\): it will fail unless the image is pulled or built first\n$`,
      ),
    );
    const { cells } = JSON.parse(stdout) as { cells: Record<string, unknown>[] };
    // After the keys every cell has (validate.test.ts): image, and image_present for a named image.
    expect(cells.map((cell) => Object.keys(cell).slice(-2))).toEqual([
      ["image", "image_present"],
      ["skip_reason", "image"],
      ["image", "image_present"],
    ]);
    expect(cells.map((cell) => [cell.compiler_version, cell.image, cell.image_present])).toEqual([
      [12, present, true],
      [13, "heimdall-build/gcc-13:trixie", undefined],
      [16, absent, false],
    ]);
  });

  it("without an engine: one note that presence was not checked, image_present null, exit 0", async () => {
    await write("repo/.heimdall-build.yml", PRESENT_AND_ABSENT);
    const noEngine = { docker: async () => null };
    const table = await runWith(noEngine, "validate", "repo");
    expect(table.code).toBe(0);
    expect(table.stderr).toBe(
      `note: whether this host has the images the config names (${present}, ${absent}) was not checked: no Docker engine answers (start dockerd, or set DOCKER_HOST)\n`,
    );
    expect(table.stdout).toContain("4 cells, 4 to run, 0 skipped");
    const json = await runWith(noEngine, "validate", "repo", "--json");
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(table.stderr);
    const { cells } = JSON.parse(json.stdout) as { cells: Record<string, unknown>[] };
    expect(cells.map((cell) => [cell.image, cell.image_present])).toEqual([
      [present, null],
      [present, null],
      [absent, null],
      [absent, null],
    ]);
  });

  it("an engine that fails when asked: the same note, with its error, exit 0", async () => {
    await write("repo/.heimdall-build.yml", PRESENT_AND_ABSENT);
    const gone = new Docker({ socketPath: path.join(root(), "no-such-docker.sock") });
    const { code, stderr } = await runWith({ docker: async () => gone }, "validate", "repo");
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /^note: whether this host has the images the config names \(.*\) was not checked: docker image inspect \S+ failed: .*ENOENT.*\n$/,
    );
  });

  it("asks no engine when the config names no image", async () => {
    await write("repo/.heimdall-build.yml", "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n");
    let asked = 0;
    const { code, stderr } = await runWith(
      {
        docker: async () => {
          asked++;
          return engine();
        },
      },
      "validate",
      "repo",
    );
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(asked).toBe(0);
  });
});
