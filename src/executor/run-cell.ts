/**
 * One attempt of a cell in a hardened container: the workspace mounted at
 * /work/src, the cell's script run, the output streamed live into the
 * diagnostics engine and to the caller's log sink, phases timed, the test
 * results read back. The build's output and files are untrusted.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import type { Cell } from "../config/matrix.ts";
import { DiagnosticsStream } from "../diagnostics/engine.ts";
import { LineSplitter } from "../diagnostics/lines.ts";
import { type Annotated, Annotator } from "../report/annotations.ts";
import { type BuildSettings, cellScript, JUNIT_FILE, type Phase, SOURCE_DIR } from "./cell-script.ts";
import { type ContainerLimits, DEFAULT_LIMITS, runContainer } from "./container.ts";
import { CappedLog, type CappedLogOptions, type LogSummary } from "./log-sink.ts";

export interface CellRunRequest {
  readonly docker: Docker;
  /** The image to run in (already built or present). */
  readonly image: string;
  /** The cell's own copy of the checkout on the host, mounted read-write at /work/src. */
  readonly workspace: string;
  readonly cell: Cell;
  readonly settings: BuildSettings;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Network inside the container: only for trusted builds whose config asks for it. */
  readonly network: boolean;
  readonly jobs?: number;
  /** Names the compiler in annotation titles, e.g. `gcc-12`. */
  readonly label: string;
  readonly limits?: ContainerLimits;
  /** Every chunk of output, as text (all of it: the log's cap does not apply). */
  readonly onOutput?: (chunk: string) => void;
  /**
   * The log's storage: forwarded to `writable` up to `maxBytes` (512 MiB by
   * default), then cut with a marker line; a slow writable slows the build.
   * Pass a CappedLog to read its live tail while the cell runs.
   */
  readonly log?: CappedLog | CappedLogOptions;
  /**
   * The compiler cache shared between builds: a Docker named volume mounted
   * at /ccache (see cacheVolumeName), used only when the config asks for a
   * cache. null or absent: a cache of the workspace's own, as good as none.
   */
  readonly cache?: CellCache | null;
  /** Docker labels on the build's container. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface CellCache {
  /** The named volume (made and handed to the build user on first use). */
  readonly volume: string;
  /** ccache's size cap (CCACHE_MAXSIZE, e.g. `5G`); DEFAULT_CACHE_MAX_SIZE by default. */
  readonly maxSize?: string;
}

export const DEFAULT_CACHE_MAX_SIZE = "5G";
export const CACHE_DIR = "/ccache";

/** This build's own use of ccache: the difference of its counters over the build. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); null when nothing was compiled through the cache. */
  readonly rate: number | null;
}

export interface PhaseResult {
  readonly ms: number;
  /** The phase's exit status; null when it did not finish (timeout, cancel). */
  readonly status: number | null;
}

export interface CellRunResult {
  readonly conclusion: "success" | "failure" | "timed_out" | "cancelled";
  readonly exitCode: number;
  readonly phases: Partial<Record<Phase, PhaseResult>>;
  readonly failedPhase: Phase | null;
  readonly diagnostics: Annotated;
  /** ctest's JUnit XML, when the test phase wrote it. */
  readonly junitXml: string | null;
  readonly outputBytes: number;
  /** The kernel killed a process of the build for the memory limit. */
  readonly oomKilled: boolean;
  readonly log: LogSummary;
  /** ccache's hits and misses for this build; null without a cache (or without its counters). */
  readonly cache: CacheStats | null;
}

/** Output read for diagnostics at most (characters). */
export const DIAGNOSED_CHARS = 256 * 1024 * 1024;

/** The most of a JUnit file read back from the workspace. */
const MAX_JUNIT_BYTES = 8 * 1024 * 1024;

const run = promisify(execFile);

export async function runCell(request: CellRunRequest): Promise<CellRunResult> {
  const nonce = randomBytes(8).toString("hex");
  const script = cellScript({ cell: request.cell, settings: request.settings, nonce, jobs: request.jobs ?? 2 });
  const user = await prepareWorkspace(request.workspace);
  const shared = request.settings.cache && request.cache ? request.cache : null;
  if (shared) await prepareCacheVolume(request.docker, request.image, shared.volume, user);

  const diagnostics = new DiagnosticsStream(
    request.cell.compiler.family === "gcc" || request.cell.compiler.family === "clang"
      ? { compiler: request.cell.compiler.family }
      : {},
  );
  const buildDir =
    request.settings.build.kind === "cmake"
      ? path.posix.join(SOURCE_DIR, request.settings.build.cmake.build_dir)
      : `${SOURCE_DIR}/build`;
  const annotator = new Annotator({ roots: [SOURCE_DIR], buildDirs: [buildDir], label: request.label });
  const marker = `##heimdall[${nonce}] `;
  let diagnosed = 0;
  const lines = new LineSplitter();
  const phases: Partial<Record<Phase, PhaseResult>> = {};
  let current: { phase: Phase; started: number } | null = null;
  let failedPhase: Phase | null = null;
  // ccache's counters (direct hits, preprocessed hits, misses): the first before, the last after.
  let cacheBefore: number[] | null = null;
  let cacheAfter: number[] | null = null;
  const log = request.log instanceof CappedLog ? request.log : new CappedLog(request.log);

  const onLine = (line: string) => {
    if (!line.startsWith(marker)) return;
    const [word, status, ...rest] = line.slice(marker.length).split(" ");
    if (word === "ccache") {
      const counts = rest.map(Number);
      if (counts.length !== 3 || !counts.every((n) => Number.isSafeInteger(n) && n >= 0)) return;
      if (status === "before") cacheBefore ??= counts;
      else if (status === "after") cacheAfter = counts;
    } else if (word === "end" && current) {
      const code = Number(status);
      phases[current.phase] = { ms: Date.now() - current.started, status: code };
      if (code !== 0) failedPhase = current.phase;
      current = null;
    } else if (word === "configure" || word === "build" || word === "test" || word === "sbom") {
      current = { phase: word, started: Date.now() };
    }
  };

  const container = runContainer(request.docker, {
    image: request.image,
    cmd: ["bash", "-c", script],
    // Without a shared volume, the cache is the workspace's own (gone with it).
    env: {
      CCACHE_DIR: shared ? CACHE_DIR : `${SOURCE_DIR}/.heimdall/ccache`,
      CCACHE_MAXSIZE: shared?.maxSize ?? DEFAULT_CACHE_MAX_SIZE,
      HOME: "/tmp",
    },
    user,
    workdir: SOURCE_DIR,
    network: request.network,
    limits: request.limits ?? DEFAULT_LIMITS,
    timeoutMs: request.timeoutMs,
    binds: [`${request.workspace}:${SOURCE_DIR}`, ...(shared ? [`${shared.volume}:${CACHE_DIR}`] : [])],
    ...(request.labels ? { labels: request.labels } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    keepBytes: 0,
    onBytes: (chunk) => log.write(chunk),
    onOutput: (chunk) => {
      // Diagnostics come from the first part of a log; past it, a build printing
      // gigabytes of short lines would only cost the worker a CPU.
      diagnosed += chunk.length;
      if (diagnosed <= DIAGNOSED_CHARS) for (const d of diagnostics.write(chunk)) annotator.add(d);
      for (const line of lines.push(chunk)) onLine(line);
      request.onOutput?.(chunk);
    },
  });
  // The log is ended (its writable too) whatever happens to the run.
  const result = await container.catch(async (error: unknown) => {
    await log.end();
    throw error;
  });
  const logSummary = await log.end();
  for (const d of diagnostics.end()) annotator.add(d);
  for (const line of lines.end()) onLine(line);
  const unfinished = current as { phase: Phase; started: number } | null;
  if (unfinished) phases[unfinished.phase] = { ms: Date.now() - unfinished.started, status: null };

  const conclusion = result.cancelled
    ? "cancelled"
    : result.timedOut
      ? "timed_out"
      : result.exitCode === 0
        ? "success"
        : "failure";
  return {
    conclusion,
    exitCode: result.exitCode,
    phases,
    failedPhase: failedPhase ?? (conclusion === "failure" ? (unfinished?.phase ?? null) : null),
    diagnostics: annotator.result(),
    junitXml: await readResultFile(request.workspace, JUNIT_FILE),
    outputBytes: result.outputBytes,
    oomKilled: result.oomKilled,
    log: logSummary,
    cache: cacheStats(cacheBefore, cacheAfter),
  };
}

function cacheStats(before: number[] | null, after: number[] | null): CacheStats | null {
  if (!before || !after) return null;
  const [hitsBefore = 0, preHitsBefore = 0, missesBefore = 0] = before;
  const [hitsAfter = 0, preHitsAfter = 0, missesAfter = 0] = after;
  // Another build's cleanup or a `ccache -z` can only lower the counters: never below zero.
  const hits = Math.max(0, hitsAfter + preHitsAfter - hitsBefore - preHitsBefore);
  const misses = Math.max(0, missesAfter - missesBefore);
  return { hits, misses, rate: hits + misses > 0 ? hits / (hits + misses) : null };
}

/**
 * The shared cache's volume: one per image and trust, so a fork's build never
 * writes where a trusted build reads (a poisoned entry would be compiled in).
 */
export function cacheVolumeName(image: string, trust: "trusted" | "fork", owner: string): string {
  // One cache per image, trust and repository owner: a repository can write
  // entries under another's keys, so caches are shared only where the code is.
  const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
  return `heimdall-ccache-${hash(image)}-${hash(owner.toLowerCase())}-${trust}`;
}

/** Volumes (by name and creation time) already handed to the build user by this process. */
const preparedVolumes = new Map<string, Promise<void>>();

/**
 * Makes the cache volume if it is missing and gives its root folder to the
 * build's user. A new named volume is root's and the build never is, so a
 * one-shot container does it: root, but with every capability dropped except
 * CAP_CHOWN (no DAC override, no setuid), no network, a read-only root, its
 * entrypoint replaced by `chown <user> /ccache` (not recursive: only the
 * volume's root). Once per volume per process: a volume removed and made again
 * (another creation time) is handed over again.
 */
async function prepareCacheVolume(docker: Docker, image: string, volume: string, user: string): Promise<void> {
  await docker.createVolume({ Name: volume, Labels: { "heimdall-build.cache": "ccache" } });
  const info = (await docker.getVolume(volume).inspect()) as { CreatedAt?: string };
  const key = `${volume}@${info.CreatedAt ?? ""}:${user}`;
  let prepared = preparedVolumes.get(key);
  if (!prepared) {
    prepared = chownVolume(docker, image, volume, user);
    prepared.catch(() => preparedVolumes.delete(key));
    preparedVolumes.set(key, prepared);
  }
  await prepared;
}

async function chownVolume(docker: Docker, image: string, volume: string, user: string): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ["chown"],
    Cmd: [user, CACHE_DIR],
    User: "0:0",
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: "none",
      CapDrop: ["ALL"],
      CapAdd: ["CHOWN"],
      SecurityOpt: ["no-new-privileges"],
      ReadonlyRootfs: true,
      PidsLimit: 16,
      Memory: 64 * 1024 ** 2,
      MemorySwap: 64 * 1024 ** 2,
      LogConfig: { Type: "none", Config: {} },
      Binds: [`${volume}:${CACHE_DIR}`],
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0)
      throw new Error(`could not give the cache volume ${volume} to ${user} (chown: ${StatusCode})`);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * The container runs as uid 1000 (the images' `builder`), never root: a
 * workspace made by a root worker is handed to that uid; a non-root worker
 * runs the container as itself.
 */
async function prepareWorkspace(workspace: string): Promise<string> {
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  if (uid !== 0) return `${uid}:${gid}`;
  await run("chown", ["-R", "1000:1000", workspace]);
  return "1000:1000";
}

/**
 * A file the build left for the worker, read without following links: the
 * container could have put a symlink to any host file there.
 */
async function readResultFile(workspace: string, containerPath: string): Promise<string | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // A folder on the way may be a link out of the workspace too.
    const root = await realpath(workspace);
    const file = await realpath(path.join(workspace, path.posix.relative(SOURCE_DIR, containerPath)));
    if (!file.startsWith(`${root}/`)) return null;
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return null;
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_JUNIT_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}
