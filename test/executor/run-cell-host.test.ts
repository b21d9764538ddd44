/**
 * One cell on the host, without a container: examples/hello-cpp built by the
 * installed gcc 12, a broken build, a timeout that takes the whole process
 * group with it, a cancel, and none of the worker's environment leaking in.
 */
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import type { BuildSettings } from "../../src/executor/cell-script.ts";
import { hostCompilers } from "../../src/executor/host/host-environment.ts";
import { runCellOnHost } from "../../src/executor/host/run-cell-host.ts";

const example = path.resolve(import.meta.dirname, "../../examples/hello-cpp");
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-cell-host-"));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function configured(yaml: string) {
  const parsed = parseConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  const cell = parsed.cells[0];
  if (!cell) throw new Error("no cell");
  return { cell, settings: settings as BuildSettings };
}

async function workspace(name: string, edit?: (dir: string) => Promise<void>) {
  const dir = path.join(scratch, name);
  await cp(example, dir, { recursive: true });
  await edit?.(dir);
  return dir;
}

async function empty(name: string) {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A process that still exists and is not a zombie (killed, waiting for init to reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe("runCellOnHost", () => {
  test("the catalog's compiler names, else the family's", () => {
    expect(hostCompilers({ family: "gcc", version: 12 })).toEqual({ cc: "gcc-12", cxx: "g++-12" });
    expect(hostCompilers({ family: "clang", version: 16 })).toEqual({ cc: "clang-16", cxx: "clang++-16" });
    expect(hostCompilers({ family: "gcc", version: 7 })).toEqual({ cc: "gcc", cxx: "g++" });
    expect(hostCompilers({ family: "apple-clang", version: 15 })).toEqual({ cc: "clang", cxx: "clang++" });
  });

  test("hello-cpp with gcc 12: success, the deliberate warning annotated, both tests passed", async () => {
    const { cell, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\n  build_type: [Debug]\n",
    );
    let log = "";
    const dir = await workspace("ok");
    const result = await runCellOnHost({
      workspace: dir,
      cell,
      settings,
      timeoutMs: 300_000,
      label: "gcc-12",
      onOutput: (chunk) => {
        log += chunk;
      },
    });
    expect(result.conclusion, log.slice(-3000)).toBe("success");
    expect(result.failedPhase).toBeNull();
    expect(Object.keys(result.phases)).toEqual(["compiler", "configure", "build", "test"]);
    const cache = await readFile(path.join(dir, "build/CMakeCache.txt"), "utf8");
    expect(cache).toMatch(/^CMAKE_CXX_STANDARD:\w+=20$/m);
    expect(await readFile(path.join(dir, "build/compile_commands.json"), "utf8")).toContain("-std=c++20 ");
    expect(cache).toMatch(/CMAKE_CXX_COMPILER:\w+=\S*g\+\+-12/);
    const warning = result.diagnostics.annotations.find((a) => a.code === "-Wunused-variable");
    expect(warning).toMatchObject({
      path: "src/main.cpp",
      start_line: 7,
      annotation_level: "warning",
      title: "gcc-12: -Wunused-variable",
    });
    expect(result.junitXml).toContain('tests="2"');
    expect(result.junitXml).toContain('failures="0"');
    expect(result.oomKilled).toBe(false);
    expect(result.outputBytes).toBe(Buffer.byteLength(log));
    expect(result.log.bytes).toBe(result.outputBytes);
  }, 300_000);

  test("a broken source: failure in the build phase, the error on its line", async () => {
    const { cell, settings } = configured("version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [17]\n");
    const dir = await workspace("broken", async (d) => {
      await writeFile(
        path.join(d, "src/greeting.cpp"),
        '#include "greeting.h"\nstd::string greet(const std::string& n) { return missing(n); }\nint count_words(const std::string&) { return 0; }\n',
      );
    });
    const result = await runCellOnHost({ workspace: dir, cell, settings, timeoutMs: 300_000, label: "gcc-12" });
    expect(result.conclusion).toBe("failure");
    expect(result.failedPhase).toBe("build");
    expect(result.phases.build?.status).not.toBe(0);
    expect(result.phases.test).toBeUndefined();
    expect(result.diagnostics.annotations).toContainEqual(
      expect.objectContaining({ path: "src/greeting.cpp", start_line: 2, annotation_level: "failure" }),
    );
  }, 300_000);

  test("past its time limit: timed_out within seconds, the whole process group killed", async () => {
    const { cell, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ['sleep 60 & echo $! > sleep.pid; wait']\ntests: false\n",
    );
    const dir = await empty("slow");
    const started = Date.now();
    const result = await runCellOnHost({ workspace: dir, cell, settings, timeoutMs: 1500, label: "gcc-12" });
    expect(result.conclusion).toBe("timed_out");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.phases.build).toMatchObject({ status: null });
    const pid = Number((await readFile(path.join(dir, "sleep.pid"), "utf8")).trim());
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid, 5000)).toBe(true);
  }, 60_000);

  test("a cancel stops the build within seconds, its processes with it", async () => {
    const { cell, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ['sleep 60 & echo $! > sleep.pid; wait']\ntests: false\n",
    );
    const dir = await empty("cancel");
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 1000);
    const result = await runCellOnHost({
      workspace: dir,
      cell,
      settings,
      timeoutMs: 300_000,
      signal: controller.signal,
      label: "gcc-12",
    });
    expect(result.conclusion).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number((await readFile(path.join(dir, "sleep.pid"), "utf8")).trim());
    expect(await gone(pid, 5000)).toBe(true);
  }, 60_000);

  test("the worker's environment stays out; the cell's compilers and stderr come in", async () => {
    const { cell, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ['echo \"secret=$(printenv HEIMDALL_TEST_SECRET || echo unset) cc=$CC cxx=$CXX\"', 'echo to-stderr >&2', 'env | cut -d= -f1 | sort | tr \"\\n\" \" \"']\ntests: false\n",
    );
    process.env.HEIMDALL_TEST_SECRET = "x";
    let log = "";
    try {
      const result = await runCellOnHost({
        workspace: await empty("env"),
        cell,
        settings,
        timeoutMs: 60_000,
        label: "gcc-12",
        onOutput: (chunk) => {
          log += chunk;
        },
      });
      expect(result.conclusion, log).toBe("success");
    } finally {
      delete process.env.HEIMDALL_TEST_SECRET;
    }
    expect(log).toContain("secret=unset cc=gcc-12 cxx=g++-12");
    expect(log).toContain("to-stderr");
    expect(log).not.toContain("HEIMDALL_TEST_SECRET");
  }, 60_000);
});
