/**
 * The bare mirrors checkouts are made from, one per (trust, clone URL): each
 * fetches only the commits it lacks, and one holder at a time uses it.
 */
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { lockFile } from "./file-lock.ts";
import type { GitRunner } from "./git-runner.ts";
import { removeTree } from "./remove-tree.ts";
import { SourceError } from "./source-error.ts";
import { isDir, type SourceLayout, type Trust } from "./source-layout.ts";
import { originOf } from "./source-urls.ts";

/** A commit to have in a mirror, and how to fetch it. */
export interface FetchTarget {
  readonly url: string;
  readonly sha: string;
  readonly trust: Trust;
  readonly token: string | null;
  /** `https://host/` of the requested repository: the token goes there only, submodules elsewhere never see it. */
  readonly tokenScope: string;
  readonly deadline: number;
}

export class GitMirrors {
  readonly #layout: SourceLayout;
  readonly #git: GitRunner;
  /** The most a holder may keep a mirror's lock file: past it, the lock is broken. */
  readonly #timeoutMs: number;
  /** The tail of each mirror's queue in this process (the lock file orders processes). */
  readonly #queue = new Map<string, Promise<void>>();

  constructor(layout: SourceLayout, git: GitRunner, timeoutMs: number) {
    this.#layout = layout;
    this.#git = git;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs `use` with the mirror of `target.url` holding `target.sha`, fetching it
   * first when missing. One holder at a time per mirror: in this process a queue,
   * across processes a lock file (git's own locks fail at once rather than wait,
   * and do not cover making the mirror or a clone racing a repack).
   */
  async withMirror(target: FetchTarget, use: (mirror: string) => Promise<void>): Promise<void> {
    const mirror = this.#layout.mirror(target.trust, target.url);
    const previous = this.#queue.get(mirror) ?? Promise.resolve();
    const { promise: done, resolve } = Promise.withResolvers<void>();
    const tail = previous.then(() => done);
    this.#queue.set(mirror, tail);
    try {
      await previous;
      await mkdir(path.dirname(mirror), { recursive: true });
      const unlock = await lockFile(
        `${mirror}.lock`,
        target.deadline,
        this.#timeoutMs,
        (file) => new SourceError(`${file} is held by another process past the time limit`),
      );
      try {
        await this.#ensureMirror(mirror, target);
        await this.#ensureCommit(mirror, target);
        await use(mirror);
      } finally {
        await unlock();
      }
    } finally {
      resolve();
      if (this.#queue.get(mirror) === tail) this.#queue.delete(mirror);
    }
  }

  /** A bare mirror (as `git clone --mirror` configures one) with nothing fetched yet. */
  async #ensureMirror(mirror: string, target: FetchTarget): Promise<void> {
    if (await isDir(mirror)) return;
    const tmp = await this.#layout.tempDir("mirror-");
    try {
      const fresh = path.join(tmp, "mirror.git");
      const run = (args: string[]) => this.#git.run({ args, deadline: target.deadline });
      await run(["init", "--quiet", "--bare", "--template=", fresh]);
      await run(["-C", fresh, "config", "remote.origin.url", target.url]);
      await run(["-C", fresh, "config", "remote.origin.fetch", "+refs/*:refs/*"]);
      await run(["-C", fresh, "config", "remote.origin.mirror", "true"]);
      await rename(fresh, mirror);
    } finally {
      await removeTree(tmp);
    }
  }

  /**
   * The commit in the mirror: `git fetch origin <sha>` (only what the mirror
   * lacks, into `refs/heimdall/<sha>` so later fetches negotiate from it and gc
   * keeps it); a server refusing to be asked for a sha gets a full fetch.
   */
  async #ensureCommit(mirror: string, target: FetchTarget): Promise<void> {
    const { sha, deadline } = target;
    const type = async () =>
      (await this.#git.run({ args: ["cat-file", "-t", sha], cwd: mirror, deadline, okCodes: [128, 1] })).stdout.trim();
    const found = await type();
    if (found === "commit") return;
    if (found) throw new SourceError(`${sha} is a ${found} in ${target.url}, not a commit`);
    // A submodule on another host is fetched without the token at all (and the header is scoped anyway).
    const sameHost = originOf(target.url) === target.tokenScope;
    const network = { origin: target.tokenScope, token: sameHost ? target.token : null };
    const fetch = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "origin"];
    const bySha = await this.#git.run({
      args: [...fetch, `${sha}:refs/heimdall/${sha}`],
      cwd: mirror,
      deadline,
      network,
      okCodes: [1, 128],
    });
    if (bySha.code === 0 && (await type()) === "commit") return;
    // Servers that refuse a sha nobody advertised (protocol v0 without allowReachableSHA1InWant).
    await this.#git
      .run({ args: [...fetch, "+refs/*:refs/*"], cwd: mirror, deadline, network })
      .catch((error: unknown) => {
        const first = bySha.stderr.trim();
        if (error instanceof SourceError && first) error.message += `; asked for ${sha} alone: ${first}`;
        throw error;
      });
    const after = await type();
    if (after !== "commit") {
      throw new SourceError(`commit ${sha} is not in ${target.url}${after ? ` (it is a ${after})` : ""}`);
    }
    await this.#git.run({ args: ["update-ref", `refs/heimdall/${sha}`, sha], cwd: mirror, deadline });
  }
}
