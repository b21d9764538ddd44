/**
 * The object store as files under one root directory, for a single machine.
 * Keys are checked (keys.ts) and become relative paths; each put is written
 * to a temporary file in `<root>/#tmp` (a name no key can have), flushed,
 * then renamed into place, so a reader sees the old object or the new one,
 * never a part.
 */
import { randomUUID } from "node:crypto";
import { constants, createWriteStream, type Dirent } from "node:fs";
import { access, type FileHandle, lstat, mkdir, open, readdir, rename, rmdir, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { type ByteRange, type ObjectPart, resolveRange } from "./byte-range.ts";
import { assertKey, assertPrefix, isValidKey } from "./keys.ts";
import { type Body, meter, type PutResult } from "./metered.ts";
import type { ListedObject, ObjectStore, PutOptions } from "./object-store.ts";

/** The directory under the root holding writes in progress; `#` is never in a key. */
export const FS_TEMP_DIR = "#tmp";

/** What `url()` returns a key under: the API serves these. */
export const FS_URL_PREFIX = "/api/v1/objects/";

function code(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

export class FsStore implements ObjectStore {
  readonly root: string;
  readonly kind = "fs";

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The folder where writes begin exists (made as a put would) and this process may write there. */
  async probe(): Promise<void> {
    const tempDir = join(this.root, FS_TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    await access(tempDir, constants.W_OK);
  }

  /** The file of a checked key; never outside the root. */
  pathOf(key: string): string {
    assertKey(key);
    const path = join(this.root, ...key.split("/"));
    if (!path.startsWith(this.root + sep)) throw new Error(`object key ${JSON.stringify(key)} leaves the store`);
    return path;
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    const target = this.pathOf(key);
    const metered = meter(body, options.maxBytes);
    const tempDir = join(this.root, FS_TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    const temp = join(tempDir, randomUUID());
    try {
      await pipeline(metered.chunks, createWriteStream(temp, { flags: "wx", mode: 0o644, flush: true }));
      await this.#moveIntoPlace(temp, target, key);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return metered.result();
  }

  async #moveIntoPlace(temp: string, target: string, key: string): Promise<void> {
    // A concurrent delete may remove the (then empty) directory between mkdir
    // and rename: try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(temp, target);
        return;
      } catch (error) {
        const c = code(error);
        if (c === "ENOENT" && attempt < 5) continue;
        if (c === "EEXIST" || c === "ENOTDIR" || c === "EISDIR" || c === "ENOTEMPTY") {
          throw new Error(
            `cannot store ${JSON.stringify(key)}: a key of this store is a prefix of it, or it is a prefix of keys (${c})`,
          );
        }
        throw error;
      }
    }
  }

  async get(key: string): Promise<NodeJS.ReadableStream | null> {
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const c = code(error);
      if (c === "ENOENT" || c === "ENOTDIR") return null;
      throw error;
    }
    try {
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return handle.createReadStream();
  }

  async getRange(key: string, range: ByteRange): Promise<ObjectPart | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const c = code(error);
      if (c === "ENOENT" || c === "ENOTDIR") return null;
      throw error;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        await handle.close();
        return null;
      }
      const { start, end } = resolveRange(range, stat.size);
      return { body: handle.createReadStream({ start, end }), start, end, size: stat.size };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  async url(key: string, _expiresInSeconds?: number): Promise<string> {
    return FS_URL_PREFIX + assertKey(key);
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      const c = code(error);
      if (c === "ENOENT" || c === "ENOTDIR" || c === "EISDIR") return;
      throw error;
    }
    // Prune directories left empty, up to (not including) the root.
    for (let dir = dirname(path); dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or gone): stop
      }
    }
  }

  async list(prefix: string): Promise<ListedObject[]> {
    assertPrefix(prefix);
    const cut = prefix.lastIndexOf("/");
    const base = cut < 0 ? "" : prefix.slice(0, cut + 1);
    const found: ListedObject[] = [];
    await this.#walk(base, prefix, found);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Files under the directory of key prefix `dirKey` ("" or ending in "/") whose keys start with `prefix`. */
  async #walk(dirKey: string, prefix: string, found: ListedObject[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, ...dirKey.split("/")), { withFileTypes: true });
    } catch (error) {
      const c = code(error);
      if (c === "ENOENT" || c === "ENOTDIR") return;
      throw error;
    }
    for (const entry of entries) {
      const key = dirKey + entry.name;
      if (!isValidKey(key)) continue; // the temp directory, or anything not put here
      if (entry.isDirectory()) {
        const childPrefix = `${key}/`;
        if (childPrefix.startsWith(prefix) || prefix.startsWith(childPrefix))
          await this.#walk(childPrefix, prefix, found);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const stats = await lstat(join(this.root, ...key.split("/")));
          if (stats.isFile()) found.push({ key, size: stats.size });
        } catch (error) {
          if (code(error) !== "ENOENT") throw error; // deleted meanwhile
        }
      }
    }
  }
}
