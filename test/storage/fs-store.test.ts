import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FS_TEMP_DIR, FsStore } from "../../src/storage/fs-store.ts";
import { createObjectStore } from "../../src/storage/object-store.ts";
import { describeObjectStore, failingBody, HOSTILE_KEYS, lazyStream, MiB, readAll } from "./contract.ts";

async function tempBytes(root: string): Promise<number> {
  let total = 0;
  let names: string[];
  try {
    names = await readdir(join(root, FS_TEMP_DIR));
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      total += (await stat(join(root, FS_TEMP_DIR, name))).size;
    } catch {
      // renamed into place meanwhile
    }
  }
  return total;
}

describeObjectStore("FsStore", async () => {
  const root = await mkdtemp(join(tmpdir(), "heimdall-fs-store-"));
  const store = createObjectStore({ STORAGE_DIR: root });
  expect(store).toBeInstanceOf(FsStore);
  return {
    store,
    // The body's temporary file, the one in the directory while a put streams.
    passedOn: () => tempBytes(root),
    // One 1 MiB chunk in the writer, one in hand.
    maxLead: 2 * MiB,
    async close() {
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe("FsStore", () => {
  let parent: string;
  let root: string;
  let store: FsStore;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), "heimdall-fs-store-own-"));
    root = join(parent, "objects");
    store = new FsStore(root);
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it("gives the API's path as the URL", async () => {
    expect(await store.url("logs/12/linux-gcc-12-cxx17-release/1.log")).toBe(
      "/api/v1/objects/logs/12/linux-gcc-12-cxx17-release/1.log",
    );
    expect(await store.url("a/b", 60)).toBe("/api/v1/objects/a/b");
  });

  it("keeps each object as a file under its root", async () => {
    await store.put("artifacts/1/cell/1/bin/hello", "ELF");
    expect((await stat(join(root, "artifacts", "1", "cell", "1", "bin", "hello"))).size).toBe(3);
  });

  it("writes nothing outside its root for hostile keys", async () => {
    await writeFile(join(parent, "x"), "outside");
    for (const key of HOSTILE_KEYS) await expect(store.put(key, "pwned")).rejects.toThrow(/invalid object key/);
    for (const key of ["../x", "../../x", "objects/../x"]) {
      await expect(store.delete(key)).rejects.toThrow(/invalid object key/);
    }
    expect((await readAll((await import("node:fs")).createReadStream(join(parent, "x")))).toString()).toBe("outside");
    expect((await readdir(parent)).sort()).toEqual(["objects", "x"]);
    await expect(stat(join(parent, "b"))).rejects.toThrow();
  });

  it("shows the old object, never a part of the new one, while a put is under way", async () => {
    await store.put("atomic/log", "old");
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstSent: () => void = () => undefined;
    const sent = new Promise<void>((resolve) => {
      firstSent = resolve;
    });
    const body = lazyStream(
      (async function* () {
        yield Buffer.from("new, part 1; ");
        firstSent();
        await gate;
        yield Buffer.from("part 2");
      })(),
    );
    const putting = store.put("atomic/log", body);
    const fresh = store.put(
      "atomic/fresh",
      lazyStream(
        (async function* () {
          yield Buffer.from("fresh");
          await gate;
        })(),
      ),
    );
    await sent;
    expect((await readAll((await store.get("atomic/log")) as NodeJS.ReadableStream)).toString()).toBe("old");
    expect(await store.get("atomic/fresh")).toBeNull();
    expect(await store.list("atomic/")).toEqual([{ key: "atomic/log", size: 3 }]);
    expect(await store.list("")).not.toContainEqual(expect.objectContaining({ key: expect.stringContaining("#") }));
    release();
    await Promise.all([putting, fresh]);
    expect((await readAll((await store.get("atomic/log")) as NodeJS.ReadableStream)).toString()).toBe(
      "new, part 1; part 2",
    );
    expect(await store.list("atomic/")).toEqual([
      { key: "atomic/fresh", size: 5 },
      { key: "atomic/log", size: 19 },
    ]);
  });

  it("leaves no temporary file behind when a body fails", async () => {
    await expect(store.put("failed/one", failingBody(2, new Error("gone")))).rejects.toThrow("gone");
    expect(await readdir(join(root, FS_TEMP_DIR))).toEqual([]);
  });

  it("refuses, with a reason, a key below an object or above other keys", async () => {
    await store.put("clash/file", "f");
    await expect(store.put("clash/file/below", "x")).rejects.toThrow(/prefix/);
    await expect(store.put("clash", "x")).rejects.toThrow(/prefix/);
    expect(await store.list("clash")).toEqual([{ key: "clash/file", size: 1 }]);
  });

  it("prunes directories a delete leaves empty", async () => {
    await store.put("prune/a/b/c/obj", "x");
    await store.put("prune/keep", "y");
    await store.delete("prune/a/b/c/obj");
    await expect(stat(join(root, "prune", "a"))).rejects.toThrow();
    expect((await stat(join(root, "prune"))).isDirectory()).toBe(true);
    await store.put("prune/a/b/again", "z");
    expect(await store.list("prune/")).toEqual([
      { key: "prune/a/b/again", size: 1 },
      { key: "prune/keep", size: 1 },
    ]);
  });

  it("lists only what could have been put: no stray names, no links", async () => {
    await mkdir(join(root, "stray"), { recursive: true });
    await writeFile(join(root, "stray", "with space"), "s");
    await writeFile(join(root, "stray", "ok"), "ok");
    await symlink("/etc/passwd", join(root, "stray", "link"));
    expect(await store.list("stray/")).toEqual([{ key: "stray/ok", size: 2 }]);
    // A link planted at a key is not followed.
    await expect(store.get("stray/link")).rejects.toThrow(/ELOOP|symbolic/);
  });

  it("is the store when S3_BUCKET is not set, under STORAGE_DIR or ~/.local/share", () => {
    const byDir = createObjectStore({ STORAGE_DIR: root, S3_ENDPOINT: "http://127.0.0.1:1" });
    expect(byDir).toBeInstanceOf(FsStore);
    expect((byDir as FsStore).root).toBe(root);
    const byDefault = createObjectStore({ S3_BUCKET: "  " });
    expect(byDefault).toBeInstanceOf(FsStore);
    expect((byDefault as FsStore).root).toMatch(/\/\.local\/share\/heimdall-build\/objects$/);
  });
});
