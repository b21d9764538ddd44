/**
 * A cell's artifacts, collected on the host from its workspace after the build
 * container is gone: the files the config's `artifacts` globs name, each read
 * once and hashed (SHA-256), within a count and a size limit.
 *
 * Everything in the workspace was written by the build, so it is untrusted:
 *
 * - The walk never follows a symbolic link. A link the globs name, or one the
 *   walk would have gone into, is refused whatever it points to (`/etc/passwd`,
 *   `../../`, or a harmless file inside the workspace).
 * - Only regular files are collected; a fifo, a socket, a device or a folder
 *   named by a glob is refused.
 * - Each file is opened with O_NOFOLLOW (and O_NONBLOCK, so a fifo swapped in
 *   cannot hang the worker), then fstat'ed: it must still be a regular file and
 *   the very file the walk saw (same device and inode). A folder on the way
 *   swapped for a link after the walk would lead to another file, which is
 *   refused. A hard link cannot point out of the workspace: link(2) does not
 *   work across mounts, and the build saw nothing of the host but its bind
 *   mount.
 * - Globs that are absolute or climb with `..` are refused (the config schema
 *   refuses them already; checked again here). `!` is not a negation here.
 * - At most `maxFiles` files and `maxBytes` bytes in all are collected; the
 *   walk itself stops after `maxEntries` entries.
 *
 * Why not dockerode's `getArchive`: the workspace is a host folder bind-mounted
 * into the container, so the build's files are already on the host. Reading
 * them here with O_NOFOLLOW is equivalent and safer: no tar archive written by
 * an untrusted build is parsed (no path traversal, link or size tricks in tar
 * headers), and nothing depends on the container still existing.
 */
import { createHash } from "node:crypto";
import { constants, type Dirent } from "node:fs";
import { type FileHandle, lstat, open, opendir, realpath } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { formatLimit } from "../report/format.ts";

export interface Artifact {
  /** Relative to the repository root, `/`-separated. */
  readonly path: string;
  /** Bytes read and hashed. */
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
  /** The file on the host (inside the workspace). */
  readonly absolute: string;
}

export interface RefusedPath {
  /** Relative to the repository root (or the glob, when the glob was refused). */
  readonly path: string;
  readonly reason: string;
}

export interface ArtifactLimits {
  /** Files collected at most; default 100. */
  readonly maxFiles?: number;
  /** Bytes collected at most, all files together; default 1 GiB. */
  readonly maxBytes?: number;
  /** Directory entries the walk looks at, at most; default 100,000. */
  readonly maxEntries?: number;
  /** What the files are, in the limits' reasons ("over the limit of 100 artifact files"); default "artifact". */
  readonly noun?: string;
}

export interface CollectedArtifacts {
  readonly artifacts: Artifact[];
  readonly refused: RefusedPath[];
}

export const DEFAULT_ARTIFACT_LIMITS = {
  maxFiles: 100,
  maxBytes: 1024 ** 3,
  maxEntries: 100_000,
} as const satisfies Required<Omit<ArtifactLimits, "noun">>;

/** The reasons a path is refused, as they appear in `refused`. */
export const REFUSED = {
  symlink: "a symbolic link: not followed",
  notRegular: (kind: string) => `not a regular file (${kind})`,
  // The limit by name: the summary lists these reasons, and "over the limit" leaves a user guessing which.
  tooMany: (maxFiles: number, noun = "artifact") => `over the limit of ${maxFiles} ${noun} files`,
  tooLarge: (maxBytes: number, noun = "artifact") => `over the limit of ${formatLimit(maxBytes)} of ${noun}s in all`,
  outside: "not a path inside the repository (absolute or with '..')",
  changed: "changed while it was being collected",
  unreadable: (code: string) => `could not be read (${code})`,
  walkStopped: (entries: number) => `the search stopped after ${entries} entries; the rest was not looked at`,
} as const;

interface Pattern {
  readonly match: (rel: string) => boolean;
  /** The glob without wildcards names exactly one path. */
  readonly literal: boolean;
  /** The part of the glob before its first wildcard, as path segments. */
  readonly base: readonly string[];
  /** The part from the first wildcard on. */
  readonly rest: string;
  readonly globstar: boolean;
  /** Segments of `rest`: how deep below `base` a match can be, without a globstar. */
  readonly restDepth: number;
  /** `rest` may match a segment starting with a dot (`*` and `**` never do). */
  readonly dotSegments: boolean;
}

/** Absolute, drive-letter or `..` paths, the same rule as the config schema's. */
function outsideRepository(glob: string): boolean {
  return (
    glob.length === 0 ||
    glob.includes("\0") ||
    glob.startsWith("/") ||
    glob.startsWith("\\") ||
    /^[A-Za-z]:/.test(glob) ||
    glob.split(/[\\/]/).includes("..")
  );
}

function compile(glob: string): Pattern {
  // Hidden files only when the glob names the dot itself; `!` is literal, not a negation.
  const options = { dot: false, nonegate: true, windows: false } as const;
  const scan = picomatch.scan(glob, options);
  return {
    match: picomatch(glob, options),
    literal: !scan.isGlob,
    base: scan.base.split("/").filter((s) => s.length > 0 && s !== "."),
    rest: scan.glob,
    globstar: scan.glob.includes("**"),
    restDepth: scan.glob.split("/").length,
    dotSegments: /(^|[/{,(|])\./.test(scan.glob),
  };
}

/**
 * Whether a match can lie below the folder `segments`: the walk goes into it.
 * Only prunes the walk (an over-approximation); which paths match is
 * picomatch's decision alone.
 */
function mayContainMatches(pattern: Pattern, segments: readonly string[]): boolean {
  const prefix = Math.min(segments.length, pattern.base.length);
  for (let i = 0; i < prefix; i++) if (segments[i] !== pattern.base[i]) return false;
  if (segments.length < pattern.base.length) return true;
  if (pattern.literal) return false;
  const below = segments.slice(pattern.base.length);
  if (!pattern.dotSegments && below.some((s) => s.startsWith("."))) return false;
  return pattern.globstar || below.length < pattern.restDepth;
}

function kindOf(entry: Dirent): string {
  if (entry.isDirectory()) return "a directory";
  if (entry.isFIFO()) return "a fifo";
  if (entry.isSocket()) return "a socket";
  if (entry.isBlockDevice()) return "a block device";
  if (entry.isCharacterDevice()) return "a character device";
  return "unknown type";
}

interface Candidate {
  readonly rel: string;
  readonly dev: number;
  readonly ino: number;
}

export async function collectArtifacts(
  workspace: string,
  globs: readonly string[],
  limits: ArtifactLimits = {},
): Promise<CollectedArtifacts> {
  const maxFiles = limits.maxFiles ?? DEFAULT_ARTIFACT_LIMITS.maxFiles;
  const maxBytes = limits.maxBytes ?? DEFAULT_ARTIFACT_LIMITS.maxBytes;
  const maxEntries = limits.maxEntries ?? DEFAULT_ARTIFACT_LIMITS.maxEntries;
  const refused: RefusedPath[] = [];
  const artifacts: Artifact[] = [];

  const patterns: Pattern[] = [];
  for (const glob of globs) {
    if (outsideRepository(glob)) refused.push({ path: glob, reason: REFUSED.outside });
    else patterns.push(compile(glob));
  }
  if (patterns.length === 0) return { artifacts, refused };

  // The workspace itself is the worker's own folder: resolving it is safe.
  const root = await realpath(workspace);
  const candidates: Candidate[] = [];
  const matches = (rel: string) => patterns.some((p) => p.match(rel));
  const descends = (rel: string) => {
    const segments = rel.split("/");
    return patterns.some((p) => mayContainMatches(p, segments));
  };

  // Depth first, names sorted: the same tree gives the same order.
  const stack: string[] = [""];
  let entries = 0;
  walk: while (stack.length > 0) {
    const dir = stack.pop() as string;
    const listed: Dirent[] = [];
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(path.join(root, dir));
    } catch (error) {
      refused.push({ path: dir || ".", reason: REFUSED.unreadable(codeOf(error)) });
      continue;
    }
    // Dirent types come from readdir (or lstat): a link is seen as a link, never followed.
    try {
      for await (const entry of handle) {
        if (++entries > maxEntries) {
          refused.push({ path: dir || ".", reason: REFUSED.walkStopped(maxEntries) });
          break walk;
        }
        listed.push(entry);
      }
    } catch (error) {
      refused.push({ path: dir || ".", reason: REFUSED.unreadable(codeOf(error)) });
      continue;
    }
    listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const entry of listed) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      const matched = matches(rel);
      if (entry.isSymbolicLink()) {
        if (matched || descends(rel)) refused.push({ path: rel, reason: REFUSED.symlink });
      } else if (entry.isDirectory()) {
        // A wildcard also matches folders (`build/*`); only a glob naming the folder itself is told.
        if (matched && patterns.some((p) => p.literal && p.match(rel)))
          refused.push({ path: rel, reason: REFUSED.notRegular(kindOf(entry)) });
        if (descends(rel)) subdirs.push(rel);
      } else if (matched) {
        if (!entry.isFile()) {
          refused.push({ path: rel, reason: REFUSED.notRegular(kindOf(entry)) });
          continue;
        }
        try {
          const seen = await lstat(path.join(root, rel));
          if (!seen.isFile()) refused.push({ path: rel, reason: REFUSED.changed });
          else candidates.push({ rel, dev: seen.dev, ino: seen.ino });
        } catch (error) {
          refused.push({ path: rel, reason: REFUSED.unreadable(codeOf(error)) });
        }
      }
    }
    stack.push(...subdirs.reverse());
  }

  candidates.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  let total = 0;
  // Once a limit is reached the rest is refused for it: the sorted order decides what is kept.
  let full: string | null = null;
  for (const candidate of candidates) {
    if (full === null && artifacts.length >= maxFiles) full = REFUSED.tooMany(maxFiles, limits.noun);
    if (full !== null) {
      refused.push({ path: candidate.rel, reason: full });
      continue;
    }
    const absolute = path.join(root, candidate.rel);
    const outcome = await readArtifact(absolute, candidate, maxBytes - total);
    if (outcome.kind === "over") {
      full = REFUSED.tooLarge(maxBytes, limits.noun);
      refused.push({ path: candidate.rel, reason: full });
    } else if (outcome.kind === "refused") {
      refused.push({ path: candidate.rel, reason: outcome.reason });
    } else {
      total += outcome.size;
      artifacts.push({ path: candidate.rel, size: outcome.size, sha256: outcome.sha256, absolute });
    }
  }
  return { artifacts, refused };
}

type ReadOutcome =
  | { readonly kind: "read"; readonly size: number; readonly sha256: string }
  | { readonly kind: "over" }
  | { readonly kind: "refused"; readonly reason: string };

/** One file, opened without following a link, checked, and hashed in one read. */
async function readArtifact(absolute: string, seen: Candidate, budget: number): Promise<ReadOutcome> {
  const refuse = (reason: string): ReadOutcome => ({ kind: "refused", reason });
  let handle: FileHandle;
  try {
    handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return refuse(codeOf(error) === "ELOOP" ? REFUSED.symlink : REFUSED.unreadable(codeOf(error)));
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return refuse(REFUSED.changed);
    if (stat.dev !== seen.dev || stat.ino !== seen.ino) return refuse(REFUSED.changed);
    if (stat.size > budget) return { kind: "over" };
    const hash = createHash("sha256");
    let size = 0;
    if (stat.size > 0) {
      // Reads at most the size fstat gave: a file that grew is not read past it.
      const stream = handle.createReadStream({ start: 0, end: stat.size - 1, autoClose: false });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
    }
    if (size !== stat.size) return refuse(REFUSED.changed);
    return { kind: "read", size, sha256: hash.digest("hex") };
  } catch (error) {
    return refuse(REFUSED.unreadable(codeOf(error)));
  } finally {
    await handle.close();
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "error";
}
