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
import { createHash, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as wait } from "node:timers/promises";
import type { Redis } from "ioredis";

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
  return new Writer(settings, options.redis, options.log);
}

/** One installation's queue and what this process knows of its budget (times from `performance.now()`). */
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

  constructor(settings: Settings, redis: Redis | undefined, log: WriterLog | undefined) {
    this.#settings = settings;
    this.#shared = redis ? new SharedLimiter(redis, settings) : null;
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
    const now = performance.now();
    if (keepUntil <= now) {
      this.#lanes.delete(installationId);
      return;
    }
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
        lane.blockedUntil = Math.max(lane.blockedUntil, performance.now() + wait);
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
      const remaining = target - performance.now();
      if (remaining > 0) {
        await sleep(Math.ceil(remaining), signal);
        continue;
      }
      if (this.#shared) {
        // Then every process's: Redis records the write as started now, or
        // says how long until it may.
        const wait = await this.#shared.tryAcquire(installationId);
        if (wait > 0) {
          await sleep(Math.ceil(wait), signal);
          continue;
        }
      }
      lane.starts.push(performance.now());
      if (lane.starts.length > writesPerMinute) lane.starts.splice(0, lane.starts.length - writesPerMinute);
      return;
    }
  }
}

/** Waits `ms`; a closed writer ends the wait with GitHubWriterClosedError. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return wait(ms, undefined, { signal }).catch(() => {
    throw new GitHubWriterClosedError();
  });
}

// KEYS: log, block. ARGV: windowMs, limit, minSpacingMs, member.
// Records a write as started now and returns "0" when the installation's limits
// allow it; otherwise returns how many ms until they may (as a string: Lua
// numbers would be truncated to integers).
const ACQUIRE_SCRIPT = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local spacing = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local wait = 0
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked - now > wait then wait = blocked - now end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) + spacing - now > wait then wait = tonumber(last[2]) + spacing - now end
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  if tonumber(oldest[2]) + window - now > wait then wait = tonumber(oldest[2]) + window - now end
end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1000)
return '0'
`;

// KEYS: block. ARGV: waitMs. Blocks the installation until now + waitMs, unless already blocked longer.
const BLOCK_SCRIPT = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local blocked_until = math.ceil(now + tonumber(ARGV[1]))
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if blocked_until > current then
  redis.call('SET', KEYS[1], tostring(blocked_until), 'PX', math.ceil(blocked_until - now) + 1000)
end
return 'OK'
`;

class SharedLimiter {
  readonly #redis: Redis;
  readonly #settings: Settings;

  constructor(redis: Redis, settings: Settings) {
    this.#redis = redis;
    this.#settings = settings;
  }

  /** Records a write of the installation as started now and returns 0, or returns the ms until one may start. */
  async tryAcquire(installationId: number): Promise<number> {
    const { windowMs, writesPerMinute, minSpacingMs } = this.#settings;
    const reply = await this.#eval(
      ACQUIRE_SCRIPT,
      [this.#key(installationId, "log"), this.#key(installationId, "block")],
      [windowMs, writesPerMinute, minSpacingMs, randomUUID()],
    );
    const wait = Number(reply);
    if (!Number.isFinite(wait)) throw new Error(`unexpected reply from the write limiter script: ${String(reply)}`);
    return Math.max(0, wait);
  }

  async block(installationId: number, waitMs: number): Promise<void> {
    await this.#eval(BLOCK_SCRIPT, [this.#key(installationId, "block")], [waitMs]);
  }

  #key(installationId: number, kind: "log" | "block"): string {
    // The hash tag keeps both keys of an installation in one Redis Cluster slot.
    return `${this.#settings.keyPrefix}:{${installationId}}:${kind}`;
  }

  async #eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const sha = scriptSha(script);
    try {
      return await this.#redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
      return await this.#redis.eval(script, keys.length, ...keys, ...args);
    }
  }
}

const shas = new Map<string, string>();
function scriptSha(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash("sha1").update(script).digest("hex");
    shas.set(script, sha);
  }
  return sha;
}

/**
 * How long GitHub asks to wait before `error`'s request may be retried, in ms,
 * or undefined when the error is not a rate limit. `attempt` counts the retries
 * already made (0 for the first failure); a secondary limit without a header
 * waits `secondaryWaitMs`, doubled for each further attempt.
 *
 * Reads an Octokit `RequestError`'s shape (`status`, `response.headers`,
 * `message`), so errors of any Octokit version are understood.
 */
export function rateLimitWaitMs(
  error: unknown,
  attempt: number,
  secondaryWaitMs: number,
  now = Date.now(),
): number | undefined {
  const status = statusOf(error);
  if (status !== 403 && status !== 429) return undefined;
  const headers = headersOf(error);
  const retryAfter = headers["retry-after"];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const remaining = headers["x-ratelimit-remaining"];
  const reset = Number(headers["x-ratelimit-reset"]);
  if (remaining === "0" && Number.isFinite(reset) && headers["x-ratelimit-reset"] !== undefined) {
    return Math.max(0, reset * 1000 - now);
  }
  if (status === 429 || /secondary rate limit|abuse detection/i.test(messageOf(error))) {
    return secondaryWaitMs * 2 ** attempt;
  }
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  const headers = (error as { response?: { headers?: unknown } }).response?.headers;
  const result: Record<string, string | undefined> = {};
  if (typeof headers !== "object" || headers === null) return result;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string" || typeof value === "number") result[name.toLowerCase()] = String(value);
  }
  return result;
}

function messageOf(error: unknown): string {
  const own = (error as { message?: unknown }).message;
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const fromBody =
    typeof data === "object" && data !== null
      ? (data as { message?: unknown }).message
      : typeof data === "string"
        ? data
        : "";
  return `${typeof own === "string" ? own : ""}\n${typeof fromBody === "string" ? fromBody : ""}`;
}
