/**
 * The source of a local run: the files of a folder on this machine, as a
 * push of them would carry. Inside a git work tree that is what git tracks
 * plus what it would add (untracked files that no .gitignore excludes), so a
 * stale build/ or an editor's folder never reaches the build; outside one,
 * everything but the run's own folder, .git and the config's build folder.
 * Each cell gets its own copy, as each attempt on a worker does.
 */
import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { copyFile, lstat, mkdir, mkdtemp, readdir, readlink, realpath, symlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { isRepositoryName } from "../report/sbom.ts";
import type { Workspace } from "./cell-workspace.ts";
import { removeTree } from "./remove-tree.ts";

const execFileAsync = promisify(execFile);

/**
 * git on the folder, which is not trusted: its .git/config could name an
 * fsmonitor hook (run by ls-files) or other programs; none of that runs here.
 */
function git(dir: string, args: readonly string[], options: { maxBuffer?: number } = {}) {
  return execFileAsync(
    "git",
    [
      "-c",
      "core.fsmonitor=false",
      "-c",
      "core.untrackedCache=false",
      "-c",
      "core.hooksPath=/dev/null",
      "-C",
      dir,
      ...args,
    ],
    {
      maxBuffer: options.maxBuffer ?? 1024 * 1024,
      encoding: "buffer",
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
    },
  );
}

/** Folders never copied, whatever lists them: the run's own outputs and git's store. */
const NEVER = new Set([".git", ".heimdall-build"]);

/** Files a local run copies at most: a folder past it is not a source tree. */
export const MAX_SOURCE_FILES = 200_000;

export class LocalSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalSourceError";
  }
}

/** What a local run builds: the files, and the submodules whose files are missing (not initialised). */
export interface SourceListing {
  /** Relative to `dir`, with `/` separators. */
  readonly files: string[];
  /** Submodules (paths relative to `dir`) with no work tree: a push's checkout would have their files, this run does not. */
  readonly uninitialisedSubmodules: string[];
}

/** Submodules within submodules followed at most. */
const MAX_SUBMODULE_DEPTH = 8;

export async function sourceFiles(dir: string, buildDir: string): Promise<SourceListing> {
  const fromGit = await gitFiles(dir, 0);
  const listing = fromGit ?? { files: await walk(dir, buildDir), uninitialisedSubmodules: [] };
  if (listing.files.length > MAX_SOURCE_FILES) {
    throw new LocalSourceError(`${dir} has over ${MAX_SOURCE_FILES} files to copy: is it the project's folder?`);
  }
  return { ...listing, files: listing.files.filter((file) => !NEVER.has(file.split("/")[0] ?? "")) };
}

/**
 * git's view of the folder: tracked files and untracked ones no .gitignore
 * excludes; each initialised submodule's files the same way (its own
 * .gitignore applies), so a submodule's stale build folder stays out too.
 */
async function gitFiles(dir: string, depth: number): Promise<SourceListing | null> {
  let listed: string[];
  let gitlinks: Set<string>;
  try {
    const [files, stage] = await Promise.all([
      git(dir, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], {
        maxBuffer: 256 * 1024 * 1024,
      }),
      git(dir, ["ls-files", "-z", "--stage", "--", "."], { maxBuffer: 256 * 1024 * 1024 }),
    ]);
    listed = [...new Set(files.stdout.toString("utf8").split("\0").filter(Boolean))];
    // `160000 <sha> <stage>\t<path>`: a submodule (a gitlink), listed by the first call as its folder.
    gitlinks = new Set(
      stage.stdout
        .toString("utf8")
        .split("\0")
        .filter((entry) => entry.startsWith("160000 "))
        .map((entry) => entry.slice(entry.indexOf("\t") + 1)),
    );
  } catch {
    return null; // Not a git work tree (or no git): every file.
  }
  const files = listed.filter((file) => !gitlinks.has(file));
  const uninitialisedSubmodules: string[] = [];
  for (const submodule of [...gitlinks].sort()) {
    const inner =
      depth < MAX_SUBMODULE_DEPTH && (await lstat(path.join(dir, submodule, ".git")).catch(() => null))
        ? await gitFiles(path.join(dir, submodule), depth + 1)
        : null;
    if (!inner) {
      uninitialisedSubmodules.push(submodule);
      continue;
    }
    files.push(...inner.files.map((file) => `${submodule}/${file}`));
    uninitialisedSubmodules.push(...inner.uninitialisedSubmodules.map((nested) => `${submodule}/${nested}`));
  }
  return { files, uninitialisedSubmodules };
}

async function walk(root: string, buildDir: string): Promise<string[]> {
  const out: string[] = [];
  const skip = new Set([...NEVER, buildDir.replace(/^\.\/|\/$/g, "")]);
  const visit = async (relative: string) => {
    for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (skip.has(child)) continue;
      if (entry.isDirectory()) await visit(child);
      else out.push(child);
      if (out.length > MAX_SOURCE_FILES) return;
    }
  };
  await visit("");
  return out;
}

/**
 * The repository a local folder is, as an SBOM names it: its origin's
 * owner/name and HEAD when it is a git work tree with one, else
 * `local/<folder>` and a commit of zeros.
 */
export async function localIdentity(dir: string): Promise<{ repository: string; headSha: string }> {
  const ask = async (...args: string[]) =>
    (await git(dir, args).catch(() => ({ stdout: Buffer.alloc(0) }))).stdout.toString().trim();
  const head = await ask("rev-parse", "--verify", "--quiet", "HEAD");
  const origin = await ask("remote", "get-url", "origin");
  // Only a hosted origin (https://host/owner/name, git@host:owner/name) names the repository.
  const fromOrigin = /^(?:[a-z+]+:\/\/[^/]+\/|[^/@:]+@[^/:]+:)([A-Za-z0-9-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(
    origin,
  );
  const hosted = fromOrigin ? `${fromOrigin[1]}/${fromOrigin[2]}` : "";
  const name = path
    .basename(dir)
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[.-]+/, "")
    .slice(0, 100);
  return {
    repository: isRepositoryName(hosted)
      ? hosted
      : isRepositoryName(`local/${name}`)
        ? `local/${name}`
        : "local/project",
    headSha: /^[0-9a-f]{40}$/.test(head) ? head : "0".repeat(40),
  };
}

/**
 * A copy of `files` of `dir` in a new folder under `parent`: regular files
 * copied (reflinked where the filesystem can), links kept as links, a folder
 * (a listing outside git names none; kept for callers that do) copied whole.
 */
export async function copySource(
  dir: string,
  files: readonly string[],
  parent: string,
  name: string,
): Promise<Workspace> {
  await mkdir(parent, { recursive: true });
  const dest = await mkdtemp(path.join(parent, `${name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80)}-`));
  const root = await realpath(dest);
  try {
    for (const file of files) await copyEntry(path.join(dir, file), path.join(root, file), root);
  } catch (error) {
    await removeTree(dest);
    throw error;
  }
  return { path: dest, release: () => removeTree(dest) };
}

async function copyEntry(from: string, to: string, root: string): Promise<void> {
  const info = await lstat(from).catch(() => null);
  if (!info) return; // Listed by git but deleted in the work tree: a push would not carry it either.
  // A folder on the way that an earlier entry made a link (index and work tree
  // out of step) would lead out: the nearest folder that exists must be inside.
  let existing = path.dirname(to);
  while (!(await lstat(existing).catch(() => null))) existing = path.dirname(existing);
  const parent = await realpath(existing);
  if (parent !== root && !parent.startsWith(root + path.sep)) {
    throw new LocalSourceError(`${path.relative(root, to)}: a folder on its path is a link out of the copy`);
  }
  await mkdir(path.dirname(to), { recursive: true });
  if (info.isSymbolicLink()) {
    await symlink(await readlink(from), to);
  } else if (info.isDirectory()) {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from)) {
      if (entry === ".git") continue;
      await copyEntry(path.join(from, entry), path.join(to, entry), root);
    }
  } else if (info.isFile()) {
    await copyFile(from, to, fsConstants.COPYFILE_FICLONE);
  }
}
