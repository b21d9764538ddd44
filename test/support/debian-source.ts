/**
 * Real C and C++ projects from Debian's source archive (upstream sources,
 * Debian's patches not applied unless asked for), fetched once by
 * bench/fetch-debian-source.sh into a cache kept between runs
 * (HEIMDALL_SOURCES_DIR, by default ~/.cache/heimdall-build/debian-sources).
 * Never committed.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const FETCH = path.resolve(import.meta.dirname, "../../bench/fetch-debian-source.sh");

function cacheDir(): string {
  return process.env.HEIMDALL_SOURCES_DIR ?? path.join(os.homedir(), ".cache", "heimdall-build", "debian-sources");
}

/** Which sources: a suite's, upstream's as they are or with Debian's patches applied (`patched`). */
export interface SourceOptions {
  readonly suite?: string;
  readonly patched?: boolean;
}

/** The unpacked sources of `pkg`, fetched when not cached yet. */
export async function debianSource(pkg: string, options: SourceOptions = {}): Promise<string> {
  const { suite = "bookworm", patched = false } = options;
  const dir = path.join(cacheDir(), `${pkg}-${suite}${patched ? "-patched" : ""}`);
  if (await stat(dir).catch(() => null)) return dir;
  await mkdir(cacheDir(), { recursive: true });
  // Fetched beside the cache and renamed into it: a test running at the same time never sees half of it.
  const partial = await mkdtemp(path.join(cacheDir(), `.${pkg}-`));
  try {
    await run("bash", [FETCH, ...(patched ? ["--patched"] : []), pkg, partial, suite], { timeout: 600_000 });
    await rename(partial, dir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}

/** A fresh copy of `pkg`'s sources at `dest`, to build and change. */
export async function copyOfDebianSource(pkg: string, dest: string, options: SourceOptions = {}): Promise<string> {
  await cp(await debianSource(pkg, options), dest, { recursive: true });
  return dest;
}
