/**
 * Where the worker's source cache keeps each thing, under `cacheDir`:
 *
 * ```
 * mirrors/<trust>/<name>-<hash>.git        bare mirror per (trust, clone URL)
 * mirrors/<trust>/<name>-<hash>.git.lock   lock file while a process fetches into it
 * checkouts/<trust>/<name>-<hash>/<sha>/   one checkout per commit (its mtime: last use)
 * workspaces/<name>-<random>/              a cell's writable copy of a checkout
 * tmp/                                     checkouts being made, then renamed into place
 * ```
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, stat, utimes } from "node:fs/promises";
import path from "node:path";

/** A key that keeps forks' caches apart from trusted ones. */
export type Trust = "trusted" | "fork";

export class SourceLayout {
  readonly root: string;
  readonly checkouts: string;
  readonly workspaces: string;
  readonly tmp: string;

  constructor(cacheDir: string) {
    this.root = path.resolve(cacheDir);
    this.checkouts = path.join(this.root, "checkouts");
    this.workspaces = path.join(this.root, "workspaces");
    this.tmp = path.join(this.root, "tmp");
  }

  /** The bare mirror of `url`; its lock file is this path and `.lock`. */
  mirror(trust: Trust, url: string): string {
    return path.join(this.root, "mirrors", trust, `${repoKey(url)}.git`);
  }

  /** The checkout of `sha` of `url`, made or not. */
  checkout(trust: Trust, url: string, sha: string): string {
    return path.join(this.checkouts, trust, repoKey(url), sha);
  }

  /** Whether `dir` (an absolute path) is where a checkout of this cache lives. */
  isCheckout(dir: string): boolean {
    return path.relative(this.checkouts, dir).split(path.sep).length === 3 && dir.startsWith(this.checkouts + path.sep);
  }

  /** A new folder under tmp/, for something being made before it is renamed into place. */
  async tempDir(prefix: string): Promise<string> {
    await mkdir(this.tmp, { recursive: true });
    return mkdtemp(path.join(this.tmp, prefix));
  }
}

/** A checkout's mtime is its last use: pruning goes by it. */
export async function markUsed(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now);
}

export async function isDir(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

/** `<last path segment>-<hash of the URL>`: readable, and distinct per URL. */
function repoKey(url: string): string {
  const last =
    url
      .replace(/\/+$/, "")
      .split("/")
      .pop()
      ?.replace(/\.git$/, "") ?? "";
  const name =
    last
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^[.-]+/, "")
      .slice(0, 40) || "repo";
  return `${name}-${createHash("sha256").update(url).digest("hex").slice(0, 16)}`;
}
