/** Pruning the source cache: checkouts by last use, and what crashed processes left half-made. */
import { readdir, rename, stat } from "node:fs/promises";
import path from "node:path";
import { removeTree } from "./remove-tree.ts";
import type { SourceLayout } from "./source-layout.ts";

export interface PruneOptions {
  /** Checkouts not used for longer are removed. */
  readonly maxAgeMs: number;
  /** The most a checkout may take to make: tmp/ entries twice as old belong to no live process. */
  readonly timeoutMs: number;
  /** A checkout this process is making now, never removed. */
  readonly inUse: (checkoutDir: string) => boolean;
}

/** Removes checkouts not used for maxAgeMs, and what crashed processes left half-made. */
export async function pruneSourceCache(layout: SourceLayout, options: PruneOptions): Promise<void> {
  const { maxAgeMs } = options;
  const now = Date.now();
  const checkouts = layout.checkouts;
  for (const trust of await listDir(checkouts)) {
    for (const repo of await listDir(path.join(checkouts, trust))) {
      for (const sha of await listDir(path.join(checkouts, trust, repo))) {
        const dir = path.join(checkouts, trust, repo, sha);
        if (options.inUse(dir)) continue;
        const info = await stat(dir).catch(() => null);
        if (!info?.isDirectory() || now - info.mtimeMs <= maxAgeMs) continue;
        // Out of sight in one step, so no one is handed a half-removed checkout.
        const trash = await layout.tempDir("trash-");
        await rename(dir, path.join(trash, "checkout")).catch(() => undefined);
        await removeTree(trash);
      }
    }
  }
  // Half-made checkouts and mirrors of processes that died; live ones are younger than their timeout.
  const tmp = layout.tmp;
  const tmpAge = Math.max(maxAgeMs, 2 * options.timeoutMs);
  for (const entry of await listDir(tmp)) {
    const info = await stat(path.join(tmp, entry)).catch(() => null);
    if (info && now - info.mtimeMs > tmpAge) await removeTree(path.join(tmp, entry));
  }
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
