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
import { copyFile, lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

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

/** The source's files, relative to `dir`, with `/` separators. */
export async function sourceFiles(dir: string, buildDir: string): Promise<string[]> {
  const fromGit = await gitFiles(dir);
  const files = fromGit ?? (await walk(dir, buildDir));
  if (files.length > MAX_SOURCE_FILES) {
    throw new LocalSourceError(`${dir} has over ${MAX_SOURCE_FILES} files to copy: is it the project's folder?`);
  }
  return files.filter((file) => !NEVER.has(file.split("/")[0] ?? ""));
}

async function gitFiles(dir: string): Promise<string[] | null> {
  try {
    const { stdout } = await run(
      "git",
      ["-C", dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
      { maxBuffer: 256 * 1024 * 1024, encoding: "buffer" },
    );
    const listed = stdout.toString("utf8").split("\0").filter(Boolean);
    // ls-files lists paths relative to dir; a submodule is listed as its folder (copied whole).
    return [...new Set(listed)];
  } catch {
    return null; // Not a git work tree (or no git): every file.
  }
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
  const git = async (...args: string[]) =>
    (await run("git", ["-C", dir, ...args]).catch(() => ({ stdout: "" }))).stdout.toString().trim();
  const head = await git("rev-parse", "--verify", "--quiet", "HEAD");
  const origin = await git("remote", "get-url", "origin");
  const fromOrigin = /[/:]([A-Za-z0-9-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(origin);
  const name =
    path
      .basename(dir)
      .replace(/[^A-Za-z0-9_.-]+/g, "-")
      .replace(/^[.-]+/, "") || "project";
  return {
    repository: fromOrigin ? `${fromOrigin[1]}/${fromOrigin[2]}` : `local/${name}`,
    headSha: /^[0-9a-f]{40}$/.test(head) ? head : "0".repeat(40),
  };
}

export interface LocalWorkspace {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * A copy of `files` of `dir` in a new folder under `parent`: regular files
 * copied (reflinked where the filesystem can), links kept as links, folders
 * (submodules) copied whole.
 */
export async function copySource(
  dir: string,
  files: readonly string[],
  parent: string,
  name: string,
): Promise<LocalWorkspace> {
  await mkdir(parent, { recursive: true });
  const dest = await mkdtemp(path.join(parent, `${name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80)}-`));
  try {
    for (const file of files) await copyEntry(path.join(dir, file), path.join(dest, file));
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    throw error;
  }
  return { path: dest, release: () => rm(dest, { recursive: true, force: true }) };
}

async function copyEntry(from: string, to: string): Promise<void> {
  const info = await lstat(from).catch(() => null);
  if (!info) return; // Listed by git but deleted in the work tree: a push would not carry it either.
  await mkdir(path.dirname(to), { recursive: true });
  if (info.isSymbolicLink()) {
    await symlink(await readlink(from), to);
  } else if (info.isDirectory()) {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from)) {
      if (entry === ".git") continue;
      await copyEntry(path.join(from, entry), path.join(to, entry));
    }
  } else if (info.isFile()) {
    await copyFile(from, to, fsConstants.COPYFILE_FICLONE);
  }
}
