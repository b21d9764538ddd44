/**
 * Files the build leaves in its workspace for the worker (ctest's JUnit, the
 * compile commands), read without following links: the build could have put a
 * symlink to any host file there.
 */
import { constants } from "node:fs";
import { open, readdir, realpath } from "node:fs/promises";
import path from "node:path";

export interface ResultFile {
  readonly text: string;
  /** The file's size in bytes: more than `text` holds when it was over the limit. */
  readonly size: number;
  readonly cut: boolean;
}

/** The file at `relativePath` in the workspace, its first `maxBytes`; null when absent, not a file, or outside. */
export async function readResultFile(
  workspace: string,
  relativePath: string,
  maxBytes: number,
): Promise<ResultFile | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // A folder on the way may be a link out of the workspace too.
    const root = await realpath(workspace);
    const file = await realpath(path.join(workspace, relativePath));
    if (!file.startsWith(`${root}${path.sep}`)) return null;
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return null;
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { text: buffer.subarray(0, bytesRead).toString("utf8"), size: stat.size, cut: stat.size > maxBytes };
  } finally {
    await handle.close();
  }
}

/** Folders a search for a file passes over: the checkout's git data and heimdall-build's own. */
const NOT_SEARCHED = new Set([".git", ".heimdall", "node_modules"]);

/**
 * The first file named `name` in the workspace, breadth first (the shallowest
 * wins), at most `depth` folders down and `maxEntries` entries read in all:
 * a build can make a tree of any size. Links are not followed. Relative path, or null.
 */
export async function findResultFile(
  workspace: string,
  name: string,
  { depth = 3, maxEntries = 20_000 }: { depth?: number; maxEntries?: number } = {},
): Promise<string | null> {
  let level = [""];
  let read = 0;
  for (let d = 0; d <= depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const dir of level.sort()) {
      const entries = await readdir(path.join(workspace, dir), { withFileTypes: true }).catch(() => []);
      read += entries.length;
      if (read > maxEntries) return null;
      for (const entry of entries) {
        const relative = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isFile() && entry.name === name) return relative;
        if (entry.isDirectory() && !NOT_SEARCHED.has(entry.name)) next.push(relative);
      }
    }
    level = next;
  }
  return null;
}
