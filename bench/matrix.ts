/**
 * The executor on examples/hello-cpp, next to plain `docker run` baselines
 * measured in the same run:
 *
 *  1. the 4 cells gcc@12, clang@16 × C++17, C++20 (Debug) through runCell, 2
 *     at a time, cold (fresh ccache volumes, no network), against the same 4
 *     builds one after another with `docker run --rm ... cmake && ctest`;
 *  2. gcc@12 C++17 rebuilt from a fresh copy with the cold build's ccache
 *     volume (warm) against the cold build;
 *  3. runCell of a trivial cell (`true`, no tests, no cache) against a bare
 *     `docker run --rm <image> true`: the orchestration overhead per cell.
 *
 *   node bench/matrix.ts [--runs 1]     (median of the runs for 1 and 2; 5 runs for 3)
 *   node bench/matrix.ts --project DIR [--configure-args "-DBUILD_TESTING=ON"]
 *     the same on another CMake project with ctest tests, e.g. one of Debian's
 *     source packages fetched by bench/fetch-debian-source.sh (double-conversion)
 *
 * Goals (issue): matrix ≤ 0.5× the sequential script, warm ≤ 0.2× cold,
 * overhead ≤ 1 s per cell. Every copy and volume made is removed.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Docker from "dockerode";
import { findCompiler } from "../src/config/catalog.ts";
import type { Cell } from "../src/config/matrix.ts";
import { parseConfig } from "../src/config/parse.ts";
import type { BuildSettings } from "../src/executor/cell-script.ts";
import { ensureImage, imageSpec } from "../src/executor/docker/images.ts";
import { runCell } from "../src/executor/docker/run-cell.ts";
import type { CellRunResult } from "../src/executor/executor.ts";

const self = fileURLToPath(import.meta.url);
const example = path.resolve(path.dirname(self), "../examples/hello-cpp");
const exec = promisify(execFile);

const matrixConfig = (configureArgs: readonly string[]) => `version: 1
matrix:
  compiler: [gcc@12, clang@16]
  cxx_standard: [17, 20]
  build_type: [Debug]
build:
  cmake:
    configure_args: ${JSON.stringify(configureArgs)}
tests:
  ctest_args: [--output-on-failure]
`;

const TRIVIAL_CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
build:
  script:
    commands: ["true"]
tests: false
cache: false
`;

function configured(text: string): { cells: readonly Cell[]; settings: BuildSettings } {
  const parsed = parseConfig(text);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  return { cells: parsed.cells.filter((c) => !c.skipped), settings };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function main() {
  const args = process.argv.slice(2);
  const runs = Math.max(1, Number(args[args.indexOf("--runs") + 1] || 1) || 1);
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const project = option("--project") ? path.resolve(option("--project") ?? "") : example;
  const configureArgs =
    option("--configure-args")?.split(/\s+/).filter(Boolean) ?? (project === example ? ["-DHELLO_WARNINGS=ON"] : []);
  console.log(`project: ${project}${configureArgs.length ? ` (${configureArgs.join(" ")})` : ""}`);
  const docker = new Docker();
  await docker.ping();
  const tag = randomBytes(4).toString("hex");
  const scratch = await mkdtemp(path.join(os.tmpdir(), "heimdall-bench-matrix-"));
  const volumes = new Set<string>();
  let copies = 0;

  /** A fresh copy of the example, owned by the build user (uid 1000) as runCell would make it. */
  const freshCopy = async (name: string) => {
    const dir = path.join(scratch, `${++copies}-${name}`);
    await cp(project, dir, { recursive: true });
    if (process.getuid?.() === 0) await exec("chown", ["-R", "1000:1000", dir]);
    return dir;
  };
  const freshVolume = (name: string) => {
    const volume = `heimdall-bench-ccache-${tag}-${volumes.size}-${name}`;
    volumes.add(volume);
    return volume;
  };
  const label = (cell: Cell) => `${cell.compiler.family}-${cell.compiler.version}`;

  const images = new Map<string, string>();
  const imageOf = async (cell: Cell) => {
    const key = label(cell);
    let image = images.get(key);
    if (!image) {
      const release = findCompiler(cell.compiler.family, cell.compiler.version);
      if (!release) throw new Error(`${key} is not in the catalog`);
      image = await ensureImage(docker, imageSpec(release));
      images.set(key, image);
    }
    return image;
  };

  const build = async (cell: Cell, settings: BuildSettings, workspace: string, volume: string | null) => {
    let tail = "";
    const result: CellRunResult = await runCell({
      docker,
      image: await imageOf(cell),
      workspace,
      cell,
      settings,
      timeoutMs: 600_000,
      network: false,
      label: label(cell),
      cache: volume ? { volume } : null,
      onOutput: (chunk) => {
        tail = (tail + chunk).slice(-4000);
      },
    });
    if (result.conclusion !== "success") throw new Error(`${cell.name}: ${result.conclusion}\n${tail}`);
    return result;
  };

  /** The baseline: one plain container per build, as the same user, no network. */
  const plainBuild = async (image: string, stdFlag: string, workspace: string) => {
    const extra = configureArgs.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const script = `cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Debug '-DCMAKE_CXX_FLAGS=${stdFlag}' ${extra} && cmake --build build && cd build && ctest`;
    await exec(
      "docker",
      [
        "run",
        "--rm",
        "--network",
        "none",
        "--user",
        "1000:1000",
        "-v",
        `${workspace}:/src`,
        "-w",
        "/src",
        image,
      ].concat(["bash", "-c", script]),
      { maxBuffer: 64 * 1024 * 1024 },
    );
  };

  try {
    const matrix = configured(matrixConfig(configureArgs));
    if (matrix.cells.length !== 4) throw new Error(`expected 4 cells, got ${matrix.cells.length}`);
    for (const cell of matrix.cells) await imageOf(cell);

    // 1. The matrix, 2 at a time, cold, against the sequential script.
    const matrixMs: number[] = [];
    const sequentialMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      sequentialMs.push(
        (
          await timed(async () => {
            for (const cell of matrix.cells) {
              await plainBuild(await imageOf(cell), cell.stdFlag ?? "", await freshCopy("plain"));
            }
          })
        ).ms,
      );
      const volumeOf = new Map<string, string>();
      for (const cell of matrix.cells)
        if (!volumeOf.has(label(cell))) volumeOf.set(label(cell), freshVolume(label(cell)));
      const workspaces = await Promise.all(matrix.cells.map((cell) => freshCopy(cell.id)));
      matrixMs.push(
        (
          await timed(async () => {
            let next = 0;
            const worker = async () => {
              while (next < matrix.cells.length) {
                const i = next++;
                const cell = matrix.cells[i] as Cell;
                await build(cell, matrix.settings, workspaces[i] as string, volumeOf.get(label(cell)) ?? null);
              }
            };
            await Promise.all([worker(), worker()]);
          })
        ).ms,
      );
    }

    // 2. Warm rebuild against cold: gcc@12 C++17.
    const gcc17 = matrix.cells.find((c) => c.compiler.family === "gcc" && c.cxxStandard === 17);
    if (!gcc17) throw new Error("no gcc@12 C++17 cell");
    const coldMs: number[] = [];
    const warmMs: number[] = [];
    let coldCache: CellRunResult["cache"] = null;
    let warmCache: CellRunResult["cache"] = null;
    let coldPhases: CellRunResult["phases"] = {};
    let warmPhases: CellRunResult["phases"] = {};
    for (let run = 0; run < runs; run++) {
      const volume = freshVolume("warm");
      const coldCopy = await freshCopy("cold");
      const cold = await timed(() => build(gcc17, matrix.settings, coldCopy, volume));
      const warmCopy = await freshCopy("warm");
      const warm = await timed(() => build(gcc17, matrix.settings, warmCopy, volume));
      coldMs.push(cold.ms);
      warmMs.push(warm.ms);
      coldCache = cold.value.cache;
      warmCache = warm.value.cache;
      coldPhases = cold.value.phases;
      warmPhases = warm.value.phases;
    }

    // 3. Orchestration overhead: a trivial cell against a bare container.
    const trivial = configured(TRIVIAL_CONFIG);
    const trivialCell = trivial.cells[0];
    if (!trivialCell) throw new Error("no trivial cell");
    const trivialImage = await imageOf(trivialCell);
    const emptyWorkspace = path.join(scratch, "empty");
    await mkdir(emptyWorkspace);
    const bareMs: number[] = [];
    const trivialMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      bareMs.push((await timed(() => exec("docker", ["run", "--rm", trivialImage, "true"]))).ms);
      trivialMs.push((await timed(() => build(trivialCell, trivial.settings, emptyWorkspace, null))).ms);
    }

    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const rate = (c: CellRunResult["cache"]) =>
      c ? `${c.rate === null ? "n/a" : `${(c.rate * 100).toFixed(0)}%`} (${c.hits} hits, ${c.misses} misses)` : "n/a";
    const phases = (p: CellRunResult["phases"]) =>
      (["configure", "build", "test"] as const).map((k) => `${k} ${((p[k]?.ms ?? 0) / 1000).toFixed(2)}`).join(", ");
    const signed = (ms: number) => `${ms >= 0 ? "+" : "-"}${s(Math.abs(ms))}`;
    const matrixRatio = median(matrixMs) / median(sequentialMs);
    const warmRatio = median(warmMs) / median(coldMs);
    const overhead = median(trivialMs) - median(bareMs);
    const rows: string[][] = [
      ["measure", "heimdall", "baseline", "x baseline", "goal", "notes"],
      [
        "matrix 4 cells, 2 at a time (cold)",
        s(median(matrixMs)),
        s(median(sequentialMs)),
        matrixRatio.toFixed(3),
        "≤ 0.5",
        "baseline: 4 sequential docker run",
      ],
      [
        "gcc@12 C++17 warm vs cold",
        s(median(warmMs)),
        s(median(coldMs)),
        warmRatio.toFixed(3),
        "≤ 0.2",
        `hit rate cold ${rate(coldCache)}, warm ${rate(warmCache)}`,
      ],
      [
        "trivial cell vs docker run true (x5 median)",
        s(median(trivialMs)),
        s(median(bareMs)),
        (median(trivialMs) / median(bareMs)).toFixed(3),
        "+≤ 1 s",
        `overhead ${signed(overhead)} per cell`,
      ],
    ];
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    for (const row of rows)
      console.log(
        row.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "),
      );
    const met = (ok: boolean) => (ok ? "met" : "NOT met");
    const phaseMs = (p: CellRunResult["phases"], ...names: ("configure" | "build")[]) =>
      names.reduce((sum, name) => sum + (p[name]?.ms ?? 0), 0);
    const buildRatio =
      phaseMs(coldPhases, "build") > 0 ? phaseMs(warmPhases, "build") / phaseMs(coldPhases, "build") : null;
    const compileRatio =
      phaseMs(coldPhases, "configure", "build") > 0
        ? phaseMs(warmPhases, "configure", "build") / phaseMs(coldPhases, "configure", "build")
        : null;
    const cores = os.availableParallelism();
    console.log(
      `\nruns: ${runs} (median); cores: ${cores}` +
        `\nmatrix ≤ 0.5× sequential: ${met(matrixRatio <= 0.5)} (${s(median(matrixMs))} vs ${s(median(sequentialMs))}, ${matrixRatio.toFixed(3)}×)` +
        (cores <= 2
          ? `; on ${cores} cores each sequential build already uses every core (ninja -j${cores + 2}), so 2 at a time can gain only the single-threaded parts (cmake configure, ctest, container start)`
          : "") +
        `\nwarm ≤ 0.2× cold: ${met(warmRatio <= 0.2)} (${s(median(warmMs))} vs ${s(median(coldMs))}, ${warmRatio.toFixed(3)}×; warm hit rate ${rate(warmCache)})` +
        `\n  phases (s): cold ${phases(coldPhases)}; warm ${phases(warmPhases)}` +
        // The tests run again in full on a warm rebuild; the compiling is what the cache saves.
        `\n  build phase warm vs cold: ${buildRatio === null ? "n/a" : `${buildRatio.toFixed(3)}× (${met(buildRatio <= 0.2)} for ≤ 0.2×); configure + build: ${compileRatio?.toFixed(3) ?? "n/a"}×`}` +
        `\noverhead ≤ 1 s per cell: ${met(overhead <= 1000)} (${s(median(trivialMs))} vs ${s(median(bareMs))}, ${signed(overhead)})`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
    for (const volume of volumes)
      await docker
        .getVolume(volume)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

if (process.argv[1] === self) await main();
