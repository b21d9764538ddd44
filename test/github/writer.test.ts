import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createGitHubWriter,
  type GitHubWriter,
  GitHubWriterClosedError,
  type GitHubWriterOptions,
  rateLimitWaitMs,
} from "../../src/github/writer.ts";
import { VirtualClock } from "../support/clock.ts";
import { errorReply, type FakeGitHub, fakeGitHub, secondaryRateLimitReply } from "../support/github.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Milliseconds a start may come before its bound: timer rounding within a process. */
const SLACK = 2;
/** Between writers that share only Redis: each starts a few ms after its slot, not always by the same amount. */
const SHARED_SLACK = 5;

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

/** A writer in `mode`; writers made with the same `prefix` share their limits through Redis. */
function writer(mode: Mode, options: GitHubWriterOptions = {}, prefix = freshPrefix()): GitHubWriter {
  const w = createGitHubWriter({ ...options, ...(mode === "redis" ? { redis: connect(), keyPrefix: prefix } : {}) });
  writers.push(w);
  return w;
}

/** A task that records when it starts (performance.now()) and resolves at once. */
function recorder(starts: number[], value?: unknown) {
  return async () => {
    starts.push(performance.now());
    return value;
  };
}

const SCALED = { writesPerMinute: 8, windowMs: 1000, minSpacingMs: 50 };

/** Every gap ≥ minSpacingMs and every run of perWindow + 1 starts spans ≥ windowMs, within `slack`. */
function expectWithinLimits(starts: readonly number[], limits: typeof SCALED, slack: number): void {
  const sorted = [...starts].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - (sorted[i] as number));
  expect(Math.min(...gaps), `gaps ${gaps.map((g) => g.toFixed(1)).join(" ")}`).toBeGreaterThanOrEqual(
    limits.minSpacingMs - slack,
  );
  for (let i = 0; i + limits.writesPerMinute < sorted.length; i++) {
    const span = (sorted[i + limits.writesPerMinute] as number) - (sorted[i] as number);
    expect(span, `writes ${i}..${i + limits.writesPerMinute} in ${span.toFixed(1)} ms`).toBeGreaterThanOrEqual(
      limits.windowMs - slack,
    );
  }
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

/** Wraps a task to record each attempt's start and each failure's time (performance.now()). */
function attempts<T>(task: () => Promise<T>) {
  const started: number[] = [];
  const failed: number[] = [];
  return {
    started,
    failed,
    task: async () => {
      started.push(performance.now());
      try {
        return await task();
      } catch (error) {
        failed.push(performance.now());
        throw error;
      }
    },
  };
}

describe.each(["memory", "redis"] as const)("GitHubWriter (%s)", (mode) => {
  it("keeps one installation's writes within the window limit and the spacing, and no slower", async () => {
    const w = writer(mode, SCALED);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 20 }, () => w.write(1, recorder(starts))));
    expect(starts).toHaveLength(20);
    expectWithinLimits(starts, SCALED, SLACK);
    // The fastest schedule the limits allow: 8 writes 50 ms apart a window, the
    // 20th at 2 windows + 3 gaps. The writer keeps close to it.
    const first = starts[0] as number;
    const last = starts[19] as number;
    expect(last - first).toBeGreaterThanOrEqual(2 * SCALED.windowMs + 3 * SCALED.minSpacingMs - SLACK);
    expect(last - first).toBeLessThan(2 * SCALED.windowMs + 3 * SCALED.minSpacingMs + 250);
  });

  it("does not let one installation slow another", async () => {
    const w = writer(mode, SCALED);
    const busy: number[] = [];
    const quiet: number[] = [];
    await Promise.all([
      ...Array.from({ length: 16 }, () => w.write(1, recorder(busy))),
      ...Array.from({ length: 8 }, () => w.write(2, recorder(quiet))),
    ]);
    expectWithinLimits(busy, SCALED, SLACK);
    expectWithinLimits(quiet, SCALED, SLACK);
    // Both start at once, and the quiet one's 8 writes (its whole window budget)
    // go 50 ms apart although installation 1 is writing too.
    expect(Math.abs((quiet[0] as number) - (busy[0] as number))).toBeLessThan(SCALED.minSpacingMs);
    const gaps = quiet.slice(1).map((t, i) => t - (quiet[i] as number));
    expect(Math.max(...gaps)).toBeLessThan(SCALED.minSpacingMs + 40);
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

  it("retries a 403 with retry-after: 1 no sooner than a second later", async () => {
    fake = fakeGitHub()
      .onCreateCheckRun()
      .reply("POST", "/repos/{owner}/{repo}/check-runs", () => secondaryRateLimitReply(1), { times: 1 });
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const w = writer(mode, { minSpacingMs: 10 });
    const a = attempts(() => createCheckRun(octokit));
    const { data } = await w.write(1, a.task);
    expect(data.id).toBe(1);
    expect(a.started).toHaveLength(2);
    expect((a.started[1] as number) - (a.failed[0] as number)).toBeGreaterThanOrEqual(1000 - SLACK);
    expect(fake.requests({ operation: "checks/create" }).map((r) => r.status)).toEqual([403, 201]);
    fake.done();
  });

  it("waits secondaryWaitMs after a secondary rate limit without retry-after, and holds the installation's other writes", async () => {
    fake = fakeGitHub()
      .onCreateCheckRun()
      .reply("POST", "/repos/{owner}/{repo}/check-runs", () => secondaryRateLimitReply(), { times: 1 });
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const w = writer(mode, { minSpacingMs: 10, secondaryWaitMs: 400 });
    const a = attempts(() => createCheckRun(octokit, "first"));
    const next: number[] = [];
    const other: number[] = [];
    const t0 = performance.now();
    await Promise.all([w.write(1, a.task), w.write(1, recorder(next)), w.write(2, recorder(other))]);
    expect(a.started).toHaveLength(2);
    expect((a.started[1] as number) - (a.failed[0] as number)).toBeGreaterThanOrEqual(400 - SLACK);
    // Installation 1's next write waits for the retry; installation 2's does not.
    expect(next[0]).toBeGreaterThan(a.started[1] as number);
    expect((other[0] as number) - t0).toBeLessThan(200);
    fake.done();
  });

  it("waits for x-ratelimit-reset when the primary limit is spent", async () => {
    const reset = Math.ceil(Date.now() / 1000) + 1;
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
    const w = writer(mode, { minSpacingMs: 10 });
    const starts: number[] = [];
    await w.write(1, () => {
      starts.push(Date.now());
      return createCheckRun(octokit);
    });
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBeGreaterThanOrEqual(reset * 1000 - SLACK);
    fake.done();
  });

  it("lets other errors (422) through at once, without retrying", async () => {
    fake = fakeGitHub().reply("POST", "/repos/{owner}/{repo}/check-runs", () => errorReply(422, "Validation Failed"));
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const w = writer(mode, { minSpacingMs: 10, secondaryWaitMs: 5000 });
    const a = attempts(() => createCheckRun(octokit));
    const t0 = performance.now();
    await expect(w.write(1, a.task)).rejects.toMatchObject({ status: 422 });
    expect(a.started).toHaveLength(1);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("gives up after maxRetries, and at once on a wait longer than maxRetryWaitMs", async () => {
    fake = fakeGitHub()
      .reply("POST", "/repos/{owner}/{repo}/check-runs", () =>
        errorReply(429, "Too Many Requests", { "retry-after": "0" }),
      )
      .reply("PATCH", "/repos/{owner}/{repo}/check-runs/{id}", () => secondaryRateLimitReply(3600));
    const octokit = new TestOctokit({ auth: { token: "t" }, log: silent });
    const w = writer(mode, { minSpacingMs: 10, maxRetries: 2, maxRetryWaitMs: 60_000 });
    const a = attempts(() => createCheckRun(octokit));
    await expect(w.write(1, a.task)).rejects.toMatchObject({ status: 429 });
    expect(a.started).toHaveLength(3);
    const b = attempts(() =>
      octokit.rest.checks.update({ owner: "o", repo: "r", check_run_id: 1, status: "in_progress" }),
    );
    await expect(w.write(1, b.task)).rejects.toMatchObject({ status: 403 });
    expect(b.started).toHaveLength(1);
  });

  it("fails writes still waiting when closed, finishes the running one, and refuses new ones", async () => {
    const w = writer(mode, { minSpacingMs: 300 });
    let release: () => void = () => {};
    const running = w.write(1, () => new Promise<string>((resolve) => (release = () => resolve("done"))));
    const waiting = w.write(1, async () => "never");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = w.close();
    release();
    await expect(running).resolves.toBe("done");
    await expect(waiting).rejects.toBeInstanceOf(GitHubWriterClosedError);
    await closed;
    await expect(w.write(1, async () => "late")).rejects.toBeInstanceOf(GitHubWriterClosedError);
  });
});

describe.each(["memory", "redis"] as const)("GitHubWriter on a test's clock (%s): its decisions exactly", (mode) => {
  /** A task that records the clock's time when it starts. */
  const at = (clock: VirtualClock, starts: number[]) => async () => {
    starts.push(clock.now());
  };

  it("starts each write as soon as the window and the spacing allow, never sooner", async () => {
    const clock = new VirtualClock(1_000_000);
    const w = writer(mode, { ...SCALED, clock });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 20 }, () => w.write(1, at(clock, starts))));
    // 8 a window 50 ms apart; the 9th when the 1st leaves the window (1000 ms), and so on.
    const fastest = Array.from({ length: 20 }, (_, i) => Math.floor(i / 8) * 1000 + (i % 8) * 50);
    expect(starts.map((t) => t - 1_000_000)).toEqual(fastest);
    expectWithinLimits(starts, SCALED, 0);
  });

  it("waits out a retry-after on the clock, holding the installation's next write, not another's", async () => {
    const clock = new VirtualClock();
    const w = writer(mode, { minSpacingMs: 10, clock });
    let tries = 0;
    const failedAt: number[] = [];
    const retried = w.write(1, async () => {
      if (tries++ > 0) return clock.now();
      failedAt.push(clock.now());
      throw Object.assign(new Error("You have exceeded a secondary rate limit"), {
        status: 403,
        response: { headers: { "retry-after": "30" } },
      });
    });
    const next = w.write(1, async () => clock.now());
    const other = w.write(2, async () => clock.now());
    expect(await other).toBe(0);
    expect(await retried).toBe(30_000);
    expect(failedAt).toEqual([0]);
    expect(await next).toBe(30_010);
  });
});

describe("GitHubWriter shared through Redis", () => {
  it("keeps two writers (two processes' worth) within one installation's limits together", async () => {
    const prefix = freshPrefix();
    const a = writer("redis", SCALED, prefix);
    const b = writer("redis", SCALED, prefix);
    const fromA: number[] = [];
    const fromB: number[] = [];
    await Promise.all([
      ...Array.from({ length: 10 }, () => a.write(1, recorder(fromA))),
      ...Array.from({ length: 10 }, () => b.write(1, recorder(fromB))),
    ]);
    expect(fromA).toHaveLength(10);
    expect(fromB).toHaveLength(10);
    expectWithinLimits([...fromA, ...fromB], SCALED, SHARED_SLACK);
    // Alone, each writer would have finished its 10 within 1.1 s.
    const all = [...fromA, ...fromB].sort((x, y) => x - y);
    expect((all[19] as number) - (all[0] as number)).toBeGreaterThanOrEqual(
      2 * SCALED.windowMs + 3 * SCALED.minSpacingMs - SHARED_SLACK,
    );
  });

  it("makes the other writers of the installation wait out a retry-after, and not the other installations", async () => {
    const prefix = freshPrefix();
    const a = writer("redis", { minSpacingMs: 10 }, prefix);
    const b = writer("redis", { minSpacingMs: 10 }, prefix);
    const redis = connections[0] as Redis;
    let failedAt = 0;
    let tries = 0;
    const retried = a.write(1, async () => {
      if (tries++ > 0) return performance.now();
      failedAt = performance.now();
      throw Object.assign(new Error("You have exceeded a secondary rate limit"), {
        status: 403,
        response: { headers: { "retry-after": "1" } },
      });
    });
    // Another process's writes, asked for once the wait is recorded.
    while ((await redis.exists(`${prefix}:{1}:block`)) === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    const fromB = [b.write(1, async () => performance.now()), b.write(2, async () => performance.now())];
    expect((await retried) - failedAt).toBeGreaterThanOrEqual(1000 - SLACK);
    const [sameInstallation, otherInstallation] = await Promise.all(fromB);
    expect((sameInstallation as number) - failedAt).toBeGreaterThanOrEqual(1000 - SHARED_SLACK);
    expect((otherInstallation as number) - failedAt).toBeLessThan(500);
  });

  it("keeps its state under its own key prefix, with expiry", async () => {
    const prefix = freshPrefix();
    const w = writer("redis", SCALED, prefix);
    await w.write(99, async () => undefined);
    const redis = connections[0] as Redis;
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toEqual([`${prefix}:{99}:log`]);
    const ttl = await redis.pttl(`${prefix}:{99}:log`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(SCALED.windowMs + 1000 + 10);
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
