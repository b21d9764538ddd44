import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copySource, LocalSourceError, localIdentity, sourceFiles } from "../../src/executor/local-source.ts";

const exec = promisify(execFile);
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-local-source-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function gitRepo(name: string): Promise<string> {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  await exec("git", ["init", "-q", dir]);
  return dir;
}

describe("sourceFiles", () => {
  it("in a git work tree: tracked files and untracked ones no .gitignore excludes, never .git or the run's outputs", async () => {
    const dir = await gitRepo("listed");
    await mkdir(path.join(dir, "src"));
    await mkdir(path.join(dir, "build"));
    await mkdir(path.join(dir, ".heimdall-build"));
    await writeFile(path.join(dir, "src/a.cpp"), "int a;\n");
    await writeFile(path.join(dir, "new.cpp"), "int n;\n");
    await writeFile(path.join(dir, "build/CMakeCache.txt"), "stale\n");
    await writeFile(path.join(dir, ".gitignore"), "build/\n");
    await writeFile(path.join(dir, ".heimdall-build/x"), "");
    await exec("git", ["-C", dir, "add", "src/a.cpp", ".gitignore"]);
    expect((await sourceFiles(dir, "build")).files.sort()).toEqual([".gitignore", "new.cpp", "src/a.cpp"]);
  });

  it("never runs what the folder's own .git/config names (an fsmonitor hook)", async () => {
    const dir = await gitRepo("hostile");
    const marker = path.join(scratch, "fsmonitor-ran");
    const hook = path.join(scratch, "hook.sh");
    await writeFile(hook, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    await exec("git", ["-C", dir, "config", "core.fsmonitor", hook]);
    await writeFile(path.join(dir, "a.cpp"), "int a;\n");
    await exec("git", ["-c", "core.fsmonitor=false", "-C", dir, "add", "a.cpp"]);
    expect((await sourceFiles(dir, "build")).files).toEqual(["a.cpp"]);
    await expect(lstat(marker)).rejects.toThrow(/ENOENT/);
  });

  it("an initialised submodule's files as its own git sees them (its .gitignore too); an uninitialised one named", async () => {
    // The library, a repository of its own with an ignored build folder.
    const lib = await gitRepo("submodule-lib");
    await writeFile(path.join(lib, "lib.c"), "int lib;\n");
    await writeFile(path.join(lib, ".gitignore"), "out/\n");
    await exec("git", ["-C", lib, "add", "."]);
    await exec("git", ["-C", lib, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "lib"]);
    const dir = await gitRepo("with-submodules");
    await writeFile(path.join(dir, "main.c"), "int main;\n");
    const add = (where: string) =>
      exec("git", ["-C", dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, where]);
    await add("third_party/lib");
    await add("third_party/other");
    await exec("git", ["-C", dir, "add", "main.c"]);
    await exec("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "app"]);
    // A stale build folder inside the initialised one; the other made uninitialised (its work tree gone).
    await mkdir(path.join(dir, "third_party/lib/out"));
    await writeFile(path.join(dir, "third_party/lib/out/lib.o"), "stale");
    await writeFile(path.join(dir, "third_party/lib/new.c"), "int n;\n");
    await exec("git", ["-C", dir, "submodule", "deinit", "-q", "--force", "third_party/other"]);
    const listing = await sourceFiles(dir, "build");
    expect(listing.files.sort()).toEqual([
      ".gitmodules",
      "main.c",
      "third_party/lib/.gitignore",
      "third_party/lib/lib.c",
      "third_party/lib/new.c",
    ]);
    expect(listing.uninitialisedSubmodules).toEqual(["third_party/other"]);
  });

  it("outside git: every file but .git, .heimdall-build and the build folder", async () => {
    const dir = path.join(scratch, "plain");
    await mkdir(path.join(dir, "out/obj"), { recursive: true });
    await mkdir(path.join(dir, "src"), { recursive: true });
    await writeFile(path.join(dir, "src/a.cpp"), "");
    await writeFile(path.join(dir, "out/obj/a.o"), "");
    expect((await sourceFiles(dir, "out")).files).toEqual(["src/a.cpp"]);
  });
});

describe("copySource", () => {
  it("copies files with their modes and links as links (a link to /etc stays a link, not /etc's files)", async () => {
    const dir = path.join(scratch, "links");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    await symlink("/etc", path.join(dir, "etc-link"));
    const ws = await copySource(dir, ["run.sh", "etc-link"], path.join(scratch, "ws"), "cell");
    expect((await lstat(path.join(ws.path, "run.sh"))).mode & 0o777).toBe(0o755);
    expect(await readlink(path.join(ws.path, "etc-link"))).toBe("/etc");
    await ws.release();
    await expect(lstat(ws.path)).rejects.toThrow(/ENOENT/);
  });

  it("refuses to write through a folder that an earlier entry made a link out of the copy", async () => {
    // `a` is a relative link to ../elsewhere: beside the project in the source,
    // beside the copy (outside it) in the copy.
    const dir = path.join(scratch, "through", "project");
    await mkdir(dir, { recursive: true });
    await mkdir(path.join(scratch, "through", "elsewhere"));
    await writeFile(path.join(scratch, "through", "elsewhere", "f"), "payload");
    await symlink("../elsewhere", path.join(dir, "a"));
    const copies = path.join(scratch, "through-copies");
    const victim = path.join(copies, "elsewhere");
    await mkdir(victim, { recursive: true });
    // As an index out of step with the work tree lists them: `a` (a link now) and `a/f`.
    await expect(copySource(dir, ["a", "a/f"], copies, "cell")).rejects.toBeInstanceOf(LocalSourceError);
    await expect(readFile(path.join(victim, "f"))).rejects.toThrow(/ENOENT/);
  });
});

describe("localIdentity", () => {
  it("names a hosted origin's repository and HEAD; a local path or no git gives local/<folder>", async () => {
    const dir = await gitRepo("ident");
    await writeFile(path.join(dir, "a"), "");
    await exec("git", ["-C", dir, "add", "a"]);
    await exec("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"]);
    const { stdout: head } = await exec("git", ["-C", dir, "rev-parse", "HEAD"]);
    await exec("git", ["-C", dir, "remote", "add", "origin", "git@github.com:octo-org/my_lib.git"]);
    expect(await localIdentity(dir)).toEqual({ repository: "octo-org/my_lib", headSha: head.trim() });
    await exec("git", ["-C", dir, "remote", "set-url", "origin", "/work/main/."]);
    expect((await localIdentity(dir)).repository).toBe("local/ident");
    expect(await localIdentity(path.join(scratch, "plain"))).toEqual({
      repository: "local/plain",
      headSha: "0".repeat(40),
    });
  });
});
