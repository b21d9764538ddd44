/**
 * The worker's source checkout, host side: a repository's files at one commit,
 * submodules included, made from local mirrors that fetch only what they lack.
 * Where each thing lives under `cacheDir`: source-layout.ts. The parts:
 * git-mirrors.ts (fetching into a mirror), checkout-maker.ts (a commit and
 * its submodules), cell-workspace.ts (a cell's copy), prune-source-cache.ts
 * (what is no longer used), git-runner.ts (how git is run).
 *
 * Git never sees anything from the repository it could run: hooks are off
 * (`core.hooksPath=/dev/null`), only https (file when the options allow it, and
 * http to the one GitHub Enterprise host configured for it) is spoken, `ext::`
 * never, and every URL, the submodules' too, is checked (source-urls.ts) before
 * git is given it. A token goes only to the git processes that fetch, as
 * an `http.<origin>/.extraheader` in `GIT_CONFIG_*` environment variables: never
 * in argv, a URL, a config file or the checkout, and never to another host.
 */
import { copyWorkspace, type Workspace } from "./cell-workspace.ts";
import { CheckoutMaker, type CheckoutRequest } from "./checkout-maker.ts";
import { type FetchTarget, GitMirrors } from "./git-mirrors.ts";
import { GitRunner, redactToken } from "./git-runner.ts";
import { pruneSourceCache } from "./prune-source-cache.ts";
import { SourceLayout } from "./source-layout.ts";
import { UrlPolicy } from "./source-urls.ts";

export interface SourceOptions {
  /** Mirrors and checkouts live here (one filesystem: checkouts hard-link the mirrors' objects). */
  readonly cacheDir: string;
  readonly gitBinary?: string;
  /** The most one `checkout()` (fetches included) or `workspace()` may take; git is killed after. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Accepts file:// clone and submodule URLs (tests); otherwise only https://. */
  readonly allowFileUrls?: boolean;
  /**
   * `host[:port]` of a GitHub Enterprise Server that speaks plain http
   * (GHE_PROTOCOL=http): http:// is fetched from it, on that port only, and
   * from no other host.
   */
  readonly plainHttpHost?: string | null;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export class SourceCache {
  readonly #layout: SourceLayout;
  readonly #timeoutMs: number;
  readonly #checkouts: CheckoutMaker;
  /** Checkouts being made in this process, by path: the same sha asked twice shares one. */
  readonly #making = new Map<string, Promise<string>>();

  constructor(options: SourceOptions) {
    this.#layout = new SourceLayout(options.cacheDir);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const urls = new UrlPolicy(options);
    const git = new GitRunner({
      gitBinary: options.gitBinary ?? "git",
      timeoutMs: this.#timeoutMs,
      allowFileUrls: options.allowFileUrls ?? false,
      allowsHttp: urls.allowsHttp,
    });
    const mirrors = new GitMirrors(this.#layout, git, this.#timeoutMs);
    this.#checkouts = new CheckoutMaker({ layout: this.#layout, git, mirrors, urls, timeoutMs: this.#timeoutMs });
  }

  /**
   * A checkout of `sha` (with submodules) made from a mirror that fetches only
   * what it lacks; the same sha asked twice (two cells of one build on this
   * worker) shares one checkout. Returns its path.
   */
  checkout(request: CheckoutRequest): Promise<string> {
    let target: FetchTarget;
    let dir: string;
    try {
      target = this.#checkouts.target(request);
      dir = this.#layout.checkout(target.trust, target.url, target.sha);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = this.#making.get(dir);
    if (pending) return pending;
    const made = this.#checkouts
      .make(target, dir)
      .catch((error: unknown) => {
        throw redactToken(error, target.token);
      })
      .finally(() => this.#making.delete(dir));
    this.#making.set(dir, made);
    return made;
  }

  /** A cell's writable copy of a checkout (cell-workspace.ts); release() removes it. */
  workspace(checkoutPath: string, name: string): Promise<Workspace> {
    return copyWorkspace(this.#layout, checkoutPath, name, this.#timeoutMs);
  }

  /** Removes checkouts not used for maxAgeMs, and what crashed processes left half-made. */
  prune(maxAgeMs: number): Promise<void> {
    return pruneSourceCache(this.#layout, {
      maxAgeMs,
      timeoutMs: this.#timeoutMs,
      inUse: (dir) => this.#making.has(dir),
    });
  }
}
