/**
 * The one scheduler every GitHub write goes through.
 *
 * GitHub asks for at least a second between two content-creating requests of
 * one installation and at most 80 of them a minute, and answers a client that
 * ignores this with a secondary-rate-limit 403. Every write of an installation
 * therefore takes a slot from that installation's limiter first:
 *
 * - **Shared by every process through Redis.** One Lua script over a sorted
 *   set per installation (a sliding-window log of the writes started, in
 *   Redis's clock) either records the write as starting now or answers how
 *   long until it may: at least `minSpacingMs` after the last write, at most
 *   `writesPerMinute` writes in any `windowMs`, and not before a rate-limit
 *   wait any process recorded. The caller sleeps that long and asks again. The
 *   decision and the start are one round trip apart, so the limits hold across
 *   processes up to the time an answer takes to arrive (well under a
 *   millisecond on a LAN), whatever pauses a process has while it sleeps.
 * - **In memory** without Redis (one process, `heimdall-build run`): the same
 *   rules over the process's own log.
 *
 * Writes of one installation run one at a time, in the order they were asked
 * for, within a process; installations do not wait for each other.
 *
 * Time comes from a {@link WriterClock}: by default this process's monotonic
 * clock, and Redis's TIME in the shared limiter (the one clock every process
 * shares). A clock given in the options (tests) is used for both, so what a
 * test asserts is the limiter's decisions, not how late timers fire on a busy
 * machine.
 *
 * When GitHub says to wait (403 or 429 with `retry-after`, a primary limit with
 * `x-ratelimit-remaining: 0`, or a secondary-rate-limit 403 without a header)
 * the installation is blocked for that long, in Redis for the other processes
 * too, and the write is retried; other errors propagate at once.
 *
 * Bottleneck (which Probot's throttling plugin uses) was not taken: its shared
 * "reservoir" refills at fixed intervals, so two bursts on either side of a
 * refill break a sliding window by up to twice the limit, it has no way to block
 * an installation's limiter for a retry-after wait, and its Redis mode needs a
 * pub/sub connection, heartbeats and a dozen scripts for what one script does here.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as wait } from "node:timers/promises";
import type { Redis } from "ioredis";
import { rateLimitWaitMs, statusOf } from "./rate-limit.ts";
import { SharedLimiter } from "./shared-limiter.ts";

export { rateLimitWaitMs } from "./rate-limit.ts";

/** The limiter's time. */
export interface WriterClock {
  /** Milliseconds, on any fixed origin, never going back. */
  now(): number;
  /** Resolves once `ms` of this clock have passed; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** performance.now() and real timers. */
export const SYSTEM_CLOCK: WriterClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => wait(ms, undefined, { signal }),
};

export interface GitHubWriter {
  /** Runs `task` (one write request to GitHub for this installation) when the installation's budget allows, retrying when GitHub says to wait. */
  write<T>(installationId: number, task: () => Promise<T>): Promise<T>;
  /** Refuses new writes, fails the ones still waiting for a slot with {@link GitHubWriterClosedError}, and waits for the running ones. Leaves the Redis connection open (it is the caller's). */
  close(): Promise<void>;
}

/** What the writer logs: a pino logger fits. */
export interface WriterLog {
  warn(details: object, message: string): void;
}

export interface GitHubWriterOptions {
  /** Shares each installation's limiter with every process using the same Redis and `keyPrefix`. Without it the limiter is this process's only. */
  readonly redis?: Redis | undefined;
  /** At most this many writes of one installation in any `windowMs` (default 80). */
  readonly writesPerMinute?: number | undefined;
  /** The sliding window (default 60 000 ms). */
  readonly windowMs?: number | undefined;
  /** At least this long between the starts of two writes of one installation (default 1000 ms). */
  readonly minSpacingMs?: number | undefined;
  /** Retries after a rate-limit answer, per write (default 3). */
  readonly maxRetries?: number | undefined;
  /** The wait after a secondary rate limit that names no time (default 60 000 ms), doubled for each further retry of the write. */
  readonly secondaryWaitMs?: number | undefined;
  /** A wait GitHub asks for beyond this (default 15 minutes) is not waited: the error propagates. */
  readonly maxRetryWaitMs?: number | undefined;
  /** Redis keys are `<keyPrefix>:{<installationId>}:log` and `...:block` (default `heimdall-build:github-writes`). */
  readonly keyPrefix?: string | undefined;
  readonly log?: WriterLog | undefined;
  /**
   * The limiter's clock (tests). Without it: SYSTEM_CLOCK in this process and
   * Redis's TIME for the shared limiter. With it, the shared limiter takes its
   * time from this clock too, so every writer sharing the Redis keys must share it.
   */
  readonly clock?: WriterClock | undefined;
}

/** The write was still waiting for its slot when the writer was closed. */
export class GitHubWriterClosedError extends Error {
  constructor() {
    super("the GitHub writer was closed before this write started");
    this.name = "GitHubWriterClosedError";
  }
}

export const WRITER_DEFAULTS = {
  writesPerMinute: 80,
  windowMs: 60_000,
  minSpacingMs: 1000,
  maxRetries: 3,
  secondaryWaitMs: 60_000,
  maxRetryWaitMs: 15 * 60_000,
  keyPrefix: "heimdall-build:github-writes",
} as const;

type Settings = {
  readonly [K in keyof typeof WRITER_DEFAULTS]: (typeof WRITER_DEFAULTS)[K] extends string ? string : number;
};

export function createGitHubWriter(options: GitHubWriterOptions = {}): GitHubWriter {
  const settings: Settings = {
    writesPerMinute: options.writesPerMinute ?? WRITER_DEFAULTS.writesPerMinute,
    windowMs: options.windowMs ?? WRITER_DEFAULTS.windowMs,
    minSpacingMs: options.minSpacingMs ?? WRITER_DEFAULTS.minSpacingMs,
    maxRetries: options.maxRetries ?? WRITER_DEFAULTS.maxRetries,
    secondaryWaitMs: options.secondaryWaitMs ?? WRITER_DEFAULTS.secondaryWaitMs,
    maxRetryWaitMs: options.maxRetryWaitMs ?? WRITER_DEFAULTS.maxRetryWaitMs,
    keyPrefix: options.keyPrefix ?? WRITER_DEFAULTS.keyPrefix,
  };
  for (const key of ["writesPerMinute", "windowMs"] as const) {
    if (!(Number.isFinite(settings[key]) && settings[key] >= 1)) throw new RangeError(`${key} must be at least 1`);
  }
  for (const key of ["minSpacingMs", "maxRetries", "secondaryWaitMs", "maxRetryWaitMs"] as const) {
    if (!(Number.isFinite(settings[key]) && settings[key] >= 0)) throw new RangeError(`${key} must be 0 or more`);
  }
  return new Writer(settings, options.redis, options.log, options.clock);
}

/** One installation's queue and what this process knows of its budget (times from the writer's clock). */
interface Lane {
  tail: Promise<void>;
  queued: number;
  /** Starts of this process's writes, oldest first, at most `writesPerMinute` of them. */
  readonly starts: number[];
  blockedUntil: number;
}

class Writer implements GitHubWriter {
  readonly #settings: Settings;
  readonly #shared: SharedLimiter | null;
  readonly #log: WriterLog | undefined;
  readonly #lanes = new Map<number, Lane>();
  readonly #closing = new AbortController();
  readonly #clock: WriterClock;

  constructor(
    settings: Settings,
    redis: Redis | undefined,
    log: WriterLog | undefined,
    clock: WriterClock | undefined,
  ) {
    this.#settings = settings;
    this.#clock = clock ?? SYSTEM_CLOCK;
    // Only a given clock replaces Redis's TIME: processes' own clocks differ.
    this.#shared = redis ? new SharedLimiter(redis, settings, clock ? () => clock.now() : null) : null;
    this.#log = log;
  }

  write<T>(installationId: number, task: () => Promise<T>): Promise<T> {
    if (this.#closing.signal.aborted) return Promise.reject(new GitHubWriterClosedError());
    if (!Number.isSafeInteger(installationId) || installationId <= 0) {
      return Promise.reject(new RangeError(`installationId must be a positive integer, not ${installationId}`));
    }
    const lane = this.#lane(installationId);
    lane.queued++;
    const result = lane.tail.then(() => this.#run(installationId, lane, task));
    lane.tail = result.then(
      () => this.#settled(installationId, lane),
      () => this.#settled(installationId, lane),
    );
    return result;
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([...this.#lanes.values()].map((lane) => lane.tail));
  }

  #lane(installationId: number): Lane {
    let lane = this.#lanes.get(installationId);
    if (!lane) {
      lane = { tail: Promise.resolve(), queued: 0, starts: [], blockedUntil: 0 };
      this.#lanes.set(installationId, lane);
    }
    return lane;
  }

  #settled(installationId: number, lane: Lane): void {
    lane.queued--;
    this.#forgetWhenStale(installationId, lane);
  }

  /** An idle lane is forgotten once nothing it remembers can delay a write. */
  #forgetWhenStale(installationId: number, lane: Lane): void {
    if (lane.queued > 0 || this.#lanes.get(installationId) !== lane) return;
    const { windowMs, minSpacingMs } = this.#settings;
    const last = lane.starts.at(-1) ?? Number.NEGATIVE_INFINITY;
    const keepUntil = Math.max(lane.blockedUntil, last + Math.max(windowMs, minSpacingMs));
    const now = this.#clock.now();
    if (keepUntil <= now) {
      this.#lanes.delete(installationId);
      return;
    }
    // A real timer whatever the clock: it only frees memory, and a test's clock may never reach keepUntil.
    setTimeout(() => this.#forgetWhenStale(installationId, lane), Math.ceil(keepUntil - now)).unref();
  }

  async #run<T>(installationId: number, lane: Lane, task: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.#acquire(installationId, lane);
      try {
        return await task();
      } catch (error) {
        const wait = rateLimitWaitMs(error, attempt, this.#settings.secondaryWaitMs);
        if (wait === undefined || attempt >= this.#settings.maxRetries || wait > this.#settings.maxRetryWaitMs) {
          throw error;
        }
        this.#log?.warn(
          { installationId, attempt: attempt + 1, waitMs: wait, status: statusOf(error) },
          "GitHub asked to wait; the installation's writes pause and this one is retried",
        );
        lane.blockedUntil = Math.max(lane.blockedUntil, this.#clock.now() + wait);
        await this.#shared?.block(installationId, wait);
      }
    }
  }

  /** Waits until this installation may write, and records the write as started. */
  async #acquire(installationId: number, lane: Lane): Promise<void> {
    const signal = this.#closing.signal;
    const { writesPerMinute, windowMs, minSpacingMs } = this.#settings;
    for (;;) {
      if (signal.aborted) throw new GitHubWriterClosedError();
      // This process's own constraints first: they cost no round trip.
      let target = lane.blockedUntil;
      const last = lane.starts.at(-1);
      if (last !== undefined) target = Math.max(target, last + minSpacingMs);
      if (lane.starts.length >= writesPerMinute) {
        target = Math.max(target, (lane.starts[lane.starts.length - writesPerMinute] ?? 0) + windowMs);
      }
      const remaining = target - this.#clock.now();
      if (remaining > 0) {
        await this.#sleep(Math.ceil(remaining), signal);
        continue;
      }
      if (this.#shared) {
        // Then every process's: Redis records the write as started now, or
        // says how long until it may.
        const wait = await this.#shared.tryAcquire(installationId);
        if (wait > 0) {
          await this.#sleep(Math.ceil(wait), signal);
          continue;
        }
      }
      lane.starts.push(this.#clock.now());
      if (lane.starts.length > writesPerMinute) lane.starts.splice(0, lane.starts.length - writesPerMinute);
      return;
    }
  }

  /** Waits `ms` of the clock; a closed writer ends the wait with GitHubWriterClosedError. */
  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return this.#clock.sleep(ms, signal).catch((error: unknown) => {
      if (signal.aborted) throw new GitHubWriterClosedError();
      throw error;
    });
  }
}
