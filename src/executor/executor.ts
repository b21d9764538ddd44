/**
 * What runs a cell's script: one interface, one backend a folder (`docker/`:
 * a hardened container from the cell's image; `host/`: this machine's own
 * compilers), the way Woodpecker's pipeline backends sit behind one. A backend
 * makes ready what the cell runs in (`prepare`), then runs the script there
 * and reports its output through the shared OutputObserver (output-observer.ts);
 * everything after the run (standards, outputs, summary) is attempt.ts's, and
 * the steps around it (workspace, cancel checks) are cell-attempt.ts's.
 */
import type { Cell } from "../config/matrix.ts";
import type { Annotated } from "../report/annotations.ts";
import type { ImagePackage } from "../report/sbom.ts";
import type { BuildSettings, Phase } from "./cell-script.ts";
import type { IdentifiedCompiler } from "./compiler-check.ts";
import type { CappedLog, CappedLogOptions, LogSummary } from "./log-sink.ts";
import type { LimitClock } from "./time-guard.ts";

export interface Executor {
  /**
   * Why this machine cannot build the cell with this backend at all (another
   * platform's cell, a compiler not installed here), or null when it can.
   * Quick, and without side effects: `heimdall-build run` skips such a cell
   * before anything is prepared.
   */
  unavailableReason(cell: Cell): string | null;
  /**
   * Makes ready what the cell runs in (the Docker backend's image: the
   * catalog's, built on first use), or says why it cannot.
   * `onProgress` hears what is being prepared, then the preparation's lines.
   */
  prepare(cell: Cell, onProgress?: (line: string) => void): Promise<Preparation>;
}

export type Preparation =
  | { readonly ready: true; readonly executor: PreparedExecutor }
  | {
      readonly ready: false;
      /** Why, in words, lower case, its detail on the lines after the first: "the image could not be made: …". */
      readonly reason: string;
      /**
       * What the cell names to run in when this machine lacks it and nothing
       * here makes it (a config's own image): only its operator can add it.
       */
      readonly missing: string | null;
    };

/** A backend made ready for one cell: what it runs in is there. */
export interface PreparedExecutor {
  /** What the cell runs on, as summaries and the SBOM name it: the image, or `host <name>`. */
  readonly ranOn: string;
  /** The build's memory limit in bytes; null where none is set (the host). */
  readonly memoryLimit: number | null;
  /** Runs the cell's script in the workspace; its output through an OutputObserver. */
  run(request: CellRunRequest): Promise<CellRunResult>;
  /** What the cell ran on is made of, for the SBOM (none known of a host). */
  packages(): Promise<ImagePackage[]>;
}

export interface CellRunRequest {
  /** The cell's own copy of the checkout, which the build writes into. */
  readonly workspace: string;
  readonly cell: Cell;
  readonly settings: BuildSettings;
  /** The build's limit; a guard started with the build ends it a little later should the worker be gone. */
  readonly timeoutMs: number;
  /** The worker's clock for the limit (tests hold it back); the real one by default. */
  readonly clock?: LimitClock;
  readonly signal?: AbortSignal;
  readonly jobs?: number;
  /** Names the compiler in annotation titles, e.g. `gcc-12`. */
  readonly label: string;
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
}

/** ccache's size cap (CCACHE_MAXSIZE) where nobody names another. */
export const DEFAULT_CACHE_MAX_SIZE = "5G";

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
