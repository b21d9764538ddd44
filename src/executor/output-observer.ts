/** A cell's output into its log, diagnostics, phases and result, whichever backend ran it (executor.ts). */
import path from "node:path";
import { DiagnosticsStream } from "../diagnostics/engine.ts";
import { LineSplitter } from "../diagnostics/lines.ts";
import { Annotator } from "../report/annotations.ts";
import { type BuildSettings, JUNIT_PATH, type Phase } from "./cell-script.ts";
import { type IdentifiedCompiler, parseCompilerMarker } from "./compiler-check.ts";
import type { CacheStats, CellRunRequest, CellRunResult, PhaseResult } from "./executor.ts";
import { CappedLog } from "./log-sink.ts";
import { readResultFile } from "./result-file.ts";

/** Output read for diagnostics at most (characters). */
export const DIAGNOSED_CHARS = 256 * 1024 * 1024;

/** The most of a JUnit file read back from the workspace. */
const MAX_JUNIT_BYTES = 8 * 1024 * 1024;

export interface OutputObserverOptions extends Pick<CellRunRequest, "cell" | "label" | "log" | "onOutput" | "onPhase"> {
  /** The run's nonce, as given to cellScript. */
  readonly nonce: string;
  /** The settings the script was made from (a backend may have changed the request's). */
  readonly settings: BuildSettings;
  /** The checkout's paths as the build sees them: diagnostics' paths are made relative to these. */
  readonly sourceDirs: readonly string[];
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
