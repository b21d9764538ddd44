/**
 * One cell in a real container: examples/hello-cpp built by gcc 12 from its
 * Debian image, with its warning annotated and its tests read back; a broken
 * build, a timeout and a cancel.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCell } from "../../src/executor/docker/run-cell.ts";
import { requireDocker } from "../support/docker.ts";
import { configured, gcc12Image } from "../support/executor.ts";

const example = path.resolve(import.meta.dirname, "../../examples/hello-cpp");
let docker: Docker;
let image: string;
let scratch: string;

beforeAll(async () => {
  docker = await requireDocker();
  image = await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-cell-"));
}, 900_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function workspace(name: string, edit?: (dir: string) => Promise<void>) {
  const dir = path.join(scratch, name);
  await cp(example, dir, { recursive: true });
  await edit?.(dir);
  return dir;
}

describe("runCell in a real container", () => {
  test("hello-cpp with gcc 12: success, the deliberate warning annotated, both tests passed", async () => {
    const { cells, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\n  build_type: [Debug]\n",
    );
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    let log = "";
    const dir = await workspace("ok");
    const result = await runCell({
      docker,
      image,
      workspace: dir,
      cell,
      settings,
      timeoutMs: 300_000,
      network: false,
      label: "gcc-12",
      onOutput: (chunk) => {
        log += chunk;
      },
    });
    expect(result.conclusion, log.slice(-3000)).toBe("success");
    expect(result.failedPhase).toBeNull();
    expect(Object.keys(result.phases)).toEqual(["compiler", "configure", "build", "test"]);
    // The standard was asked of CMake, and reached every compile command.
    expect(await readFile(path.join(dir, "build/CMakeCache.txt"), "utf8")).toMatch(/^CMAKE_CXX_STANDARD:\w+=20$/m);
    expect(await readFile(path.join(dir, "build/compile_commands.json"), "utf8")).toContain("-std=c++20 ");
    const warning = result.diagnostics.annotations.find((a) => a.code === "-Wunused-variable");
    expect(warning).toMatchObject({
      path: "src/main.cpp",
      start_line: 7,
      annotation_level: "warning",
      title: "gcc-12: -Wunused-variable",
    });
    expect(result.junitXml).toContain('tests="2"');
    expect(result.junitXml).toContain('failures="0"');
  }, 300_000);

  test("a broken source: failure in the build phase, the error on its line", async () => {
    const { cells, settings } = configured("version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [17]\n");
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    const dir = await workspace("broken", async (d) => {
      await writeFile(
        path.join(d, "src/greeting.cpp"),
        '#include "greeting.h"\nstd::string greet(const std::string& n) { return missing(n); }\nint count_words(const std::string&) { return 0; }\n',
      );
    });
    const result = await runCell({
      docker,
      image,
      workspace: dir,
      cell,
      settings,
      timeoutMs: 300_000,
      network: false,
      label: "gcc-12",
    });
    expect(result.conclusion).toBe("failure");
    expect(result.failedPhase).toBe("build");
    expect(result.phases.test).toBeUndefined();
    expect(result.diagnostics.annotations).toContainEqual(
      expect.objectContaining({ path: "src/greeting.cpp", start_line: 2, annotation_level: "failure" }),
    );
  }, 300_000);

  test("a build past its time limit ends timed_out, and a cancel stops it within seconds", async () => {
    const { cells, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: [sleep 120]\ntests: false\n",
    );
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    const timed = await runCell({
      docker,
      image,
      workspace: await workspace("slow"),
      cell,
      settings,
      timeoutMs: 2000,
      network: false,
      label: "gcc-12",
    });
    expect(timed.conclusion).toBe("timed_out");

    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 1500);
    const cancelled = await runCell({
      docker,
      image,
      workspace: await workspace("cancel"),
      cell,
      settings,
      timeoutMs: 300_000,
      signal: controller.signal,
      network: false,
      label: "gcc-12",
    });
    expect(cancelled.conclusion).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);

  test("a phase whose output does not end its line still has its status read", async () => {
    const { cells, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ['printf abc']\ntests: false\n",
    );
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    const result = await runCell({
      docker,
      image,
      workspace: await workspace("no-newline"),
      cell,
      settings,
      timeoutMs: 60_000,
      network: false,
      label: "gcc-12",
    });
    expect(result.conclusion).toBe("success");
    expect(result.phases.build?.status).toBe(0);
  }, 120_000);

  test("a JUnit file the build replaced with a link to a host file is not read", async () => {
    const { cells, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ['mkdir -p .heimdall && ln -sf /etc/passwd .heimdall/junit.xml']\ntests: false\n",
    );
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    const dir = await workspace("link");
    const result = await runCell({
      docker,
      image,
      workspace: dir,
      cell,
      settings,
      timeoutMs: 60_000,
      network: false,
      label: "gcc-12",
    });
    expect(result.conclusion).toBe("success");
    expect(result.junitXml).toBeNull();
  }, 120_000);
});
