/**
 * GET /api/v1/metrics against a real server and database: attempts of known
 * waits, durations, conclusions and test counts, seeded through the store,
 * give exact averages, p95s (percentile_cont's interpolation) and rates,
 * overall, per platform and per compiler, within the window asked.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addAttempt } from "../../src/db/store.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { runAttempt, type SeededCell, seedBuild } from "../support/seed-builds.ts";

interface Metrics {
  attempts: number;
  conclusions: { success: number; neutral: number; failure: number; timed_out: number };
  success_rate: number | null;
  build_time: { count: number; avg_ms: number | null; p95_ms: number | null };
  queue_wait: { count: number; avg_ms: number | null; p95_ms: number | null };
  tests: { passed: number; failed: number; pass_rate: number | null };
}
interface Answer {
  since: string;
  until: string;
  overall: Metrics;
  platforms: (Metrics & { platform: string })[];
  compilers: (Metrics & { compiler: string })[];
  series?: (Metrics & { since: string; until: string })[];
}

const DAY = 24 * 3600_000;
const MIN = 60_000;
let h: ApiHarness;
let serverNow = 0;
let made = 0;

/** percentile_cont(0.95) of sorted values, as PostgreSQL interpolates it. */
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = 0.95 * (sorted.length - 1);
  const low = Math.floor(at);
  return (sorted[low] ?? 0) + ((sorted[low + 1] ?? sorted[low] ?? 0) - (sorted[low] ?? 0)) * (at - low);
}
const avg = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function expectStats(got: Metrics["build_time"] | undefined, values: number[]) {
  expect(got?.count).toBe(values.length);
  expect(got?.avg_ms).toBeCloseTo(avg(values), 6);
  expect(got?.p95_ms).toBeCloseTo(p95(values), 6);
}

function tests(passed: number, failed: number) {
  return { errors: 0, warnings: 0, tests: { passed, failed, skipped: 0 } };
}

beforeAll(async () => {
  h = await startApiHarness({ now: () => new Date(serverNow) });
  const db = h.database.db;
  const lib = await seedBuild(db, "octo/lib", 1, "version: 1\nmatrix:\n  compiler: [gcc@12]\n");
  const app = await seedBuild(
    db,
    "other/app",
    2,
    "version: 1\nmatrix:\n  platform: [macos]\n  compiler: [gcc@12, apple-clang@15]\n",
  );
  const linux = lib.cells.get("linux-gcc-12-cxx17-release") as SeededCell;
  // The linux cell's attempts: its first, then re-runs of it.
  const again = async () => {
    const next = await addAttempt(db, linux.cellId);
    return { attemptId: next.id, createdAt: next.created_at };
  };
  await runAttempt(db, linux, { waitMs: 1000, buildMs: 1 * MIN, conclusion: "success", counts: tests(8, 0) });
  await runAttempt(db, await again(), { waitMs: 2000, buildMs: 2 * MIN, conclusion: "success", counts: tests(7, 1) });
  await runAttempt(db, await again(), {
    waitMs: 3000,
    buildMs: 3 * MIN,
    conclusion: "failure",
    counts: { errors: 2, warnings: 0, tests: null },
  });
  await runAttempt(db, await again(), { waitMs: 4000, buildMs: 4 * MIN, conclusion: "timed_out" });
  // Not counted: a cancelled attempt built nothing to judge.
  await runAttempt(db, await again(), { waitMs: 50_000, buildMs: 50 * MIN, conclusion: "cancelled" });
  // Ended 30 days later: outside the default window.
  const late = await again();
  await runAttempt(db, late, { waitMs: 9000, buildMs: 30 * DAY, conclusion: "success", counts: tests(1, 1) });
  const macGcc = app.cells.get("macos-gcc-12-cxx17-release") as SeededCell;
  const macClang = app.cells.get("macos-apple-clang-15-cxx17-release") as SeededCell;
  await runAttempt(db, macGcc, { waitMs: 500, buildMs: 0.5 * MIN, conclusion: "success" });
  await runAttempt(db, macClang, { waitMs: 10_000, buildMs: 5 * MIN, conclusion: "neutral", counts: tests(5, 0) });
  made = linux.createdAt.getTime();
  serverNow = made + DAY;
});

afterAll(async () => {
  await h?.close();
});

async function metrics(query = "", token?: string): Promise<Answer> {
  const answer = await h.api("GET", `/api/v1/metrics${query}`, { token: token ?? (await h.token(["builds:read"])) });
  expect(answer.status, answer.text).toBe(200);
  return answer.body as Answer;
}

describe("GET /api/v1/metrics", () => {
  test("the last 7 days by default: averages, p95s and rates, overall and per platform and compiler", async () => {
    const body = await metrics();
    expect(body.until).toBe(new Date(serverNow).toISOString());
    expect(body.since).toBe(new Date(serverNow - 7 * DAY).toISOString());

    const { overall } = body;
    expect(overall.attempts).toBe(6);
    expect(overall.conclusions).toEqual({ success: 3, neutral: 1, failure: 1, timed_out: 1 });
    expect(overall.success_rate).toBeCloseTo(4 / 6, 12);
    expectStats(
      overall.build_time,
      [0.5, 1, 2, 3, 4, 5].map((m) => m * MIN),
    );
    expectStats(overall.queue_wait, [500, 1000, 2000, 3000, 4000, 10_000]);
    // p95 interpolates between the 5th and 6th of six: 4 min + 0.75 of the last minute.
    expect(overall.build_time.p95_ms).toBeCloseTo(4.75 * MIN, 6);
    expect(overall.tests).toEqual({ passed: 20, failed: 1, pass_rate: 20 / 21 });

    const linux = body.platforms.find((p) => p.platform === "linux");
    const macos = body.platforms.find((p) => p.platform === "macos");
    expect(body.platforms.map((p) => p.platform)).toEqual(["linux", "macos"]);
    expect(linux?.conclusions).toEqual({ success: 2, neutral: 0, failure: 1, timed_out: 1 });
    expect(linux?.success_rate).toBe(0.5);
    expectStats(
      linux?.build_time,
      [1, 2, 3, 4].map((m) => m * MIN),
    );
    expectStats(linux?.queue_wait, [1000, 2000, 3000, 4000]);
    expect(linux?.tests).toEqual({ passed: 15, failed: 1, pass_rate: 15 / 16 });
    expect(macos?.success_rate).toBe(1);
    expectStats(macos?.build_time, [0.5 * MIN, 5 * MIN]);
    expectStats(macos?.queue_wait, [500, 10_000]);
    expect(macos?.tests).toEqual({ passed: 5, failed: 0, pass_rate: 1 });

    expect(body.compilers.map((c) => c.compiler)).toEqual(["apple-clang-15", "gcc-12"]);
    const gcc = body.compilers.find((c) => c.compiler === "gcc-12");
    expect(gcc?.attempts).toBe(5);
    expect(gcc?.success_rate).toBe(0.6);
    expectStats(
      gcc?.build_time,
      [0.5, 1, 2, 3, 4].map((m) => m * MIN),
    );
    expectStats(gcc?.queue_wait, [500, 1000, 2000, 3000, 4000]);
    const clang = body.compilers.find((c) => c.compiler === "apple-clang-15");
    expect(clang).toMatchObject({ attempts: 1, conclusions: { neutral: 1 }, success_rate: 1 });
  });

  test("since and until bound the window: only what ended in it", async () => {
    const since = new Date(made + 29 * DAY).toISOString();
    const until = new Date(made + 31 * DAY).toISOString();
    const body = await metrics(`?since=${since}&until=${until}`);
    expect(body.overall.attempts).toBe(1);
    expect(body.overall.tests).toEqual({ passed: 1, failed: 1, pass_rate: 0.5 });
    expectStats(body.overall.build_time, [30 * DAY]);
    expect(body.platforms.map((p) => p.platform)).toEqual(["linux"]);

    // Only `since`: until the server's now, which is before that attempt ended.
    const before = await metrics(`?since=${new Date(made - DAY).toISOString()}`);
    expect(before.overall.attempts).toBe(6);
    // A time with an offset is the same instant (the + written %2B in a query).
    const offset = await metrics(
      `?since=${new Date(made + 2 * DAY).toISOString()}&until=${until.replace("Z", "%2B00:00")}`,
    );
    expect(offset.overall.attempts).toBe(1);
    const nothing = await metrics(
      `?since=${new Date(made + 2 * DAY).toISOString()}&until=${new Date(made + 3 * DAY).toISOString()}`,
    );
    expect(nothing.overall).toMatchObject({ attempts: 0, success_rate: null, build_time: { count: 0, avg_ms: null } });
    expect(nothing.platforms).toEqual([]);
  });

  test("buckets=N: the window's N equal parts, oldest first, each with its own figures (a chart over time)", async () => {
    const since = new Date(made - DAY);
    const until = new Date(made + 31 * DAY);
    const body = await metrics(`?since=${since.toISOString()}&until=${until.toISOString()}&buckets=4`);
    expect(body.series?.map((part) => [part.since, part.until])).toEqual([
      [since.toISOString(), new Date(made + 7 * DAY).toISOString()],
      [new Date(made + 7 * DAY).toISOString(), new Date(made + 15 * DAY).toISOString()],
      [new Date(made + 15 * DAY).toISOString(), new Date(made + 23 * DAY).toISOString()],
      [new Date(made + 23 * DAY).toISOString(), until.toISOString()],
    ]);
    // The six attempts of the first days, none in the middle, the late one in the last part.
    expect(body.series?.map((part) => part.attempts)).toEqual([6, 0, 0, 1]);
    expect(body.series?.[3]?.tests).toEqual({ passed: 1, failed: 1, pass_rate: 0.5 });
    expect(body.overall.attempts).toBe(7);
    expect((await metrics()).series).toBeUndefined();
    const tooMany = await h.api("GET", "/api/v1/metrics?buckets=61", { token: await h.token(["builds:read"]) });
    expect(tooMany.status).toBe(400);
  });

  test("a window that ends before it starts, or is not a time, is refused", async () => {
    const token = await h.token(["builds:read"]);
    const backwards = await h.api("GET", "/api/v1/metrics?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", {
      token,
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body).toMatchObject({ error: { code: "invalid_request", message: "since must be before until" } });
    const garbage = await h.api("GET", "/api/v1/metrics?since=yesterday", { token });
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({
      error: { code: "invalid_request", details: { issues: [{ in: "querystring" }] } },
    });
  });

  test("a token limited to some repositories counts only their attempts; 401 and 403 as everywhere", async () => {
    const all = await metrics();
    const limited = await metrics("", await h.token(["builds:read"], { repositories: ["other/app"] }));
    const { platform: _platform, ...macos } = all.platforms.find(
      (p) => p.platform === "macos",
    ) as Answer["platforms"][number];
    expect(limited.overall).toEqual(macos);
    expect(limited.platforms.map((p) => p.platform)).toEqual(["macos"]);
    expect((await h.api("GET", "/api/v1/metrics")).status).toBe(401);
    expect((await h.api("GET", "/api/v1/metrics", { token: await h.token(["configurations:write"]) })).status).toBe(
      403,
    );
  });
});
