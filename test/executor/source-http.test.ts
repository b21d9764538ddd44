/**
 * GitHub Enterprise Server over plain http (GHE_PROTOCOL=http): a real
 * smart-HTTP server (git http-backend) on 127.0.0.1. A clone from the
 * configured host and port works, its submodule on the same origin too, and
 * the token reaches that server as the Authorization header; http to any other
 * host or port, the clone's or a submodule's, is refused before git is run.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceCache } from "../../src/executor/source.ts";
import { git } from "../support/git.ts";
import { type GitHttpServer, publish, startGitHttpServer } from "../support/git-http.ts";

const TOKEN = "ghs_plainHttpToken0123456789abcdef";
const BASIC = `basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`;

let root: string;
let server: GitHttpServer;
const shas = { main: "", sub: "", elsewhere: "" };
let caseCount = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "heimdall-source-http-"));
  await mkdir(path.join(root, "served"));
  server = await startGitHttpServer(path.join(root, "served"));
  shas.sub = await publish(root, "sub", async (dir) => {
    await writeFile(path.join(dir, "lib.h"), "#define LIB 1\n");
    await git(dir, "add", "lib.h");
  });
  // A submodule on the same origin, by a relative URL.
  shas.main = await publish(root, "main", async (dir) => {
    await writeFile(path.join(dir, "README"), "over http\n");
    await writeFile(path.join(dir, ".gitmodules"), '[submodule "lib"]\n\tpath = lib\n\turl = ../sub.git\n');
    await git(dir, "add", "README", ".gitmodules");
    await git(dir, "update-index", "--add", "--cacheinfo", `160000,${shas.sub},lib`);
  });
  // A submodule over http on another host: the same server, named otherwise.
  shas.elsewhere = await publish(root, "elsewhere", async (dir) => {
    const url = `http://localhost:${server.port}/sub.git`;
    await writeFile(path.join(dir, ".gitmodules"), `[submodule "lib"]\n\tpath = lib\n\turl = ${url}\n`);
    await git(dir, "add", ".gitmodules");
    await git(dir, "update-index", "--add", "--cacheinfo", `160000,${shas.sub},lib`);
  });
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function cache(plainHttpHost?: string) {
  return new SourceCache({
    cacheDir: path.join(root, `cache-${++caseCount}`),
    ...(plainHttpHost ? { plainHttpHost } : {}),
  });
}

describe("a GitHub Enterprise Server over plain http", () => {
  it("is cloned from, submodule and all, the token reaching it as the Authorization header", async () => {
    const before = server.requests.length;
    const checkout = await cache(server.host).checkout({
      cloneUrl: `http://${server.host}/main.git`,
      sha: shas.main,
      trust: "trusted",
      token: TOKEN,
    });
    expect(await readFile(path.join(checkout, "README"), "utf8")).toBe("over http\n");
    expect(await readFile(path.join(checkout, "lib", "lib.h"), "utf8")).toBe("#define LIB 1\n");
    const made = server.requests.slice(before);
    expect(made.map((r) => r.path)).toEqual(
      expect.arrayContaining(["/main.git/info/refs", "/main.git/git-upload-pack", "/sub.git/info/refs"]),
    );
    // Every request, the submodule's too (same origin), carried the token; the server saw it by its own name.
    expect(made.every((r) => r.authorization === BASIC && r.host === server.host)).toBe(true);
  });

  it("refuses http:// from another host, or from the same host on another port, before asking it", async () => {
    const before = server.requests.length;
    const otherHost = cache(`localhost:${server.port}`).checkout({
      cloneUrl: `http://${server.host}/main.git`,
      sha: shas.main,
      trust: "trusted",
      token: TOKEN,
    });
    await expect(otherHost).rejects.toThrow(
      `refused clone URL 'http://${server.host}/main.git': http:// is fetched only from http://localhost:${server.port} (GHE_HOST with GHE_PROTOCOL=http)`,
    );
    const otherPort = cache(server.host).checkout({
      cloneUrl: `http://127.0.0.1:${server.port + 1}/main.git`,
      sha: shas.main,
      trust: "trusted",
    });
    await expect(otherPort).rejects.toThrow(`http:// is fetched only from http://${server.host}`);
    // Without the setting, http is refused everywhere, as before.
    const unset = cache().checkout({ cloneUrl: `http://${server.host}/main.git`, sha: shas.main, trust: "trusted" });
    await expect(unset).rejects.toThrow("only https:// URLs are fetched");
    expect(server.requests.length).toBe(before);
  });

  it("refuses a submodule over http on another host, which is never asked", async () => {
    const checkout = cache(server.host).checkout({
      cloneUrl: `http://${server.host}/elsewhere.git`,
      sha: shas.elsewhere,
      trust: "trusted",
      token: TOKEN,
    });
    await expect(checkout).rejects.toThrow(
      `refused URL of submodule 'lib' 'http://localhost:${server.port}/sub.git': http:// is fetched only from http://${server.host}`,
    );
    expect(server.requests.filter((r) => r.host !== server.host)).toEqual([]);
  });
});
