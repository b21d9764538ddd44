import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createGitHubWriter,
  type GitHubWriter,
  GitHubWriterClosedError,
  type GitHubWriterOptions,
  rateLimitWaitMs,
  WRITER_DEFAULTS,
} from "../../src/github/writer.ts";
import { heldBy, VirtualClock } from "../support/clock.ts";
import { errorReply, type FakeGitHub, fakeGitHub, secondaryRateLimitReply } from "../support/github.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const connections: Redis[] = [];
const prefixes: string[] = [];
const writers: GitHubWriter[] = [];
let fake: FakeGitHub | undefined;

function connect(): Redis {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  return redis;
}

function freshPrefix(): string {
  const prefix = `heimdall-build-test:writer:${randomUUID()}`;
  prefixes.push(prefix);
  return prefix;
}

beforeAll(async () => {
  try {
    await connect().ping();
  } catch (error) {
    throw new Error(
      `No Redis answers at ${REDIS_URL} (${String(error)}). The writer tests use the real Redis: start it.`,
    );
  }
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(writers.splice(0).map((w) => w.close()));
  fake?.cleanup();
  fake = undefined;
  const redis = connections[0];
  for (const prefix of prefixes.splice(0)) {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await (redis as Redis).scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    if (keys.length > 0) await (redis as Redis).del(...keys);
  }
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});

type Mode = "memory" | "redis";

/**
 * A writer in `mode`; writers made with the same `prefix` share their limits
 * through Redis. On a VirtualClock the time stands still while a Redis answer
 * is on its way, so the shared limiter's decisions are as exact as the in-memory one's.
 */
function writer(mode: Mode, options: GitHubWriterOptions = {}, prefix = freshPrefix()): GitHubWriter {
  const { clock } = options;
  const shared = () => ({
    redis: clock instanceof VirtualClock ? heldBy(clock, connect()) : connect(),
    keyPrefix: prefix,
  });
  const w = createGitHubWriter({ ...options, ...(mode === "redis" ? shared() : {}) });
  writers.push(w);
  return w;
}

/** A task that records the clock's time when it starts and resolves at once. */
function recorder(clock: VirtualClock, starts: number[]) {
  return async () => {
    starts.push(clock.now());
  };
}

const SCALED = { writesPerMinute: 8, windowMs: 1000, minSpacingMs: 50 };

/** The fastest schedule of `count` writes from 0 that `limits` allow: a window's worth `minSpacingMs` apart, the next when the window's first leaves it, and so on. */
function fastest(count: number, limits = SCALED): number[] {
  const { writesPerMinute, windowMs, minSpacingMs } = limits;
  return Array.from(
    { length: count },
    (_, i) => Math.floor(i / writesPerMinute) * windowMs + (i % writesPerMinute) * minSpacingMs,
  );
}

/** Every gap ≥ minSpacingMs and every run of perWindow + 1 starts spans ≥ windowMs. */
function expectWithinLimits(starts: readonly number[], limits = SCALED): void {
  const sorted = [...starts].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - (sorted[i] as number));
  expect(Math.min(...gaps), `gaps ${gaps.join(" ")}`).toBeGreaterThanOrEqual(limits.minSpacingMs);
  for (let i = 0; i + limits.writesPerMinute < sorted.length; i++) {
    const span = (sorted[i + limits.writesPerMinute] as number) - (sorted[i] as number);
    expect(span, `writes ${i}..${i + limits.writesPerMinute} in ${span} ms`).toBeGreaterThanOrEqual(limits.windowMs);
  }
}

/** What Octokit throws for a secondary rate limit with `retry-after: <seconds>`. */
function secondaryRateLimit(seconds: number): Error {
  return Object.assign(new Error("You have exceeded a secondary rate limit"), {
    status: 403,
    response: { headers: { "retry-after": String(seconds) } },
  });
}

const silent = pino({ level: "silent" });
/** Probot's Octokit without its own throttle and retries: the writer is the one that waits. */
const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));
const SHA = "0123456789abcdef0123456789abcdef01234567";

function createCheckRun(octokit: InstanceType<typeof TestOctokit>, name = "cell") {
  return octokit.rest.checks.create({ owner: "o", repo: "r", name, head_sha: SHA });
}

/** Wraps a task to record each attempt's start and each failure's time on `clock`. */
function attempts<T>(clock: VirtualClock, task: () => Promise<T>) {
  const started: number[] = [];
  const failed: number[] = [];
  return {
    started,
    failed,
    task: async () => {
      started.push(clock.now());
      try {
        return await task();
      } catch (error) {
        failed.push(clock.now());
        throw error;
      }
    },
  };
}

/**
 * The writer's decisions, on a VirtualClock (it moves only when the writer
 * waits): every time asserted is the clock's, exactly, whatever the machine's load.
 */
describe.each(["memory", "redis"] as const)("GitHubWriter (%s)", (mode) => {
  it("keeps one installation's writes within the window limit and the spacing, and no slower", async () => {
    const clock = new VirtualClock(1_000_000);
    const w = writer(mode, { ...SCALED, clock });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 20 }, () => w.write(1, recorder(clock, starts))));
    expectWithinLimits(starts);
    // Each as soon as the limits allow, never sooner: 8 a window 50 ms apart;
    // the 9th when the 1st leaves the window (1000 ms), and so on.
    expect(starts.map((t) => t - 1_000_000)).toEqual(fastest(20));
  });

  it("does not let one installation slow another", async () => {
    const clock = new VirtualClock();
    const w = writer(mode, { ...SCALED, clock });
    const busy: number[] = [];
    const quiet: number[] = [];
    const quietWrites: Promise<void>[] = [];
    const busyWrites = Array.from({ length: 16 }, (_, i) =>
      w.write(1, async () => {
        busy.push(clock.now());
        // The quiet installation's 8 writes (its whole window budget), asked while installation 1 is writing.
        if (i === 2) quietWrites.push(...Array.from({ length: 8 }, () => w.write(2, recorder(clock, quiet))));
      }),
    );
    await Promise.all(busyWrites);
    await Promise.all(quietWrites);
    // Each at its own fastest schedule: the quiet one starts at once (100 ms)
    // and goes 50 ms apart, also while installation 1 waits for its window (350 to 1000 ms).
    expect(busy).toEqual(fastest(16));
    expect(quiet).toEqual(fastest(8).map((t) => 100 + t));
  });

  it("runs one installation's writes one at a time, in the order asked, past failures", async () => {
    const w = writer(mode, { minSpacingMs: 5 });
    const events: string[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        w.write(7, async () => {
          events.push(`start ${i}`);
          await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
          events.push(`end ${i}`);
          if (i === 4) throw Object.assign(new Error("Validation Failed"), { status: 422 });
          return i;
        }),
      ),
    );
    expect(events).toEqual(Array.from({ length: 12 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
    expect(results.map((r) => r.status)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i === 4 ? "rejected" : "fulfilled")),
    );
    expect(results[11]).toEqual({ status: "fulfilled", value: 11 });
  });

  it("retries a 403 with retry-after: 1 a second later, not sooner", async () => {
    fake = fakeGitHub()
      .onCreateCheckRun()
      .reply("POST", "/repos/{owner}/{repo}/check-runs", () => secondaryRateLimitReply(1), { times: 1 });
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, clock });
    const a = attempts(clock, () => createCheckRun(octokit));
    const { data } = await w.write(1, a.task);
    expect(data.id).toBe(1);
    expect(a.failed).toEqual([0]);
    expect(a.started).toEqual([0, 1000]);
    expect(fake.requests({ operation: "checks/create" }).map((r) => r.status)).toEqual([403, 201]);
    fake.done();
  });

  it("waits secondaryWaitMs after a secondary rate limit without retry-after, and holds the installation's other writes", async () => {
    fake = fakeGitHub()
      .onCreateCheckRun()
      .reply("POST", "/repos/{owner}/{repo}/check-runs", () => secondaryRateLimitReply(), { times: 1 });
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, secondaryWaitMs: 400, clock });
    const a = attempts(clock, () => createCheckRun(octokit, "first"));
    const next: number[] = [];
    const other: number[] = [];
    await Promise.all([w.write(1, a.task), w.write(1, recorder(clock, next)), w.write(2, recorder(clock, other))]);
    expect(a.failed).toEqual([0]);
    expect(a.started).toEqual([0, 400]);
    // Installation 1's next write waits for the retry (and the spacing after it); installation 2's does not wait.
    expect(next).toEqual([410]);
    expect(other).toEqual([0]);
    fake.done();
  });

  it("waits for x-ratelimit-reset when the primary limit is spent", async () => {
    // The reset is a time of day: Date stands still on a whole second, so the wait is exactly 2 s.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 0, 1) });
    const reset = Date.now() / 1000 + 2;
    fake = fakeGitHub()
      .onCreateCheckRun()
      .reply(
        "POST",
        "/repos/{owner}/{repo}/check-runs",
        () =>
          errorReply(403, "API rate limit exceeded for installation ID 1.", {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(reset),
          }),
        { times: 1 },
      );
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, clock });
    const a = attempts(clock, () => createCheckRun(octokit));
    await w.write(1, a.task);
    expect(a.started).toEqual([0, 2000]);
    fake.done();
  });

  it("lets other errors (422) through at once, without retrying", async () => {
    fake = fakeGitHub().reply("POST", "/repos/{owner}/{repo}/check-runs", () => errorReply(422, "Validation Failed"));
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, secondaryWaitMs: 5000, clock });
    const a = attempts(clock, () => createCheckRun(octokit));
    await expect(w.write(1, a.task)).rejects.toMatchObject({ status: 422 });
    expect(a.started).toEqual([0]);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up after maxRetries, and at once on a wait longer than maxRetryWaitMs", async () => {
    fake = fakeGitHub()
      .reply("POST", "/repos/{owner}/{repo}/check-runs", () =>
        errorReply(429, "Too Many Requests", { "retry-after": "0" }),
      )
      .reply("PATCH", "/repos/{owner}/{repo}/check-runs/{id}", () => secondaryRateLimitReply(3600));
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, maxRetries: 2, maxRetryWaitMs: 60_000, clock });
    const a = attempts(clock, () => createCheckRun(octokit));
    await expect(w.write(1, a.task)).rejects.toMatchObject({ status: 429 });
    // retry-after: 0, so each retry waits for the spacing only.
    expect(a.started).toEqual([0, 10, 20]);
    const b = attempts(clock, () =>
      octokit.rest.checks.update({ owner: "o", repo: "r", check_run_id: 1, status: "in_progress" }),
    );
    await expect(w.write(1, b.task)).rejects.toMatchObject({ status: 403 });
    // An hour is past maxRetryWaitMs: no retry, and no wait.
    expect(b.started).toEqual([30]);
    expect(clock.now()).toBe(30);
  });

  it("fails writes still waiting when closed, finishes the running one, and refuses new ones", async () => {
    const w = writer(mode, { minSpacingMs: 300 });
    const running = Promise.withResolvers<string>();
    const started = Promise.withResolvers<void>();
    const done = w.write(1, () => {
      started.resolve();
      return running.promise;
    });
    const waiting = w.write(1, async () => "never");
    await started.promise;
    const closed = w.close();
    running.resolve("done");
    await expect(done).resolves.toBe("done");
    await expect(waiting).rejects.toBeInstanceOf(GitHubWriterClosedError);
    await closed;
    await expect(w.write(1, async () => "late")).rejects.toBeInstanceOf(GitHubWriterClosedError);
  });

  it("waits out a retry-after on the clock, holding the installation's next write, not another's", async () => {
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, clock });
    const a = attempts(clock, async () => {
      if (a.started.length === 1) throw secondaryRateLimit(30);
      return clock.now();
    });
    const retried = w.write(1, a.task);
    const next = w.write(1, async () => clock.now());
    const other = w.write(2, async () => clock.now());
    expect(await other).toBe(0);
    expect(await retried).toBe(30_000);
    expect(a.failed).toEqual([0]);
    expect(await next).toBe(30_010);
  });
});

describe("GitHubWriter shared through Redis, the writers on one test clock", () => {
  it("keeps two writers (two processes' worth) within one installation's limits together", async () => {
    const prefix = freshPrefix();
    const clock = new VirtualClock();
    const a = writer("redis", { ...SCALED, clock }, prefix);
    const b = writer("redis", { ...SCALED, clock }, prefix);
    const fromA: number[] = [];
    const fromB: number[] = [];
    await Promise.all([
      ...Array.from({ length: 10 }, () => a.write(1, recorder(clock, fromA))),
      ...Array.from({ length: 10 }, () => b.write(1, recorder(clock, fromB))),
    ]);
    expect(fromA).toHaveLength(10);
    expect(fromB).toHaveLength(10);
    const all = [...fromA, ...fromB].sort((x, y) => x - y);
    expectWithinLimits(all);
    // Together as one writer alone would go (whichever of them takes a slot):
    // alone, each would have finished its 10 by 1050 ms.
    expect(all).toEqual(fastest(20));
  });

  it("makes the other writers of the installation wait out a retry-after, and not the other installations", async () => {
    const prefix = freshPrefix();
    const clock = new VirtualClock();
    const a = writer("redis", { minSpacingMs: 10, clock }, prefix);
    const b = writer("redis", { minSpacingMs: 10, clock }, prefix);
    let fromB: Promise<number>[] = [];
    const failing = attempts(clock, async () => {
      if (failing.started.length > 1) return clock.now();
      // Another process's writes, asked while this one fails.
      fromB = [b.write(1, async () => clock.now()), b.write(2, async () => clock.now())];
      throw secondaryRateLimit(1);
    });
    const retried = await a.write(1, failing.task);
    const [sameInstallation, otherInstallation] = await Promise.all(fromB);
    expect(failing.failed).toEqual([0]);
    // b's write of installation 1 waits for the second too: the retry and it
    // start when it is over, one of them the spacing later.
    expect([retried, sameInstallation as number].sort((x, y) => x - y)).toEqual([1000, 1010]);
    expect(otherInstallation).toBe(0);
  });

  it("keeps its state under its own key prefix, with expiry", async () => {
    const prefix = freshPrefix();
    const w = writer("redis", { clock: new VirtualClock() }, prefix);
    await w.write(99, async () => undefined);
    const redis = connections[0] as Redis;
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toEqual([`${prefix}:{99}:log`]);
    // Redis expires keys in its own time: the window and a second after the last write.
    const ttl = await redis.pttl(`${prefix}:{99}:log`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(WRITER_DEFAULTS.windowMs + 1000);
  });
});

/**
 * Without a clock the shared limiter decides in Redis's TIME, which no test
 * controls: what Redis logged is asserted, with lower bounds only.
 */
describe("GitHubWriter shared through Redis on Redis's TIME (no clock given)", () => {
  /** The starts Redis logged for the installation, in its time (ms), oldest first. */
  async function logged(prefix: string, installationId: number): Promise<number[]> {
    const redis = connections[0] as Redis;
    const flat = await redis.zrange(`${prefix}:{${installationId}}:log`, 0, -1, "WITHSCORES");
    return flat.filter((_, i) => i % 2 === 1).map(Number);
  }

  async function redisTime(): Promise<number> {
    const [seconds, micros] = await (connections[0] as Redis).time();
    return Number(seconds) * 1000 + Number(micros) / 1000;
  }

  it("spaces two writers' starts of an installation by minSpacingMs of Redis's time", async () => {
    const prefix = freshPrefix();
    // The default window (80 writes in 60 s) keeps every start in the log.
    const a = writer("redis", { minSpacingMs: 20 }, prefix);
    const b = writer("redis", { minSpacingMs: 20 }, prefix);
    const before = await redisTime();
    await Promise.all([
      ...Array.from({ length: 5 }, () => a.write(1, async () => undefined)),
      ...Array.from({ length: 5 }, () => b.write(1, async () => undefined)),
    ]);
    const after = await redisTime();
    const starts = await logged(prefix, 1);
    expect(starts).toHaveLength(10);
    expect(starts[0]).toBeGreaterThanOrEqual(before);
    expect(starts[9]).toBeLessThanOrEqual(after);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i], `start ${i}`).toBeGreaterThanOrEqual((starts[i - 1] as number) + 20);
    }
  });

  it("holds every writer of the installation for a retry-after, in Redis's time", async () => {
    const prefix = freshPrefix();
    const a = writer("redis", { minSpacingMs: 10 }, prefix);
    const b = writer("redis", { minSpacingMs: 10 }, prefix);
    // Closed while its write fails, a still records the wait for the others, then gives the retry up.
    const failed = a.write(1, async () => {
      void a.close();
      throw secondaryRateLimit(1);
    });
    await expect(failed).rejects.toBeInstanceOf(GitHubWriterClosedError);
    await b.write(1, async () => undefined);
    const [first, fromB] = await logged(prefix, 1);
    expect(fromB).toBeGreaterThanOrEqual((first as number) + 1000);
  });
});

describe("rateLimitWaitMs", () => {
  const now = Date.UTC(2026, 0, 1);
  const error = (status: number, headers: Record<string, string> = {}, message = "") =>
    Object.assign(new Error(message), { status, response: { headers, data: { message } } });

  it("reads retry-after in seconds or as a date", () => {
    expect(rateLimitWaitMs(error(403, { "retry-after": "7" }), 0, 60_000, now)).toBe(7000);
    expect(rateLimitWaitMs(error(429, { "retry-after": new Date(now + 2500).toUTCString() }), 0, 60_000, now)).toBe(
      2000,
    );
  });

  it("waits for the reset when the primary limit is spent", () => {
    const headers = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 30) };
    expect(rateLimitWaitMs(error(403, headers), 0, 60_000, now)).toBe(30_000);
  });

  it("waits secondaryWaitMs, doubling, on a secondary limit or a bare 429", () => {
    const secondary = error(403, {}, "You have exceeded a secondary rate limit. Please wait.");
    expect(rateLimitWaitMs(secondary, 0, 60_000, now)).toBe(60_000);
    expect(rateLimitWaitMs(secondary, 2, 60_000, now)).toBe(240_000);
    expect(rateLimitWaitMs(error(429), 0, 1000, now)).toBe(1000);
  });

  it("is undefined for other errors", () => {
    expect(rateLimitWaitMs(error(403, {}, "Resource not accessible by integration"), 0, 60_000, now)).toBeUndefined();
    expect(rateLimitWaitMs(error(422, { "retry-after": "1" }), 0, 60_000, now)).toBeUndefined();
    expect(rateLimitWaitMs(error(500), 0, 60_000, now)).toBeUndefined();
    expect(rateLimitWaitMs(new Error("socket hang up"), 0, 60_000, now)).toBeUndefined();
    expect(rateLimitWaitMs("nope", 0, 60_000, now)).toBeUndefined();
  });
});

describe("createGitHubWriter", () => {
  it("refuses nonsense limits", () => {
    expect(() => createGitHubWriter({ writesPerMinute: 0 })).toThrow(/writesPerMinute must be at least 1/);
    expect(() => createGitHubWriter({ minSpacingMs: -1 })).toThrow(/minSpacingMs must be 0 or more/);
  });
});
