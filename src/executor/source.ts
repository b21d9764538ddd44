/**
 * The worker's source checkout, host side: a repository's files at one commit,
 * submodules included, made from local mirrors that fetch only what they lack.
 *
 * Layout under `cacheDir`:
 *
 * ```
 * mirrors/<trust>/<name>-<hash>.git        bare mirror per (trust, clone URL)
 * mirrors/<trust>/<name>-<hash>.git.lock   lock file while a process fetches into it
 * checkouts/<trust>/<name>-<hash>/<sha>/   one checkout per commit (its mtime: last use)
 * workspaces/<name>-<random>/              a cell's writable copy of a checkout
 * tmp/                                     checkouts being made, then renamed into place
 * ```
 *
 * Git never sees anything from the repository it could run: hooks are off
 * (`core.hooksPath=/dev/null`), only https (file when the options allow it, and
 * http to the one GitHub Enterprise host configured for it) is spoken, `ext::`
 * never, and every URL, the submodules' too, is checked (source-urls.ts) before
 * git is given it. A token goes only to the git processes that fetch, as
 * an `http.<origin>/.extraheader` in `GIT_CONFIG_*` environment variables: never
 * in argv, a URL, a config file or the checkout, and never to another host.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rename, stat, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { lockFile } from "./file-lock.ts";
import { removeTree } from "./remove-tree.ts";
import { originOf, UrlPolicy } from "./source-urls.ts";

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

export interface CheckoutRequest {
  readonly cloneUrl: string;
  readonly sha: string;
  /** Short-lived installation token for private repos; never written to disk or into the checkout. */
  readonly token?: string | null;
  /** A key that keeps forks' caches apart from trusted ones. */
  readonly trust: "trusted" | "fork";
}

export interface Workspace {
  readonly path: string;
  release(): Promise<void>;
}

/** A source that cannot be had: a refused URL or sha, a failed or timed-out git. */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceError";
  }
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Submodules of submodules of …, at most this deep. */
const MAX_SUBMODULE_DEPTH = 8;
const SHA = /^[0-9a-f]{40}$/i;
const KEEP_STDERR = 8 * 1024;
const KEEP_STDOUT = 16 * 1024 * 1024;

interface GitCall {
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly deadline: number;
  /** Talks to the repository's server: gets the token header, and file:// only when allowed. */
  readonly network?: { readonly origin: string; readonly token: string | null };
  /** Reads one of our own mirrors by path (a local clone), which protocol.file must allow. */
  readonly local?: boolean;
  /** Exit codes that are answers, not failures (`git config --get` says 1 for "unset"). */
  readonly okCodes?: readonly number[];
}

interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Target {
  readonly url: string;
  readonly sha: string;
  readonly trust: CheckoutRequest["trust"];
  readonly token: string | null;
  /** `https://host/` of the requested repository: the token goes there only, submodules elsewhere never see it. */
  readonly tokenScope: string;
  readonly deadline: number;
}

export class SourceCache {
  readonly #cacheDir: string;
  readonly #git: string;
  readonly #timeoutMs: number;
  readonly #allowFile: boolean;
  readonly #urls: UrlPolicy;
  /** Checkouts being made in this process, by path: the same sha asked twice shares one. */
  readonly #making = new Map<string, Promise<string>>();
  /** The tail of each mirror's queue in this process (the lock file orders processes). */
  readonly #mirrorQueue = new Map<string, Promise<void>>();

  constructor(options: SourceOptions) {
    this.#cacheDir = path.resolve(options.cacheDir);
    this.#git = options.gitBinary ?? "git";
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#allowFile = options.allowFileUrls ?? false;
    this.#urls = new UrlPolicy(options);
  }

  /**
   * A checkout of `sha` (with submodules) made from a mirror that fetches only
   * what it lacks; the same sha asked twice (two cells of one build on this
   * worker) shares one checkout. Returns its path.
   */
  checkout(request: CheckoutRequest): Promise<string> {
    let target: Target;
    let dir: string;
    try {
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
      target = { url, sha, trust: request.trust, token, tokenScope: originOf(url), deadline };
      dir = path.join(this.#cacheDir, "checkouts", request.trust, repoKey(url), sha);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = this.#making.get(dir);
    if (pending) return pending;
    const made = this.#makeCheckout(target, dir)
      .catch((error: unknown) => {
        throw redacted(error, target.token);
      })
      .finally(() => this.#making.delete(dir));
    this.#making.set(dir, made);
    return made;
  }

  /**
   * Copies a checkout for one cell to write into (builds write build/ under the
   * source) and returns its path; release() removes it. Every file is a copy
   * (a reflink where the filesystem has them, else bytes), never a hard link:
   * the cell's container may own the workspace (run-cell chowns it), and a
   * chown through a hard link would hand the mirror's objects to the build.
   */
  async workspace(checkoutPath: string, name: string): Promise<Workspace> {
    const source = path.resolve(checkoutPath);
    const checkouts = path.join(this.#cacheDir, "checkouts");
    if (path.relative(checkouts, source).split(path.sep).length !== 3 || !source.startsWith(checkouts + path.sep)) {
      throw new SourceError(`${checkoutPath} is not a checkout of this cache (${checkouts})`);
    }
    await touch(source);
    const parent = path.join(this.#cacheDir, "workspaces");
    await mkdir(parent, { recursive: true });
    const safe =
      name
        .replace(/[^A-Za-z0-9._-]+/g, "-")
        .replace(/^[.-]+/, "")
        .slice(0, 80) || "workspace";
    const dest = path.join(parent, `${safe}-${randomBytes(4).toString("hex")}`);
    try {
      await this.#copyTree(source, dest, Date.now() + this.#timeoutMs);
    } catch (error) {
      await removeTree(dest);
      throw error;
    }
    let released: Promise<void> | null = null;
    return {
      path: dest,
      release: () => {
        released ??= removeTree(dest);
        return released;
      },
    };
  }

  /** Removes checkouts not used for maxAgeMs, and what crashed processes left half-made. */
  async prune(maxAgeMs: number): Promise<void> {
    const now = Date.now();
    const checkouts = path.join(this.#cacheDir, "checkouts");
    for (const trust of await listDir(checkouts)) {
      for (const repo of await listDir(path.join(checkouts, trust))) {
        for (const sha of await listDir(path.join(checkouts, trust, repo))) {
          const dir = path.join(checkouts, trust, repo, sha);
          if (this.#making.has(dir)) continue;
          const info = await stat(dir).catch(() => null);
          if (!info?.isDirectory() || now - info.mtimeMs <= maxAgeMs) continue;
          // Out of sight in one step, so no one is handed a half-removed checkout.
          const trash = await this.#tempDir("trash-");
          await rename(dir, path.join(trash, "checkout")).catch(() => undefined);
          await removeTree(trash);
        }
      }
    }
    // Half-made checkouts and mirrors of processes that died; live ones are younger than their timeout.
    const tmp = path.join(this.#cacheDir, "tmp");
    const tmpAge = Math.max(maxAgeMs, 2 * this.#timeoutMs);
    for (const entry of await listDir(tmp)) {
      const info = await stat(path.join(tmp, entry)).catch(() => null);
      if (info && now - info.mtimeMs > tmpAge) await removeTree(path.join(tmp, entry));
    }
  }

  async #makeCheckout(target: Target, dir: string): Promise<string> {
    if (await isDir(dir)) {
      await touch(dir);
      return dir;
    }
    const tmp = await this.#tempDir("checkout-");
    try {
      const work = path.join(tmp, target.sha);
      await this.#withMirror(target, async (mirror) => {
        // A local clone hard-links the mirror's object files: cheap, and the
        // checkout keeps them whatever the mirror later repacks or prunes.
        await this.#run({ args: ["clone", "--quiet", "--no-checkout", "--template=", mirror, work], ...local(target) });
      });
      // Relative submodule URLs resolve against origin; and no mirror path is left behind.
      await this.#run({ args: ["remote", "set-url", "origin", target.url], cwd: work, deadline: target.deadline });
      await this.#run({ args: ["checkout", "--quiet", "--detach", target.sha], cwd: work, deadline: target.deadline });
      await this.#submodules(work, target, 0);
      await mkdir(path.dirname(dir), { recursive: true });
      try {
        await rename(work, dir);
      } catch (error) {
        // Another worker process on this host made it first: theirs is as good.
        if (!(await isDir(dir))) throw error;
      }
      await touch(dir);
      return dir;
    } finally {
      await removeTree(tmp);
    }
  }

  /** Each submodule's commit from its own mirror, then theirs, recursively. */
  async #submodules(repo: string, parent: Target, depth: number): Promise<void> {
    const { deadline } = parent;
    const hasModules = await this.#run({
      args: ["cat-file", "-e", "HEAD:.gitmodules"],
      cwd: repo,
      deadline,
      okCodes: [128, 1],
    });
    if (hasModules.code !== 0) return;
    // From the commit itself, not the work tree (which a symlink could point elsewhere).
    const declared = await this.#run({
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
    const tree = await this.#run({ args: ["ls-tree", "-z", "HEAD", "--", ...names.keys()], cwd: repo, deadline });
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
    await this.#run({
      args: ["submodule", "--quiet", "init", "--", ...gitlinks.map((g) => g.path)],
      cwd: repo,
      deadline,
    });
    for (const link of gitlinks) {
      const get = (key: string) =>
        this.#run({ args: ["config", "--get", `submodule.${link.name}.${key}`], cwd: repo, deadline, okCodes: [1] });
      // `update = none` in .gitmodules: the project does not want it fetched.
      if ((await get("update")).stdout.trim() === "none") continue;
      const declaredUrl = (await get("url")).stdout.trim();
      if (!declaredUrl) throw new SourceError(`submodule '${link.path}' has no URL`);
      const url = this.#checkUrl(this.#urls.fromSsh(declaredUrl), `URL of submodule '${link.path}'`);
      const target: Target = { ...parent, url, sha: link.sha };
      await this.#withMirror(target, async (mirror) => {
        // Cloned from our mirror, every URL in this command being one of ours.
        await this.#run({ args: ["config", `submodule.${link.name}.url`, mirror], cwd: repo, deadline });
        await this.#run({
          args: ["submodule", "--quiet", "update", "--init", "--checkout", "--", link.path],
          cwd: repo,
          ...local(target),
        });
      });
      await this.#run({ args: ["config", `submodule.${link.name}.url`, url], cwd: repo, deadline });
      const subRepo = path.join(repo, link.path);
      await this.#run({ args: ["remote", "set-url", "origin", url], cwd: subRepo, deadline });
      await this.#submodules(subRepo, target, depth + 1);
    }
  }

  /**
   * Runs `use` with the mirror of `target.url` holding `target.sha`, fetching it
   * first when missing. One holder at a time per mirror: in this process a queue,
   * across processes a lock file (git's own locks fail at once rather than wait,
   * and do not cover making the mirror or a clone racing a repack).
   */
  async #withMirror(target: Target, use: (mirror: string) => Promise<void>): Promise<void> {
    const mirror = path.join(this.#cacheDir, "mirrors", target.trust, `${repoKey(target.url)}.git`);
    const previous = this.#mirrorQueue.get(mirror) ?? Promise.resolve();
    const { promise: done, resolve } = Promise.withResolvers<void>();
    const tail = previous.then(() => done);
    this.#mirrorQueue.set(mirror, tail);
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
      if (this.#mirrorQueue.get(mirror) === tail) this.#mirrorQueue.delete(mirror);
    }
  }

  /** A bare mirror (as `git clone --mirror` configures one) with nothing fetched yet. */
  async #ensureMirror(mirror: string, target: Target): Promise<void> {
    if (await isDir(mirror)) return;
    const tmp = await this.#tempDir("mirror-");
    try {
      const fresh = path.join(tmp, "mirror.git");
      const run = (args: string[]) => this.#run({ args, deadline: target.deadline });
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
  async #ensureCommit(mirror: string, target: Target): Promise<void> {
    const { sha, deadline } = target;
    const type = async () =>
      (await this.#run({ args: ["cat-file", "-t", sha], cwd: mirror, deadline, okCodes: [128, 1] })).stdout.trim();
    const found = await type();
    if (found === "commit") return;
    if (found) throw new SourceError(`${sha} is a ${found} in ${target.url}, not a commit`);
    // A submodule on another host is fetched without the token at all (and the header is scoped anyway).
    const sameHost = originOf(target.url) === target.tokenScope;
    const network = { origin: target.tokenScope, token: sameHost ? target.token : null };
    const fetch = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "origin"];
    const bySha = await this.#run({
      args: [...fetch, `${sha}:refs/heimdall/${sha}`],
      cwd: mirror,
      deadline,
      network,
      okCodes: [1, 128],
    });
    if (bySha.code === 0 && (await type()) === "commit") return;
    // Servers that refuse a sha nobody advertised (protocol v0 without allowReachableSHA1InWant).
    await this.#run({ args: [...fetch, "+refs/*:refs/*"], cwd: mirror, deadline, network }).catch((error: unknown) => {
      const first = bySha.stderr.trim();
      if (error instanceof SourceError && first) error.message += `; asked for ${sha} alone: ${first}`;
      throw error;
    });
    const after = await type();
    if (after !== "commit") {
      throw new SourceError(`commit ${sha} is not in ${target.url}${after ? ` (it is a ${after})` : ""}`);
    }
    await this.#run({ args: ["update-ref", `refs/heimdall/${sha}`, sha], cwd: mirror, deadline });
  }

  /** The URL when git may be given it, else a SourceError saying why. */
  #checkUrl(raw: unknown, what: string): string {
    try {
      return this.#urls.check(raw, what);
    } catch (error) {
      throw new SourceError(error instanceof Error ? error.message : String(error));
    }
  }

  async #tempDir(prefix: string): Promise<string> {
    const tmp = path.join(this.#cacheDir, "tmp");
    await mkdir(tmp, { recursive: true });
    return mkdtemp(path.join(tmp, prefix));
  }

  async #copyTree(source: string, dest: string, deadline: number): Promise<void> {
    if (process.platform !== "linux") {
      await cp(source, dest, {
        recursive: true,
        mode: fsConstants.COPYFILE_FICLONE,
        verbatimSymlinks: true,
        preserveTimestamps: true,
      });
      return;
    }
    // GNU cp: reflinks on btrfs/XFS, a plain copy elsewhere; modes, times and links kept.
    const result = await runProcess("cp", ["-a", "--reflink=auto", "--", source, dest], {
      env: process.env,
      deadline,
    });
    if (result.code !== 0) throw new SourceError(`copying ${source} failed: ${result.stderr.trim()}`);
  }

  async #run(call: GitCall): Promise<GitResult> {
    const result = await runProcess(this.#git, call.args, {
      env: this.#env(call),
      deadline: call.deadline,
      ...(call.cwd ? { cwd: call.cwd } : {}),
    });
    if (result.code === 0 || call.okCodes?.includes(result.code)) return result;
    const command = `git ${call.args.slice(0, 3).join(" ")}`;
    if (result.timedOut) throw new SourceError(`${command} was stopped: over the time limit (${this.#timeoutMs} ms)`);
    throw new SourceError(`${command} failed (exit ${result.code}): ${result.stderr.trim() || "no message"}`);
  }

  #env(call: GitCall): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    // Nothing from a parent git (GIT_DIR, GIT_CONFIG_PARAMETERS, ...) leaks in; traces may.
    for (const [key, value] of Object.entries(process.env)) {
      if (key.startsWith("GIT_") && !key.startsWith("GIT_TRACE")) continue;
      if (key === "SSH_ASKPASS") continue;
      env[key] = value;
    }
    const fileAllowed = call.local || (call.network !== undefined && this.#allowFile);
    const config: [string, string][] = [
      ["core.hooksPath", "/dev/null"],
      ["protocol.allow", "never"],
      ["protocol.https.allow", "always"],
      // The URLs were checked: http only ever names the configured GitHub Enterprise host.
      ["protocol.http.allow", this.#urls.allowsHttp ? "always" : "never"],
      ["protocol.ext.allow", "never"],
      ["protocol.file.allow", fileAllowed ? "always" : "never"],
      ["credential.helper", ""],
      ["fetch.recurseSubmodules", "false"],
      ["submodule.recurse", "false"],
      ["gc.autoDetach", "false"],
      ["advice.detachedHead", "false"],
      ["init.defaultBranch", "main"],
    ];
    const token = call.network?.token;
    if (call.network && token) {
      const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
      // Scoped to the requested repository's host: a submodule (or redirect) elsewhere never sees it.
      config.push([`http.${call.network.origin}.extraheader`, `AUTHORIZATION: basic ${basic}`]);
    }
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    env.GIT_CONFIG_COUNT = String(config.length);
    // The host's own git config (credential helpers, url rewrites) plays no part.
    env.GIT_CONFIG_NOSYSTEM = "1";
    env.GIT_CONFIG_GLOBAL = "/dev/null";
    env.GIT_TERMINAL_PROMPT = "0";
    env.GCM_INTERACTIVE = "never";
    // Submodule paths come from the repository: never pathspec magic.
    env.GIT_LITERAL_PATHSPECS = "1";
    // GIT_TRACE_CURL, if an operator sets it, must not print the header.
    env.GIT_TRACE_REDACT = "1";
    env.LC_ALL = "C";
    return env;
  }
}

function local(target: Target): { deadline: number; local: true } {
  return { deadline: target.deadline, local: true };
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

function redacted(error: unknown, token: string | null): unknown {
  if (!token || !(error instanceof Error)) return error;
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  if (!error.message.includes(token) && !error.message.includes(basic)) return error;
  return new SourceError(error.message.replaceAll(token, "***").replaceAll(basic, "***"));
}

interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * One child process, in its own process group so a timeout kills what it
 * started too (git's remote helpers, index-pack, ...).
 */
function runProcess(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; deadline: number; cwd?: string },
): Promise<ProcessResult> {
  const remaining = options.deadline - Date.now();
  if (remaining <= 0) {
    return Promise.reject(new SourceError(`${command} ${args[0] ?? ""} not started: over the time limit`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (stdout.length < KEEP_STDOUT) stdout += chunk;
    });
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-KEEP_STDERR);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, remaining);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new SourceError(`${command} could not be run: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1), stdout, stderr, timedOut });
    });
  });
}

async function isDir(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

async function touch(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now);
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
