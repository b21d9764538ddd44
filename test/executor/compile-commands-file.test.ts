/** Finding and reading a cell's compile_commands.json in its workspace: the build wrote it, so it is untrusted. */
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { cellStandards, MAX_COMPILE_COMMANDS_BYTES } from "../../src/executor/compile-commands-file.ts";
import { configured } from "../support/executor.ts";

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "heimdall-compile-commands-"));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const cmake = configured("version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\n");
const script = configured(
  "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\nbuild:\n  script:\n    commands: [make]\ntests: false\n",
);
const cell = cmake.cells[0] as (typeof cmake.cells)[number];

function commands(std: string): string {
  return JSON.stringify([
    { directory: "/work/src/build", command: `g++-12 ${std} -c /work/src/a.cpp`, file: "/work/src/a.cpp" },
  ]);
}

async function put(relative: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(workspace, relative)), { recursive: true });
  await writeFile(path.join(workspace, relative), text);
}

describe("cellStandards", () => {
  test("a CMake cell's file is read from its build folder and kept whole", async () => {
    await put("build/compile_commands.json", commands("-std=c++20"));
    const standards = await cellStandards(workspace, cell, cmake.settings);
    expect(standards.checks?.map((c) => c.ok)).toEqual([true]);
    expect(standards.compileCommands).toBe(commands("-std=c++20"));
  });

  test("a script cell's is the shallowest in the workspace, never one under .git", async () => {
    await put(".git/compile_commands.json", commands("-std=c++20"));
    await put("out/deep/compile_commands.json", commands("-std=c++20"));
    await put("out/compile_commands.json", commands("-std=gnu++11"));
    const standards = await cellStandards(workspace, cell, script.settings);
    expect(standards.checks?.[0]?.seen).toEqual({ "gnu++11": 1 });
  });

  test("without one, nothing is checked and the reason says so", async () => {
    const standards = await cellStandards(workspace, cell, script.settings);
    expect(standards).toEqual({
      checks: null,
      notChecked: expect.stringMatching(/^the build left no compile_commands\.json in the workspace/),
      compileCommands: null,
    });
  });

  test("a link to a host file is not followed", async () => {
    await mkdir(path.join(workspace, "build"));
    await symlink("/etc/passwd", path.join(workspace, "build", "compile_commands.json"));
    const standards = await cellStandards(workspace, cell, cmake.settings);
    expect(standards.checks).toBeNull();
    expect(standards.compileCommands).toBeNull();
    expect(standards.notChecked).toContain("a link out of the workspace is not followed");
  });

  test("a file that is not compile commands is said to be unreadable, not thrown", async () => {
    await put("build/compile_commands.json", "[{");
    const standards = await cellStandards(workspace, cell, cmake.settings);
    expect(standards.checks).toBeNull();
    expect(standards.notChecked).toMatch(/^build\/compile_commands\.json could not be read: not JSON/);
  });

  test("a file past the read limit is not read, its size said", async () => {
    await put("build/compile_commands.json", "");
    await truncate(path.join(workspace, "build", "compile_commands.json"), MAX_COMPILE_COMMANDS_BYTES + 1024 ** 2);
    const standards = await cellStandards(workspace, cell, cmake.settings);
    expect(standards).toEqual({
      checks: null,
      notChecked: "build/compile_commands.json is 65 MiB, over the 64 MiB read",
      compileCommands: null,
    });
  });
});
