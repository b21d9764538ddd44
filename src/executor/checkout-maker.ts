/**
 * A checkout of one commit, submodules included (recursively), each
 * repository cloned from its own mirror; every URL, the submodules' too, is
 * checked (source-urls.ts) before git is given it.
 */
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import type { FetchTarget, GitMirrors } from "./git-mirrors.ts";
import type { GitRunner } from "./git-runner.ts";
import { removeTree } from "./remove-tree.ts";
import { SourceError } from "./source-error.ts";
import { isDir, markUsed, type SourceLayout, type Trust } from "./source-layout.ts";
import { originOf, type UrlPolicy } from "./source-urls.ts";

export interface CheckoutRequest {
  readonly cloneUrl: string;
  readonly sha: string;
  /** Short-lived installation token for private repos; never written to disk or into the checkout. */
  readonly token?: string | null;
  /** A key that keeps forks' caches apart from trusted ones. */
  readonly trust: Trust;
}

/** Submodules of submodules of …, at most this deep. */
const MAX_SUBMODULE_DEPTH = 8;
const SHA = /^[0-9a-f]{40}$/i;

export interface CheckoutMakerParts {
  readonly layout: SourceLayout;
  readonly git: GitRunner;
  readonly mirrors: GitMirrors;
  readonly urls: UrlPolicy;
  /** The most one checkout (fetches included) may take. */
  readonly timeoutMs: number;
}

export class CheckoutMaker {
  readonly #layout: SourceLayout;
  readonly #git: GitRunner;
  readonly #mirrors: GitMirrors;
  readonly #urls: UrlPolicy;
  readonly #timeoutMs: number;

  constructor(parts: CheckoutMakerParts) {
    this.#layout = parts.layout;
    this.#git = parts.git;
    this.#mirrors = parts.mirrors;
    this.#urls = parts.urls;
    this.#timeoutMs = parts.timeoutMs;
  }

  /** What to fetch for `request`, its deadline starting now; a SourceError when its URL, sha or trust is refused. */
  target(request: CheckoutRequest): FetchTarget {
    const url = this.#checkUrl(request.cloneUrl, "clone URL");
    if (typeof request.sha !== "string" || !SHA.test(request.sha)) {
      throw new SourceError(`refused sha ${JSON.stringify(request.sha)}: a commit is 40 hexadecimal characters`);
    }
    if (request.trust !== "trusted" && request.trust !== "fork") {
      throw new SourceError(`refused trust ${JSON.stringify(request.trust)}: "trusted" or "fork"`);
    }
    const sha = request.sha.toLowerCase();
    const token = request.token ? request.token : null;
    const deadline = Date.now() + this.#timeoutMs;
    return { url, sha, trust: request.trust, token, tokenScope: originOf(url), deadline };
  }

  /** The checkout of `target` at `dir`, made in tmp/ and renamed there unless it is there already. */
  async make(target: FetchTarget, dir: string): Promise<string> {
    if (await isDir(dir)) {
      await markUsed(dir);
      return dir;
    }
    const tmp = await this.#layout.tempDir("checkout-");
    try {
      const work = path.join(tmp, target.sha);
      await this.#mirrors.withMirror(target, async (mirror) => {
        // A local clone hard-links the mirror's object files: cheap, and the
        // checkout keeps them whatever the mirror later repacks or prunes.
        await this.#git.run({
          args: ["clone", "--quiet", "--no-checkout", "--template=", mirror, work],
          ...local(target),
        });
      });
      // Relative submodule URLs resolve against origin; and no mirror path is left behind.
      await this.#git.run({ args: ["remote", "set-url", "origin", target.url], cwd: work, deadline: target.deadline });
      await this.#git.run({
        args: ["checkout", "--quiet", "--detach", target.sha],
        cwd: work,
        deadline: target.deadline,
      });
      await this.#submodules(work, target, 0);
      await mkdir(path.dirname(dir), { recursive: true });
      try {
        await rename(work, dir);
      } catch (error) {
        // Another worker process on this host made it first: theirs is as good.
        if (!(await isDir(dir))) throw error;
      }
      await markUsed(dir);
      return dir;
    } finally {
      await removeTree(tmp);
    }
  }

  /** Each submodule's commit from its own mirror, then theirs, recursively. */
  async #submodules(repo: string, parent: FetchTarget, depth: number): Promise<void> {
    const { deadline } = parent;
    const hasModules = await this.#git.run({
      args: ["cat-file", "-e", "HEAD:.gitmodules"],
      cwd: repo,
      deadline,
      okCodes: [128, 1],
    });
    if (hasModules.code !== 0) return;
    // From the commit itself, not the work tree (which a symlink could point elsewhere).
    const declared = await this.#git.run({
      args: ["config", "--blob", "HEAD:.gitmodules", "--null", "--get-regexp", "^submodule\\..*\\.path$"],
      cwd: repo,
      deadline,
      okCodes: [1],
    });
    const names = new Map<string, string>();
    for (const record of declared.stdout.split("\0")) {
      const newline = record.indexOf("\n");
      if (newline < 0) continue;
      const key = record.slice(0, newline);
      names.set(record.slice(newline + 1), key.slice("submodule.".length, -".path".length));
    }
    if (names.size === 0) return;
    const tree = await this.#git.run({ args: ["ls-tree", "-z", "HEAD", "--", ...names.keys()], cwd: repo, deadline });
    const gitlinks: { path: string; sha: string; name: string }[] = [];
    for (const entry of tree.stdout.split("\0")) {
      const match = /^160000 commit ([0-9a-f]{40})\t(.+)$/s.exec(entry);
      const name = match?.[2] === undefined ? undefined : names.get(match[2]);
      if (match?.[1] && match[2] && name !== undefined) gitlinks.push({ path: match[2], sha: match[1], name });
    }
    if (gitlinks.length === 0) return;
    if (depth >= MAX_SUBMODULE_DEPTH)
      throw new SourceError(`submodules nested deeper than ${MAX_SUBMODULE_DEPTH} in ${repo}`);

    // Copies each URL into .git/config, relative ones resolved against origin (the real URL).
    await this.#git.run({
      args: ["submodule", "--quiet", "init", "--", ...gitlinks.map((g) => g.path)],
      cwd: repo,
      deadline,
    });
    for (const link of gitlinks) {
      const get = (key: string) =>
        this.#git.run({
          args: ["config", "--get", `submodule.${link.name}.${key}`],
          cwd: repo,
          deadline,
          okCodes: [1],
        });
      // `update = none` in .gitmodules: the project does not want it fetched.
      if ((await get("update")).stdout.trim() === "none") continue;
      const declaredUrl = (await get("url")).stdout.trim();
      if (!declaredUrl) throw new SourceError(`submodule '${link.path}' has no URL`);
      const url = this.#checkUrl(this.#urls.fromSsh(declaredUrl), `URL of submodule '${link.path}'`);
      const target: FetchTarget = { ...parent, url, sha: link.sha };
      await this.#mirrors.withMirror(target, async (mirror) => {
        // Cloned from our mirror, every URL in this command being one of ours.
        await this.#git.run({ args: ["config", `submodule.${link.name}.url`, mirror], cwd: repo, deadline });
        await this.#git.run({
          args: ["submodule", "--quiet", "update", "--init", "--checkout", "--", link.path],
          cwd: repo,
          ...local(target),
        });
      });
      await this.#git.run({ args: ["config", `submodule.${link.name}.url`, url], cwd: repo, deadline });
      const subRepo = path.join(repo, link.path);
      await this.#git.run({ args: ["remote", "set-url", "origin", url], cwd: subRepo, deadline });
      await this.#submodules(subRepo, target, depth + 1);
    }
  }

  /** The URL when git may be given it, else a SourceError saying why. */
  #checkUrl(raw: unknown, what: string): string {
    try {
      return this.#urls.check(raw, what);
    } catch (error) {
      throw new SourceError(error instanceof Error ? error.message : String(error));
    }
  }
}

/** A clone from one of our own mirrors, by path. */
function local(target: FetchTarget): { deadline: number; local: true } {
  return { deadline: target.deadline, local: true };
}
