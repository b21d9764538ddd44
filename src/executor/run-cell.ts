/**
 * One attempt of a cell in a hardened container: the workspace mounted at
 * /work/src, the cell's script run, the output streamed live into the
 * diagnostics engine and to the caller's log sink, phases timed, the test
 * results read back. The build's output and files are untrusted.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import type { Cell } from "../config/matrix.ts";
import { DiagnosticsStream } from "../diagnostics/engine.ts";
import { LineSplitter } from "../diagnostics/lines.ts";
import { type Annotated, Annotator } from "../report/annotations.ts";
import { type BuildSettings, cellScript, JUNIT_PATH, type Phase, SOURCE_DIR } from "./cell-script.ts";
import { type IdentifiedCompiler, parseCompilerMarker } from "./compiler-check.ts";
import { type ContainerLimits, DEFAULT_LIMITS, runContainer } from "./container.ts";
import { CappedLog, type CappedLogOptions, type LogSummary } from "./log-sink.ts";
import { readResultFile } from "./result-file.ts";
import type { LimitClock } from "./time-guard.ts";

export interface CellRunRequest {
  readonly docker: Docker;
  /** The image to run in (already built or present). */
  readonly image: string;
  /** The cell's own copy of the checkout on the host, mounted read-write at /work/src. */
  readonly workspace: string;
  readonly cell: Cell;
  readonly settings: BuildSettings;
  /** The build's limit; a guard started with the build ends it a little later should the worker be gone. */
  readonly timeoutMs: number;
  /** The worker's clock for the limit (tests hold it back); the real one by default. */
  readonly clock?: LimitClock;
  readonly signal?: AbortSignal;
  /** Network inside the container: only for trusted builds whose config asks for it. */
  readonly network: boolean;
  readonly jobs?: number;
  /** Names the compiler in annotation titles, e.g. `gcc-12`. */
  readonly label: string;
  readonly limits?: ContainerLimits;
  /** Every chunk of output, as text (all of it: the log's cap does not apply). */
  readonly onOutput?: (chunk: string) => void;
  /** A phase of the script (configure, build, test, sbom) has begun: for live progress. */
  readonly onPhase?: (phase: Phase) => void;
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
  /** The cell's C and C++ compilers as they identified themselves (none where the catalog names no command). */
  readonly compilers: readonly IdentifiedCompiler[];
  /** Why the compiler phase ended the cell ("the image has no g++-12", "g++-12 is clang 16.0.6, not gcc 12"). */
  readonly compilerProblem: string | null;
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
  if (shared) await prepareCacheVolume(request.docker, request.image, shared.volume, user, request.labels ?? {});

  const observer = new OutputObserver({
    nonce,
    cell: request.cell,
    settings: request.settings,
    sourceDirs: [SOURCE_DIR],
    label: request.label,
    ...(request.log ? { log: request.log } : {}),
    ...(request.onOutput ? { onOutput: request.onOutput } : {}),
    ...(request.onPhase ? { onPhase: request.onPhase } : {}),
  });

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
    ...(request.clock ? { clock: request.clock } : {}),
    binds: [`${request.workspace}:${SOURCE_DIR}`, ...(shared ? [`${shared.volume}:${CACHE_DIR}`] : [])],
    ...(request.labels ? { labels: request.labels } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    keepBytes: 0,
    onBytes: (chunk) => observer.bytes(chunk),
    onOutput: (chunk) => observer.text(chunk),
  });
  // The log is ended (its writable too) whatever happens to the run.
  const result = await container.catch(async (error: unknown) => {
    await observer.abandon();
    throw error;
  });
  return {
    ...(await observer.conclude(result, request.workspace)),
    outputBytes: result.outputBytes,
    oomKilled: result.oomKilled,
  };
}

export interface OutputObserverOptions {
  /** The run's nonce, as given to cellScript. */
  readonly nonce: string;
  readonly cell: Cell;
  readonly settings: BuildSettings;
  /** The checkout's paths as the build sees them: diagnostics' paths are made relative to these. */
  readonly sourceDirs: readonly string[];
  /** Names the compiler in annotation titles, e.g. `gcc-12`. */
  readonly label: string;
  readonly log?: CappedLog | CappedLogOptions;
  /** Every chunk of output, as text. */
  readonly onOutput?: (chunk: string) => void;
  /** A phase has begun. */
  readonly onPhase?: (phase: Phase) => void;
}

/** How the build's process ended, as an executor saw it. */
export interface RunOutcome {
  readonly exitCode: number;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
}

/**
 * What becomes of a cell's output, whatever ran it (a container, the host):
 * the log, the diagnostics and their annotations, the phases' markers and
 * times, ccache's counters; then the conclusion and the JUnit file.
 * Feed it the output's bytes (`bytes`, for the log) and their text (`text`).
 */
export class OutputObserver {
  readonly log: CappedLog;
  private readonly diagnostics: DiagnosticsStream;
  private readonly annotator: Annotator;
  private readonly marker: string;
  private readonly lines = new LineSplitter();
  private readonly onOutput: ((chunk: string) => void) | undefined;
  private readonly onPhase: ((phase: Phase) => void) | undefined;
  private diagnosed = 0;
  private readonly phases: Partial<Record<Phase, PhaseResult>> = {};
  private current: { phase: Phase; started: number } | null = null;
  private failedPhase: Phase | null = null;
  // ccache's counters (direct hits, preprocessed hits, misses): the first before, the last after.
  private cacheBefore: number[] | null = null;
  private cacheAfter: number[] | null = null;
  private readonly compilers: IdentifiedCompiler[] = [];
  private compilerProblem: string | null = null;

  constructor(options: OutputObserverOptions) {
    const family = options.cell.compiler.family;
    this.diagnostics = new DiagnosticsStream(family === "gcc" || family === "clang" ? { compiler: family } : {});
    const build = options.settings.build.kind === "cmake" ? options.settings.build.cmake.build_dir : "build";
    const buildDirs = options.sourceDirs.map((dir) => path.posix.join(dir, build));
    this.annotator = new Annotator({ roots: [...options.sourceDirs], buildDirs, label: options.label });
    this.marker = `##heimdall[${options.nonce}] `;
    this.log = options.log instanceof CappedLog ? options.log : new CappedLog(options.log);
    this.onOutput = options.onOutput;
    this.onPhase = options.onPhase;
  }

  /** A chunk of output as bytes: to the log. A returned promise asks to pause the output until it settles. */
  bytes(chunk: Buffer): Promise<void> | undefined {
    return this.log.write(chunk);
  }

  /** The same output as text: diagnostics, markers, the caller's onOutput. */
  text(chunk: string): void {
    // Diagnostics come from the first part of a log; past it, a build printing
    // gigabytes of short lines would only cost the worker a CPU.
    this.diagnosed += chunk.length;
    if (this.diagnosed <= DIAGNOSED_CHARS) for (const d of this.diagnostics.write(chunk)) this.annotator.add(d);
    for (const line of this.lines.push(chunk)) this.onLine(line);
    this.onOutput?.(chunk);
  }

  /** The run failed before it could end: the log is ended (its writable too). */
  async abandon(): Promise<void> {
    await this.log.end();
  }

  /** The run has ended: everything but the executor's own counts. */
  async conclude(outcome: RunOutcome, workspace: string): Promise<Omit<CellRunResult, "outputBytes" | "oomKilled">> {
    const logSummary = await this.log.end();
    for (const d of this.diagnostics.end()) this.annotator.add(d);
    for (const line of this.lines.end()) this.onLine(line);
    const unfinished = this.current;
    if (unfinished) this.phases[unfinished.phase] = { ms: Date.now() - unfinished.started, status: null };
    const conclusion = outcome.cancelled
      ? "cancelled"
      : outcome.timedOut
        ? "timed_out"
        : outcome.exitCode === 0
          ? "success"
          : "failure";
    return {
      conclusion,
      exitCode: outcome.exitCode,
      phases: this.phases,
      failedPhase: this.failedPhase ?? (conclusion === "failure" ? (unfinished?.phase ?? null) : null),
      diagnostics: this.annotator.result(),
      junitXml: (await readResultFile(workspace, JUNIT_PATH, MAX_JUNIT_BYTES))?.text ?? null,
      log: logSummary,
      cache: cacheStats(this.cacheBefore, this.cacheAfter),
      compilers: this.compilers,
      // Only the compiler phase's own failure says why: a marker printed by anything else is not believed.
      compilerProblem: this.failedPhase === "compiler" ? this.compilerProblem : null,
    };
  }

  private onLine(line: string): void {
    if (!line.startsWith(this.marker)) return;
    const [word, status, ...rest] = line.slice(this.marker.length).split(" ");
    if (word === "ccache") {
      const counts = rest.map(Number);
      if (counts.length !== 3 || !counts.every((n) => Number.isSafeInteger(n) && n >= 0)) return;
      if (status === "before") this.cacheBefore ??= counts;
      else if (status === "after") this.cacheAfter = counts;
    } else if (word === "compiler" && this.current?.phase === "compiler") {
      const identified = parseCompilerMarker([status ?? "", ...rest]);
      if (identified && this.compilers.length < 2) this.compilers.push(identified);
    } else if (word === "compiler-problem" && this.current?.phase === "compiler") {
      this.compilerProblem ??= [status, ...rest].join(" ").slice(0, 300);
    } else if (word === "end" && this.current) {
      const code = Number(status);
      this.phases[this.current.phase] = { ms: Date.now() - this.current.started, status: code };
      if (code !== 0) this.failedPhase = this.current.phase;
      this.current = null;
    } else if (word === "compiler" || word === "configure" || word === "build" || word === "test" || word === "sbom") {
      this.current = { phase: word, started: Date.now() };
      this.onPhase?.(word);
    }
  }
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
async function prepareCacheVolume(
  docker: Docker,
  image: string,
  volume: string,
  user: string,
  labels: Readonly<Record<string, string>>,
): Promise<void> {
  await docker.createVolume({ Name: volume, Labels: { "heimdall-build.cache": "ccache" } });
  const info = (await docker.getVolume(volume).inspect()) as { CreatedAt?: string };
  const key = `${volume}@${info.CreatedAt ?? ""}:${user}`;
  let prepared = preparedVolumes.get(key);
  if (!prepared) {
    prepared = chownVolume(docker, image, volume, user, labels);
    prepared.catch(() => preparedVolumes.delete(key));
    preparedVolumes.set(key, prepared);
  }
  await prepared;
}

async function chownVolume(
  docker: Docker,
  image: string,
  volume: string,
  user: string,
  labels: Readonly<Record<string, string>>,
): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    // The attempt's labels, as on its build container: its deployment's own.
    Labels: { ...labels },
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
