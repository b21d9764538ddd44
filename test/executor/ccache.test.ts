/**
 * The shared compiler cache in real containers: examples/hello-cpp built twice
 * from two workspaces into one volume (the second build hits), a fork's volume
 * apart from the trusted one (no hits), `cache: false` without ccache, a
 * script cell's own CMake going through ccache too (its summary's hit rate),
 * and two builds at once in one volume, each counting its own results only.
 */
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import type { BuildSettings } from "../../src/executor/cell-script.ts";
import { cacheVolumeName } from "../../src/executor/docker/cache-volume.ts";
import { runContainer } from "../../src/executor/docker/container.ts";
import { DockerExecutor } from "../../src/executor/docker/docker-executor.ts";
import { runCell } from "../../src/executor/docker/run-cell.ts";
import type { CellRunResult } from "../../src/executor/executor.ts";
import { requireDocker } from "../support/docker.ts";
import { attemptFirstCell, copyExample, gcc12Image } from "../support/executor.ts";

const example = path.resolve(import.meta.dirname, "../../examples/hello-cpp");
const run = randomBytes(4).toString("hex");
const trusted = `heimdall-ccache-test-${run}-trusted`;
const fork = `heimdall-ccache-test-${run}-fork`;
const script = `heimdall-ccache-test-${run}-script`;
const together = `heimdall-ccache-test-${run}-together`;
let docker: Docker;
let image: string;
let scratch: string;

beforeAll(async () => {
  docker = await requireDocker();
  image = await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-ccache-"));
}, 900_000);

afterAll(async () => {
  for (const volume of [trusted, fork, script, together])
    await docker
      ?.getVolume(volume)
      .remove({ force: true })
      .catch(() => undefined);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function configured(extra = "") {
  const parsed = parseConfig(
    `version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\n  build_type: [Debug]\n${extra}`,
  );
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  const cell = parsed.cells[0];
  if (!cell) throw new Error("no cell");
  return { cell, settings: settings as BuildSettings };
}

async function build(name: string, volume: string | null, extra = ""): Promise<CellRunResult & { dir: string }> {
  const { cell, settings } = configured(extra);
  const dir = path.join(scratch, name);
  await cp(example, dir, { recursive: true });
  let log = "";
  const result = await runCell({
    docker,
    image,
    workspace: dir,
    cell,
    settings,
    timeoutMs: 300_000,
    network: false,
    label: "gcc-12",
    cache: volume ? { volume, maxSize: "500M" } : null,
    onOutput: (chunk) => {
      log += chunk;
    },
  });
  expect(result.conclusion, log.slice(-3000)).toBe("success");
  return { ...result, dir };
}

describe("the shared ccache volume", () => {
  test("one volume per image, repository owner and trust", () => {
    const gcc12 = "heimdall-build/gcc-12:bookworm";
    expect(cacheVolumeName(gcc12, "trusted", "octo")).toMatch(/^heimdall-ccache-[0-9a-f]{12}-[0-9a-f]{12}-trusted$/);
    expect(cacheVolumeName(gcc12, "fork", "octo")).toMatch(/^heimdall-ccache-[0-9a-f]{12}-[0-9a-f]{12}-fork$/);
    expect(cacheVolumeName(gcc12, "trusted", "octo")).not.toBe(
      cacheVolumeName("heimdall-build/gcc-13:bookworm", "trusted", "octo"),
    );
    expect(cacheVolumeName(gcc12, "trusted", "octo")).not.toBe(cacheVolumeName(gcc12, "trusted", "other"));
    expect(cacheVolumeName(gcc12, "trusted", "Octo")).toBe(cacheVolumeName(gcc12, "trusted", "octo"));
  });

  test("the same cell from a second workspace hits; a fork's volume does not see the trusted one's entries", async () => {
    const first = await build("first", trusted);
    expect(first.cache?.misses).toBeGreaterThan(0);
    expect(first.cache?.hits).toBe(0);
    expect(first.cache?.rate).toBe(0);

    const second = await build("second", trusted);
    expect(second.cache?.hits).toBeGreaterThan(0);
    expect(second.cache?.rate).toBeGreaterThan(0.5);

    const forked = await build("fork", fork);
    expect(forked.cache?.hits).toBe(0);
    expect(forked.cache?.misses).toBeGreaterThan(0);
    expect(forked.cache?.rate).toBe(0);
    console.log(
      `ccache hit rates: first ${first.cache?.rate} (${first.cache?.hits}/${first.cache?.misses}), second ${second.cache?.rate} (${second.cache?.hits}/${second.cache?.misses}), fork ${forked.cache?.rate}`,
    );

    // The volume's root is the build user's (the one-shot chown), and the entries are in it.
    const listing = await runContainer(docker, {
      image,
      cmd: ["sh", "-c", "stat -c %u /ccache; find /ccache -type f | wc -l"],
      binds: [`${trusted}:/ccache:ro`],
    });
    const [owner, files] = listing.output.trim().split("\n").map(Number);
    expect(owner).toBe(process.getuid?.() === 0 ? 1000 : process.getuid?.());
    expect(files).toBeGreaterThan(0);
  }, 900_000);

  test("cache: false leaves ccache out: no launcher, no counters", async () => {
    const off = await build("off", trusted, "cache: false\n");
    expect(off.cache).toBeNull();
    const cmakeCache = await readFile(path.join(off.dir, "build/CMakeCache.txt"), "utf8");
    expect(cmakeCache).not.toContain("COMPILER_LAUNCHER:STRING=ccache");
  }, 600_000);

  test("a script cell's own CMake goes through ccache: run again from another workspace, its summary shows the hits", async () => {
    // CMake reads CMAKE_<LANG>_COMPILER_LAUNCHER from the environment the script cell exports.
    const commands = ["cmake -S . -B build -G Ninja", "cmake --build build"];
    const yaml = `version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\nbuild:\n  script:\n    commands: ${JSON.stringify(commands)}\ntests: {test_dir: build}\nsbom: false\n`;
    const executor = new DockerExecutor({ docker, network: false, cache: () => ({ volume: script, maxSize: "500M" }) });
    const attempt = async (name: string) => {
      const workspace = await copyExample(path.join(scratch, name));
      const { report, log } = await attemptFirstCell(yaml, workspace, executor.inImage(image));
      expect(report.conclusion, log.slice(-3000)).toBe("success");
      return report;
    };
    const first = await attempt("script-first");
    expect(first.result.cache).toMatchObject({ hits: 0, rate: 0 });
    expect(first.result.cache?.misses).toBeGreaterThan(0);
    expect(await readFile(path.join(scratch, "script-first/build/CMakeCache.txt"), "utf8")).toContain(
      "CMAKE_CXX_COMPILER_LAUNCHER:STRING=ccache",
    );
    const second = await attempt("script-second");
    expect(second.result.cache?.hits).toBeGreaterThan(0);
    expect(second.result.cache?.rate).toBeGreaterThan(0.5);
    // The summary's environment row ends with the hit rate, as a CMake cell's does.
    const shown = (report: typeof first) => Number(/\| (\d+)% \|\n/.exec(report.summary.summary)?.[1]);
    expect(shown(first)).toBe(0);
    expect(shown(second)).toBe(Math.round((second.result.cache?.rate ?? 0) * 100));
  }, 900_000);

  test("two builds at once in one volume each count their own results, not the volume's counters", async () => {
    // The second compiles while the first is between its counts: its misses must not be the first's.
    // They meet through files in the volume, the one folder both see.
    const first = [
      "cmake -S . -B build -G Ninja",
      "cmake --build build",
      "touch /ccache/first-built",
      "timeout 300 sh -c 'until [ -e /ccache/second-built ]; do sleep 0.2; done'",
    ];
    const second = [
      "timeout 300 sh -c 'until [ -e /ccache/first-built ]; do sleep 0.2; done'",
      "cmake -S . -B build -G Ninja",
      "cmake --build build",
      "touch /ccache/second-built",
    ];
    const yaml = (commands: string[], standard: number) =>
      `version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [${standard}]\nbuild:\n  script:\n    commands: ${JSON.stringify(commands)}\ntests: false\nsbom: false\n`;
    const executor = new DockerExecutor({
      docker,
      network: false,
      cache: () => ({ volume: together, maxSize: "500M" }),
    });
    const attempt = async (name: string, text: string) => {
      const workspace = await copyExample(path.join(scratch, name));
      const { report, log } = await attemptFirstCell(text, workspace, executor.inImage(image));
      expect(report.conclusion, log.slice(-3000)).toBe("success");
      return report.result.cache;
    };
    // Two standards: nothing one compiles is a hit for the other.
    const [firstCache, secondCache] = await Promise.all([
      attempt("together-first", yaml(first, 17)),
      attempt("together-second", yaml(second, 20)),
    ]);
    // In each build, each a miss: hello-cpp's three files and CMake's compiler check
    // (CMakeCXXCompilerABI.cpp, compiled through the launcher the script's CMake reads).
    // The volume's counters said 8 for the first: the second's 4 as well.
    expect(firstCache).toEqual({ hits: 0, misses: 4, rate: 0 });
    expect(secondCache).toEqual({ hits: 0, misses: 4, rate: 0 });
  }, 900_000);
});
