/**
 * Artifacts collected from a workspace a real build wrote: gcc 12 in its
 * container compiles examples/hello-cpp into a program, a shared and a static
 * library, and also leaves what a hostile build would: links to host files and
 * folders, a fifo, a huge sparse file, a hidden folder. Hashes are checked
 * against the host's sha256sum.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import picomatch from "picomatch";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import { collectArtifacts, REFUSED } from "../../src/executor/artifacts.ts";
import type { BuildSettings } from "../../src/executor/cell-script.ts";
import { runCell } from "../../src/executor/docker/run-cell.ts";
import { requireDocker } from "../support/docker.ts";
import { gcc12Image } from "../support/executor.ts";

const run = promisify(execFile);
const example = path.resolve(import.meta.dirname, "../../examples/hello-cpp");

const BUILD = [
  "mkdir -p build/lib/deep .hidden",
  "$CXX $CXXFLAGS -O2 -o build/hello src/main.cpp src/greeting.cpp",
  "$CXX $CXXFLAGS -O2 -fPIC -shared -o build/libgreeting.so src/greeting.cpp",
  "$CXX $CXXFLAGS -c -o build/lib/deep/greeting.o src/greeting.cpp",
  "ar rcs build/lib/deep/libgreeting.a build/lib/deep/greeting.o",
  "cp build/lib/deep/libgreeting.a .hidden/libhidden.a",
  // What a hostile build leaves behind.
  "ln -s /etc/passwd build/evil",
  "ln -s /etc build/dir-link",
  "ln -s ../../ build/up",
  "ln -s hello build/hello-link",
  "ln -s /etc/passwd build/lib/passwd.a",
  "mkfifo build/pipe",
  "truncate -s 3G build/huge.bin",
];

let docker: Docker;
let scratch: string;
let workspace: string;

async function sha256sum(file: string): Promise<string> {
  const { stdout } = await run("sha256sum", ["--", file]);
  return stdout.split(" ")[0] ?? "";
}

async function expected(rel: string) {
  const absolute = path.join(workspace, rel);
  return { path: rel, size: (await stat(absolute)).size, sha256: await sha256sum(absolute), absolute };
}

const byPath = <T extends { path: string }>(items: readonly T[]) =>
  [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

beforeAll(async () => {
  docker = await requireDocker();
  const image = await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-artifacts-"));
  workspace = path.join(scratch, "ws");
  await cp(example, workspace, { recursive: true });

  const yaml = `version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ${JSON.stringify(BUILD)}\ntests: false\nartifacts: [build/hello]\n`;
  const parsed = parseConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  const cell = parsed.cells[0];
  if (!cell) throw new Error("no cell");
  let log = "";
  const result = await runCell({
    docker,
    image,
    workspace,
    cell,
    settings: settings as BuildSettings,
    timeoutMs: 300_000,
    network: false,
    label: "gcc-12",
    onOutput: (chunk) => {
      log += chunk;
    },
  });
  if (result.conclusion !== "success") throw new Error(`the build failed:\n${log.slice(-3000)}`);
}, 900_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("collectArtifacts from a real build's workspace", () => {
  test("the config's globs: the program, the shared library, the static library; the link named *.a refused", async () => {
    const { artifacts, refused } = await collectArtifacts(workspace, ["build/hello", "build/*.so", "build/**/*.a"]);
    expect(artifacts).toEqual([
      await expected("build/hello"),
      await expected("build/lib/deep/libgreeting.a"),
      await expected("build/libgreeting.so"),
    ]);
    expect(artifacts.every((a) => /^[0-9a-f]{64}$/.test(a.sha256) && a.size > 0)).toBe(true);
    // `**` does not go into links: every link below build/ is refused, whatever it points to;
    // nothing under .hidden or .heimdall (the cell's ccache) is looked at.
    expect(byPath(refused)).toEqual([
      { path: "build/dir-link", reason: REFUSED.symlink },
      { path: "build/evil", reason: REFUSED.symlink },
      { path: "build/hello-link", reason: REFUSED.symlink },
      { path: "build/lib/passwd.a", reason: REFUSED.symlink },
      { path: "build/up", reason: REFUSED.symlink },
    ]);
  });

  test("build/*: links, the fifo and the 3 GiB sparse file refused; the limit stops at the huge file", async () => {
    const started = Date.now();
    const { artifacts, refused } = await collectArtifacts(workspace, ["build/*"]);
    // Refused by its size before a byte of it is read.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(artifacts).toEqual([await expected("build/hello")]);
    expect(byPath(refused)).toEqual([
      { path: "build/dir-link", reason: REFUSED.symlink },
      { path: "build/evil", reason: REFUSED.symlink },
      { path: "build/hello-link", reason: REFUSED.symlink },
      { path: "build/huge.bin", reason: "over the limit of 1 GiB of artifacts in all" },
      // Sorted after the file that did not fit: the collection stopped there.
      { path: "build/libgreeting.so", reason: REFUSED.tooLarge(1024 ** 3) },
      { path: "build/pipe", reason: REFUSED.notRegular("a fifo") },
      { path: "build/up", reason: REFUSED.symlink },
    ]);
  });

  test("a glob through a linked folder, or naming a link or a fifo, reads nothing", async () => {
    const { artifacts, refused } = await collectArtifacts(workspace, [
      "build/dir-link/passwd",
      "build/up/**",
      "build/evil",
      "build/pipe",
      "build/lib",
    ]);
    expect(artifacts).toEqual([]);
    expect(byPath(refused)).toEqual([
      { path: "build/dir-link", reason: REFUSED.symlink },
      { path: "build/evil", reason: REFUSED.symlink },
      { path: "build/lib", reason: REFUSED.notRegular("a directory") },
      { path: "build/pipe", reason: REFUSED.notRegular("a fifo") },
      { path: "build/up", reason: REFUSED.symlink },
    ]);
  });

  test("absolute and '..' globs are refused; '!' is not a negation", async () => {
    const globs = ["/etc/passwd", "../ws/build/hello", "build/../../x", "C:/x", "\\etc\\passwd", "build\\..\\x", ""];
    const { artifacts, refused } = await collectArtifacts(workspace, [...globs, "!build/hello"]);
    expect(artifacts).toEqual([]);
    expect(refused).toEqual(globs.map((g) => ({ path: g, reason: REFUSED.outside })));
  });

  test("hidden folders only when the glob names them", async () => {
    const { artifacts } = await collectArtifacts(workspace, ["**/*.a", ".hidden/*.a"]);
    expect(artifacts.map((a) => a.path)).toEqual([".hidden/libhidden.a", "build/lib/deep/libgreeting.a"]);
  });

  test("maxFiles and maxBytes: the rest is refused as over the limit", async () => {
    const globs = ["build/hello", "build/*.so", "build/**/*.a"];
    const byCount = await collectArtifacts(workspace, globs, { maxFiles: 2 });
    expect(byCount.artifacts.map((a) => a.path)).toEqual(["build/hello", "build/lib/deep/libgreeting.a"]);
    expect(byCount.refused).toContainEqual({
      path: "build/libgreeting.so",
      reason: "over the limit of 2 artifact files",
    });

    const hello = await expected("build/hello");
    const archive = await expected("build/lib/deep/libgreeting.a");
    const exact = await collectArtifacts(workspace, globs, { maxBytes: hello.size + archive.size });
    expect(exact.artifacts.map((a) => a.path)).toEqual(["build/hello", "build/lib/deep/libgreeting.a"]);
    expect(exact.refused).toContainEqual({
      path: "build/libgreeting.so",
      reason: REFUSED.tooLarge(hello.size + archive.size),
    });

    const tight = await collectArtifacts(workspace, globs, { maxBytes: hello.size - 1 });
    expect(tight.artifacts).toEqual([]);
    expect(tight.refused.filter((r) => r.reason === REFUSED.tooLarge(hello.size - 1)).map((r) => r.path)).toEqual([
      "build/hello",
      "build/lib/deep/libgreeting.a",
      "build/libgreeting.so",
    ]);
  });

  test("the walk stops after maxEntries entries and says so", async () => {
    const { artifacts, refused } = await collectArtifacts(workspace, ["**/*.a"], { maxEntries: 3 });
    expect(artifacts).toEqual([]);
    expect(refused).toContainEqual({ path: ".", reason: REFUSED.walkStopped(3) });
  });
});

describe("the walk's pruning never hides a match", () => {
  const files = [
    "top.o",
    "a/one.o",
    "a/b/two.o",
    "a/b/c/three.o",
    "a/b/c/d/e/four.o",
    "a/.y/z.o",
    "a/b/.y/z.o",
    ".x/hidden.o",
    ".x/deep/er.o",
    "b/c/d.o",
    "b/c/.d.o",
    "c/x.txt",
  ];
  const globs = [
    "*",
    "**",
    "**/*",
    "**/*.o",
    "a/*",
    "a/**",
    "a/**/*.o",
    "a/*/c/*",
    "a/*/*/*/*/*",
    "{a,b/c}/*.o",
    ".x/**",
    ".x/*/*.o",
    "a/.y/*",
    "**/.y/*",
    "a/**/.y/z.o",
    "b/c/d.o",
    "b/c/.d.o",
    "?/*",
    "a/[bc]/*",
    "@(a|b)/**/*.o",
    "*/*/c/**",
    "./a/one.o",
    "a/b/",
  ];
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "heimdall-artifacts-walk-"));
    for (const file of files) {
      await mkdir(path.join(root, path.dirname(file)), { recursive: true });
      await writeFile(path.join(root, file), file);
    }
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test.each(globs)("%s: the same files as matching every file in the tree", async (glob) => {
    const all = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
    const match = picomatch(glob, { dot: false, nonegate: true, windows: false });
    const { artifacts, refused } = await collectArtifacts(root, [glob]);
    expect(refused).toEqual([]);
    expect(artifacts.map((a) => a.path)).toEqual(all.filter((f) => match(f)).sort());
  });
});
