import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceCache, type SourceOptions } from "../../src/executor/source.ts";
import { git } from "../support/git.ts";

const exec = promisify(execFile);

async function commit(repo: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
    await writeFile(path.join(repo, name), content);
    await git(repo, "add", name);
  }
  await git(repo, "commit", "--quiet", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

let root: string;
let realGit: string;
/** main@A: README one, vendor/lib@S1. main@B (the tip): README two, vendor/lib@S2, which has deep@D1. */
const repos = { main: "", sub: "", deep: "", evil: "" };
const shas = { A: "", B: "", S1: "", S2: "", D1: "" };
let cacheCount = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "heimdall-source-"));
  realGit = (await exec("sh", ["-c", "command -v git"])).stdout.trim();
  for (const name of ["main", "sub", "deep", "evil"] as const) {
    repos[name] = path.join(root, "remotes", name);
    await mkdir(repos[name], { recursive: true });
    await git(repos[name], "init", "--quiet", "--initial-branch=main");
  }
  shas.D1 = await commit(repos.deep, { "deep.txt": "deep v1\n" }, "deep");
  shas.S1 = await commit(repos.sub, { "lib.h": "#define LIB 1\n" }, "lib 1");
  await git(repos.sub, "submodule", "add", "--quiet", "../deep", "deep");
  shas.S2 = await commit(repos.sub, { "lib.h": "#define LIB 2\n" }, "lib 2");

  await writeFile(path.join(repos.main, "README"), "one\n");
  await git(repos.main, "add", "README");
  await git(repos.main, "submodule", "add", "--quiet", "../sub", "vendor/lib");
  await git(path.join(repos.main, "vendor/lib"), "checkout", "--quiet", "--detach", shas.S1);
  await git(repos.main, "add", "vendor/lib");
  await git(repos.main, "commit", "--quiet", "-m", "one");
  shas.A = await git(repos.main, "rev-parse", "HEAD");
  await git(path.join(repos.main, "vendor/lib"), "checkout", "--quiet", "--detach", shas.S2);
  await git(repos.main, "add", "vendor/lib");
  shas.B = await commit(repos.main, { README: "two\n" }, "two");

  // A submodule whose URL would run a command, were git to follow it.
  await writeFile(
    path.join(repos.evil, ".gitmodules"),
    `[submodule "mod"]\n\tpath = mod\n\turl = "ext::sh -c touch% ${path.join(root, "pwned")}"\n`,
  );
  await git(repos.evil, "add", ".gitmodules");
  await git(repos.evil, "update-index", "--add", "--cacheinfo", `160000,${shas.D1},mod`);
  await git(repos.evil, "commit", "--quiet", "-m", "evil");
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const url = (repo: string) => `file://${repo}`;

/** A fresh cache whose git logs each command line it is given (and whether it carried the token header). */
async function makeCache(options: Partial<SourceOptions> & { gitArgs?: string; script?: string } = {}) {
  const dir = path.join(root, `case-${++cacheCount}`);
  await mkdir(dir, { recursive: true });
  const log = path.join(dir, "git.log");
  const headers = path.join(dir, "headers.log");
  const wrapper = path.join(dir, "git-logged");
  await writeFile(
    wrapper,
    `#!/bin/sh
if env | grep -q '^GIT_CONFIG_VALUE_[0-9]*=AUTHORIZATION'; then kind=TOKEN; else kind=PLAIN; fi
printf '%s %s\\n' "$kind" "$*" >> '${log}'
env | grep '^GIT_CONFIG_' | sort >> '${headers}' || true
${options.script ?? `exec '${realGit}' ${options.gitArgs ?? ""} "$@"`}
`,
  );
  await chmod(wrapper, 0o755);
  const cacheDir = path.join(dir, "cache");
  const { gitArgs: _a, script: _s, ...rest } = options;
  const cache = new SourceCache({ cacheDir, gitBinary: wrapper, allowFileUrls: true, ...rest });
  const lines = async () => (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
  return { cache, cacheDir, dir, lines, headers, log, wrapper };
}

const read = (file: string) => readFile(file, "utf8");

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

describe("SourceCache.checkout", () => {
  it("refuses URLs that are not https (file:// only when allowed), credentials in URLs, and malformed shas", async () => {
    const { cache, lines } = await makeCache({ allowFileUrls: false });
    const sha = "a".repeat(40);
    const refused: [string, string, RegExp][] = [
      ["http://github.com/o/r.git", sha, /only https:\/\//],
      ["git@github.com:o/r.git", sha, /not a URL/],
      ["ssh://git@github.com/o/r.git", sha, /only https:\/\//],
      ["ext::sh -c true", sha, /white space/],
      ["ext::true", sha, /only https:\/\//],
      ["https://github.com/o/r.git\n--upload-pack=x", sha, /white space/],
      [url(repos.main), sha, /only https:\/\//],
      ["https://x-access-token:secret@github.com/o/r.git", sha, /credentials in a URL/],
      ["https://github.com/o/r.git", "abc123", /40 hexadecimal/],
      ["https://github.com/o/r.git", `${"g".repeat(40)}`, /40 hexadecimal/],
      ["https://github.com/o/r.git", `${sha}0`, /40 hexadecimal/],
      ["https://github.com/o/r.git", `HEAD~1${sha.slice(6)}`, /40 hexadecimal/],
    ];
    for (const [cloneUrl, s, message] of refused) {
      await expect(cache.checkout({ cloneUrl, sha: s, trust: "fork" })).rejects.toThrow(message);
    }
    await expect(
      cache.checkout({ cloneUrl: "https://github.com/o/r.git", sha, trust: "other" as "fork" }),
    ).rejects.toThrow(/trust/);
    expect(await lines()).toEqual([]);
  });

  it("checks out each sha with its submodules, recursively, with the real URLs as remotes", async () => {
    const { cache } = await makeCache();
    const a = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "trusted" });
    expect(await read(path.join(a, "README"))).toBe("one\n");
    expect(await read(path.join(a, "vendor/lib/lib.h"))).toBe("#define LIB 1\n");
    expect(await git(a, "rev-parse", "HEAD")).toBe(shas.A);
    expect(await git(path.join(a, "vendor/lib"), "rev-parse", "HEAD")).toBe(shas.S1);

    const b = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.B.toUpperCase(), trust: "trusted" });
    expect(b).not.toBe(a);
    expect(path.basename(b)).toBe(shas.B);
    expect(await read(path.join(b, "README"))).toBe("two\n");
    expect(await read(path.join(b, "vendor/lib/lib.h"))).toBe("#define LIB 2\n");
    expect(await read(path.join(b, "vendor/lib/deep/deep.txt"))).toBe("deep v1\n");
    expect(await git(path.join(b, "vendor/lib/deep"), "rev-parse", "HEAD")).toBe(shas.D1);
    expect(await git(b, "status", "--porcelain", "--ignore-submodules=none")).toBe("");
    // No mirror path left in the checkout: origins are the repositories' own URLs.
    expect(await git(b, "config", "remote.origin.url")).toBe(url(repos.main));
    expect(await git(b, "config", "submodule.vendor/lib.url")).toBe(url(repos.sub));
    expect(await git(path.join(b, "vendor/lib"), "config", "remote.origin.url")).toBe(url(repos.sub));
    expect(await git(path.join(b, "vendor/lib/deep"), "config", "remote.origin.url")).toBe(url(repos.deep));
    // The submodule's git dir is inside the checkout, by a relative path (so it survives a bind mount).
    expect(await read(path.join(b, "vendor/lib/.git"))).toMatch(/^gitdir: \.\.\/\.\.\/\.git\/modules\//);
  });

  it("fetches a second sha into the existing mirror instead of cloning again", async () => {
    const { cache, cacheDir, lines } = await makeCache();
    await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "trusted" });
    const [mirror] = await readdir(path.join(cacheDir, "mirrors/trusted"));
    const mirrorDir = path.join(cacheDir, "mirrors/trusted", mirror ?? "");
    expect(mirror).toMatch(/^main-[0-9a-f]{16}\.git$/);
    await writeFile(path.join(mirrorDir, "marker"), "still the same mirror");
    const before = await git(mirrorDir, "count-objects", "-v");

    await cache.checkout({ cloneUrl: url(repos.main), sha: shas.B, trust: "trusted" });
    expect(await read(path.join(mirrorDir, "marker"))).toBe("still the same mirror");
    const log = await lines();
    const made = log.filter((line) => line.includes(`config remote.origin.url ${url(repos.main)}`));
    expect(made).toHaveLength(1);
    expect(
      log.filter((line) => line.includes(`fetch`) && line.includes(`origin ${shas.A}:refs/heimdall/${shas.A}`)),
    ).toHaveLength(1);
    expect(
      log.filter((line) => line.includes(`fetch`) && line.includes(`origin ${shas.B}:refs/heimdall/${shas.B}`)),
    ).toHaveLength(1);
    expect(log.some((line) => line.includes(" fetch ") && line.includes("+refs/*:refs/*"))).toBe(false);
    const count = (text: string) => Number(/^count: (\d+)/m.exec(text)?.[1] ?? "0");
    expect(count(await git(mirrorDir, "count-objects", "-v"))).toBeGreaterThan(count(before));
    // The sub mirror, asked for S2 after S1, fetched only S2 as well.
    expect(log.filter((line) => line.includes(`origin ${shas.S2}:refs/heimdall/${shas.S2}`))).toHaveLength(1);
  });

  it("gives two concurrent requests for one sha the same checkout, from one fetch", async () => {
    const request = { cloneUrl: url(repos.main), sha: shas.B, trust: "trusted" } as const;
    const fetchesOfB = (log: string[]) =>
      log.filter((line) => line.includes(` fetch `) && line.includes(`origin ${shas.B}:`));

    const first = await makeCache();
    const [one, two] = await Promise.all([first.cache.checkout(request), first.cache.checkout(request)]);
    expect(one).toBe(two);
    expect(fetchesOfB(await first.lines())).toHaveLength(1);
    expect((await first.lines()).filter((line) => line.includes(" clone "))).toHaveLength(1);

    // A second cache on the same folder stands in for a second worker process: the lock file orders their fetches.
    const second = await makeCache();
    const other = new SourceCache({ cacheDir: second.cacheDir, gitBinary: second.wrapper, allowFileUrls: true });
    const [three, four] = await Promise.all([other.checkout(request), second.cache.checkout(request)]);
    expect(three).toBe(four);
    expect(await read(path.join(three, "vendor/lib/deep/deep.txt"))).toBe("deep v1\n");
    const log = await second.lines();
    expect(fetchesOfB(log)).toHaveLength(1);
    expect(log.filter((line) => line.includes(" init --quiet --bare"))).toHaveLength(3); // main, sub, deep
    expect(await readdir(path.join(second.cacheDir, "mirrors/trusted"))).toHaveLength(3);
    expect(await readdir(path.join(second.cacheDir, "tmp"))).toEqual([]);
    expect((await readdir(path.join(second.cacheDir, "mirrors/trusted"))).some((f) => f.endsWith(".lock"))).toBe(false);
  });

  it("keeps forks' mirrors and checkouts apart from trusted ones", async () => {
    const { cache, cacheDir } = await makeCache();
    const trusted = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "trusted" });
    const fork = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "fork" });
    expect(fork).not.toBe(trusted);
    expect(fork.startsWith(path.join(cacheDir, "checkouts/fork/"))).toBe(true);
    expect(await readdir(path.join(cacheDir, "mirrors/fork"))).toHaveLength(2);
  });

  it("falls back to a full fetch when the server refuses to be asked for a sha", async () => {
    // Protocol v0 refuses a commit no ref points at (A is not a tip); v2 never does.
    const { cache, lines } = await makeCache({ gitArgs: "-c protocol.version=0" });
    const a = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "fork" });
    expect(await read(path.join(a, "README"))).toBe("one\n");
    const log = await lines();
    expect(log.some((line) => line.includes(`origin ${shas.A}:refs/heimdall/${shas.A}`))).toBe(true);
    expect(log.some((line) => line.includes("fetch") && line.includes("+refs/*:refs/*"))).toBe(true);

    const missing = "0123456789abcdef0123456789abcdef01234567";
    await expect(cache.checkout({ cloneUrl: url(repos.main), sha: missing, trust: "fork" })).rejects.toThrow(
      new RegExp(`commit ${missing} is not in`),
    );
  });

  it("passes the token only to fetches, in the environment, and never writes it anywhere", async () => {
    const { cache, cacheDir, lines, headers, log } = await makeCache();
    const token = "ghs_FAKEtoken0123456789abcdefABCDEF";
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    const b = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.B, trust: "trusted", token });
    const ws = await cache.workspace(b, "attempt-1");

    const carried = (await lines()).filter((line) => line.startsWith("TOKEN "));
    expect(carried.length).toBeGreaterThanOrEqual(3); // main, sub, deep
    expect(carried.every((line) => line.startsWith("TOKEN fetch "))).toBe(true);
    expect(await read(headers)).toContain(`=AUTHORIZATION: basic ${basic}\n`);
    expect(await read(headers)).toMatch(/^GIT_CONFIG_KEY_\d+=http\.file:\/\/\/\.extraheader$/m);
    expect(await read(log)).not.toContain(token); // argv
    // And every git runs without hooks, without ext::.
    const config = await read(headers);
    for (const [key, value] of [
      ["core.hooksPath", "/dev/null"],
      ["protocol.ext.allow", "never"],
    ]) {
      const index = new RegExp(`^GIT_CONFIG_KEY_(\\d+)=${key}$`, "m").exec(config)?.[1];
      expect(config).toContain(`GIT_CONFIG_VALUE_${index}=${value}\n`);
    }

    const files = await allFiles(cacheDir);
    expect(files.some((file) => file.endsWith(path.join(".git", "config")))).toBe(true);
    expect(files.some((file) => file.includes(`${path.sep}mirrors${path.sep}`))).toBe(true);
    for (const file of files) {
      const content = await readFile(file);
      expect(content.includes(token), file).toBe(false);
      expect(content.includes(basic), file).toBe(false);
      expect(content.includes("AUTHORIZATION"), file).toBe(false);
    }
    await ws.release();
  });

  it("refuses a submodule URL that is not allowed, without running it", async () => {
    const { cache } = await makeCache();
    const sha = await git(repos.evil, "rev-parse", "HEAD");
    await expect(cache.checkout({ cloneUrl: url(repos.evil), sha, trust: "fork" })).rejects.toThrow(
      /refused URL of submodule 'mod'/,
    );
    await expect(stat(path.join(root, "pwned"))).rejects.toThrow(/ENOENT/);
  });

  it("kills git, and what it started, on timeout", async () => {
    const { cache } = await makeCache({
      timeoutMs: 500,
      // The sleep is git's child, as a remote helper would be: the whole process group goes.
      script: `sleep 30 &\necho $! > '${path.join(root, "sleeper.pid")}'\nwait`,
    });
    const started = Date.now();
    await expect(cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "trusted" })).rejects.toThrow(
      /time limit/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(await read(path.join(root, "sleeper.pid")));
    // Gone, or a zombie its new parent has not reaped yet (PID 1 in a container may never).
    const state = await readFile(`/proc/${pid}/stat`, "utf8").then(
      (text) => /\) (\S)/.exec(text)?.[1],
      () => "gone",
    );
    expect(["gone", "Z"]).toContain(state);
  });
});

describe("SourceCache.workspace", () => {
  it("copies a checkout for one cell: independent of it and of other copies, removed on release", async () => {
    const { cache, cacheDir } = await makeCache();
    const b = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.B, trust: "trusted" });
    const one = await cache.workspace(b, "attempt-1");
    const two = await cache.workspace(b, "attempt-1");
    expect(one.path).not.toBe(two.path);
    expect(one.path.startsWith(path.join(cacheDir, "workspaces"))).toBe(true);

    // Written in place (same inode if it were a hard link), and a build folder.
    await writeFile(path.join(one.path, "README"), "changed\n", { flag: "r+" });
    await writeFile(path.join(one.path, "vendor/lib/lib.h"), "changed\n", { flag: "r+" });
    await mkdir(path.join(one.path, "build"));
    await writeFile(path.join(one.path, "build/out.o"), "object");
    expect(await read(path.join(b, "README"))).toBe("two\n");
    expect(await read(path.join(b, "vendor/lib/lib.h"))).toBe("#define LIB 2\n");
    expect(await read(path.join(two.path, "README"))).toBe("two\n");
    await expect(stat(path.join(b, "build"))).rejects.toThrow(/ENOENT/);

    // A working repository, submodules too, sharing no inode with the checkout.
    expect(await git(one.path, "status", "--porcelain", "--untracked-files=no")).toBe("M README\n M vendor/lib".trim());
    expect(await git(path.join(two.path, "vendor/lib/deep"), "rev-parse", "HEAD")).toBe(shas.D1);
    const head = await git(b, "rev-parse", "HEAD:README");
    const objectPath = path.join(".git/objects", head.slice(0, 2), head.slice(2));
    const inodes = await Promise.all([b, one.path].map(async (p) => (await stat(path.join(p, objectPath))).ino));
    expect(inodes[0]).not.toBe(inodes[1]);

    await one.release();
    await one.release();
    await expect(stat(one.path)).rejects.toThrow(/ENOENT/);
    expect(await read(path.join(two.path, "README"))).toBe("two\n");
    await two.release();
    expect(await readdir(path.join(cacheDir, "workspaces"))).toEqual([]);
    await expect(cache.workspace(root, "x")).rejects.toThrow(/not a checkout/);
  });
});

describe("SourceCache.prune", () => {
  it("removes checkouts not used for maxAgeMs; one asked for again is made from the mirror", async () => {
    const { cache, lines } = await makeCache();
    const a = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "trusted" });
    const b = await cache.checkout({ cloneUrl: url(repos.main), sha: shas.B, trust: "trusted" });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(a, twoHoursAgo, twoHoursAgo);
    await cache.prune(3600_000);
    await expect(stat(a)).rejects.toThrow(/ENOENT/);
    expect(await read(path.join(b, "README"))).toBe("two\n");

    // Asking for B again counts as use.
    await utimes(b, twoHoursAgo, twoHoursAgo);
    expect(await cache.checkout({ cloneUrl: url(repos.main), sha: shas.B, trust: "trusted" })).toBe(b);
    await cache.prune(3600_000);
    expect(await read(path.join(b, "README"))).toBe("two\n");

    const fetches = (await lines()).filter((line) => line.includes(" fetch ")).length;
    expect(await cache.checkout({ cloneUrl: url(repos.main), sha: shas.A, trust: "trusted" })).toBe(a);
    expect(await read(path.join(a, "vendor/lib/lib.h"))).toBe("#define LIB 1\n");
    expect((await lines()).filter((line) => line.includes(" fetch ")).length).toBe(fetches);
  });
});
