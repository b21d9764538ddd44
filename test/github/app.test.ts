/**
 * The GitHub App end to end: GitHub's own example payloads, signed and posted to
 * the real HTTP endpoint; real PostgreSQL and Redis; GitHub mocked with nock,
 * every request body validated against GitHub's OpenAPI description.
 */
import { randomBytes } from "node:crypto";
import { Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { WRITER_DEFAULTS } from "../../src/github/writer.ts";
import { attemptJobId, type CellEvent, cellQueueName } from "../../src/queue/queues.ts";
import type { Annotation } from "../../src/report/annotations.ts";
import type { RunningServer } from "../../src/server.ts";
import {
  FOUR_CELLS_CONFIG,
  INSTALLATION,
  OWNER,
  pullRequestPayload,
  pushPayload,
  REDIS_URL,
  REPO,
  repository,
  SECRET,
  sha,
  startTestServer,
  until,
} from "../support/app-harness.ts";
import { VirtualClock } from "../support/clock.ts";
import { errorReply, examplePayload, type FakeGitHub, fakeGitHub, PASS, sendWebhook } from "../support/github.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

const CONFIG = FOUR_CELLS_CONFIG;
// gcc@12 × {17, 23}, clang@16 × {17, 23}, and gcc@9 × 23, which the catalog skips.
const RUNNABLE = 4;
// Every check run of one push: the runnable cells, the skipped one and the matrix check. A test that
// looks a cell's run up waits for all of them: the reporter creates them in no fixed order.
const ALL_RUNS = RUNNABLE + 2;

let database: TestDatabase;
let server: RunningServer;
let github: FakeGitHub;
let prefix: string;
let redis: Redis;

function runsFor(head: string) {
  return [...github.checkRuns().values()].filter((r) => r.head_sha === head);
}

async function settled(head: string, count: number, ms?: number) {
  return until(
    `${count} check runs for ${head.slice(-4)}`,
    () => {
      const runs = runsFor(head);
      return runs.length >= count ? runs : undefined;
    },
    ms,
  );
}

async function jobsWaiting() {
  return server.queues.cellQueue("linux").getJobs(["waiting", "delayed", "prioritized"]);
}

async function send(event: string, payload: unknown, deliveryId?: string) {
  const status = await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, event as "push", payload as never, {
    ...(deliveryId ? { deliveryId } : {}),
  });
  expect(status).toBeLessThan(300);
}

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(() => {
  redis?.disconnect();
});

beforeEach(async () => {
  // Each test its own database: a build of one test must not supersede another's.
  database = await freshDatabase(false);
  prefix = `heimdall-test-${randomBytes(4).toString("hex")}`;
  github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  server = await startTestServer({ databaseUrl: database.url, prefix, publicUrl: "https://heimdall.example.com" });
});

afterEach(async () => {
  await server?.close();
  await database?.drop();
  github.assertAllValid();
  github.cleanup();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("push", () => {
  test("each cell becomes a check run (queued, or skipped with its reason) and a job; a matrix check sums up", async () => {
    const head = sha(1);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    const runs = await settled(head, ALL_RUNS);
    await until("the matrix check", () => runsFor(head).some((r) => r.name === "heimdall-build / matrix"));

    const matrix = runsFor(head).find((r) => r.name === "heimdall-build / matrix");
    expect(matrix?.output.title).toBe("5 cells: 0 passed, 0 failed, 4 to finish, 1 skipped");
    expect(matrix?.output.summary).toContain("| linux / gcc-12 | ⏳ | ⏳ |");
    expect(matrix?.output.summary).toContain("| linux / gcc-9 |   | ⏭️ |");
    const cells = runsFor(head).filter((r) => r.name !== "heimdall-build / matrix");
    expect(cells.map((r) => r.name).sort()).toEqual(
      [
        "linux / clang-16 / c++17 / Release",
        "linux / clang-16 / c++23 / Release",
        "linux / gcc-12 / c++17 / Release",
        "linux / gcc-12 / c++23 / Release",
        "linux / gcc-9 / c++23 / Release",
      ].sort(),
    );
    const skipped = cells.find((r) => r.name === "linux / gcc-9 / c++23 / Release");
    expect(skipped).toMatchObject({ status: "completed", conclusion: "skipped" });
    expect(skipped?.output.summary).toContain("gcc 9 does not support C++23");
    const queued = cells.filter((r) => r.status === "queued");
    expect(queued).toHaveLength(RUNNABLE);
    for (const run of cells) {
      expect(run.external_id).toMatch(/^\d+$/);
      expect(run.details_url).toMatch(/^https:\/\/heimdall\.example\.com\/builds\/\d+$/);
    }

    const jobs = await jobsWaiting();
    expect(jobs.map((j) => j.id).sort()).toEqual(queued.map((r) => attemptJobId(r.external_id ?? "")).sort());
    const job = jobs.find((j) => j.data.cell.name === "linux / clang-16 / c++23 / Release");
    expect(job?.data).toMatchObject({ headSha: head, repository: `${OWNER}/${REPO}`, fork: false });
    expect(job?.data.cell.stdFlag).toBe("-std=c++2b");
    expect(JSON.stringify(job?.data)).not.toMatch(/token|ghs_/i);
    expect(runs.length).toBeGreaterThanOrEqual(RUNNABLE + 2);
  });

  test("without .heimdall-build.yml nothing is created", async () => {
    const head = sha(2);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, 404);
    await send("push", pushPayload(head));
    await until("the contents request", () => github.requests({ operation: "repos/get-content" }).length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(github.requests({ method: "POST", path: /check-runs/ })).toHaveLength(0);
    expect(await jobsWaiting()).toHaveLength(0);
  });

  test("a bad config makes one failing configuration check with its errors on the file's lines", async () => {
    const head = sha(3);
    github.onGetContent(
      OWNER,
      REPO,
      ".heimdall-build.yml",
      head,
      "version: 1\nmatrix:\n  compiler: [gcc@6]\n  cxx_standrd: [17]\n",
    );
    await send("push", pushPayload(head));
    const [run] = await settled(head, 1);
    expect(run).toMatchObject({ name: "heimdall-build / configuration", status: "completed", conclusion: "failure" });
    const lines = run?.annotations.map((a) => `${a.path}:${a.start_line}:${a.start_column} ${a.annotation_level}`);
    expect(lines?.sort()).toEqual([".heimdall-build.yml:3:14 failure", ".heimdall-build.yml:4:3 failure"]);
    expect(run?.annotations.map((a) => a.message).join("\n")).toMatch(
      /gcc versions known: 7-16[\s\S]*did you mean 'cxx_standard'/,
    );
    // The same commit again (a redelivery with a new id): no second check.
    await send("push", pushPayload(head));
    await new Promise((r) => setTimeout(r, 300));
    expect(runsFor(head)).toHaveLength(1);
    expect(await jobsWaiting()).toHaveLength(0);
  });

  test("a config with 100 unknown keys of 900 characters still gets its configuration check, within GitHub's limits", async () => {
    const head = sha(24);
    const keys = Array.from({ length: 100 }, (_, i) => `unknown_key_${i}_${"x".repeat(900)}: 1`).join("\n");
    github.onGetContent(
      OWNER,
      REPO,
      ".heimdall-build.yml",
      head,
      `version: 1\nmatrix:\n  compiler: [gcc@12]\n${keys}\n`,
    );
    await send("push", pushPayload(head));
    const [run] = await settled(head, 1);
    // The fake answers 422 to a body GitHub would refuse (schema, 65,535 bytes of summary, 255 of a title): it took this one.
    const [create] = github.requests({ operation: "checks/create" });
    expect(create?.status).toBe(201);
    expect(run).toMatchObject({ name: "heimdall-build / configuration", conclusion: "failure" });
    expect(run?.output.title).toBe("100 errors in .heimdall-build.yml");
    expect(Buffer.byteLength(run?.output.summary ?? "")).toBeLessThanOrEqual(65_535);
    expect(run?.output.summary).toContain("unknown_key_99_");
    expect(run?.annotations).toHaveLength(50);
    for (const a of run?.annotations ?? []) expect(String(a.title).length).toBeLessThanOrEqual(255);
  });

  test("a badly signed webhook is refused and queues nothing", async () => {
    const head = sha(4);
    const status = await sendWebhook(
      `${server.url}/api/github/webhooks`,
      "wrong-secret",
      "push",
      pushPayload(head) as never,
    );
    expect(status).toBeGreaterThanOrEqual(400);
    expect(await database.db.selectFrom("deliveries").selectAll().execute()).not.toContainEqual(
      expect.objectContaining({ event: "push" }),
    );
    expect(github.requests()).toHaveLength(0);
  });

  test("the same delivery twice, and a pull request for the pushed commit, make one set of check runs", async () => {
    const head = sha(5);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head, "feature"), "delivery-5");
    await send("push", pushPayload(head, "feature"), "delivery-5");
    await send("pull_request", pullRequestPayload("opened", head, false));
    await settled(head, ALL_RUNS);
    await new Promise((r) => setTimeout(r, 500));
    const names = runsFor(head).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(await jobsWaiting()).toHaveLength(RUNNABLE);
  });

  test("a newer commit on the branch cancels the older commit's queued cells, naming the newer commit", async () => {
    const older = sha(6);
    const newer = sha(7);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", older, CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", newer, CONFIG);
    await send("push", pushPayload(older, "topic"));
    await settled(older, ALL_RUNS);
    await send("push", pushPayload(newer, "topic"));
    await until("the older cells cancelled", () =>
      runsFor(older).filter((r) => r.conclusion === "cancelled").length === RUNNABLE ? true : undefined,
    );
    for (const run of runsFor(older).filter((r) => r.conclusion === "cancelled")) {
      expect(run.output.summary).toContain(`${newer.slice(0, 7)} superseded this commit on branch topic`);
    }
    const jobs = await jobsWaiting();
    expect(jobs.map((j) => j.data.headSha)).toEqual(Array(RUNNABLE).fill(newer));
  });
});

describe("cancel_superseded: false", () => {
  test("a newer commit on the branch leaves the older commit's cells queued, their jobs kept", async () => {
    const older = sha(27);
    const newer = sha(28);
    const config = `${CONFIG}cancel_superseded: false\n`;
    for (const head of [older, newer]) github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, config);
    await send("push", pushPayload(older, "kept"));
    await settled(older, ALL_RUNS);
    // Superseding is done before the delivery is answered: by now the older cells would be cancelled and dequeued.
    await send("push", pushPayload(newer, "kept"));
    await settled(newer, ALL_RUNS);
    const heads = (await jobsWaiting()).map((j) => j.data.headSha).sort();
    expect(heads).toEqual([...Array(RUNNABLE).fill(older), ...Array(RUNNABLE).fill(newer)].sort());
    const attempts = await database.db
      .selectFrom("attempts")
      .innerJoin("cells", "cells.id", "attempts.cell_id")
      .innerJoin("builds", "builds.id", "cells.build_id")
      .select(["builds.head_sha", "attempts.state"])
      .where("attempts.state", "!=", "completed")
      .execute();
    expect(attempts.filter((a) => a.head_sha === older).map((a) => a.state)).toEqual(Array(RUNNABLE).fill("queued"));
    expect(runsFor(older).filter((r) => r.conclusion === "cancelled")).toEqual([]);
  });
});

describe("superseding, whatever order deliveries arrive in", () => {
  test("an older push delivered after a newer one (a redelivery) is the one cancelled", async () => {
    const older = sha(24);
    const newer = sha(25);
    for (const head of [older, newer]) github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    const pushedAt = (payload: ReturnType<typeof pushPayload>, seconds: number) => ({
      ...payload,
      repository: { ...payload.repository, pushed_at: seconds },
    });
    await send("push", pushedAt(pushPayload(newer, "late"), 1_800_000_200));
    await settled(newer, ALL_RUNS);
    await send("push", pushedAt(pushPayload(older, "late"), 1_800_000_100));
    const cancelled = await until("the older commit's cells cancelled", () => {
      const runs = runsFor(older).filter((r) => r.name !== "heimdall-build / matrix" && r.conclusion !== "skipped");
      return runs.length === RUNNABLE && runs.every((r) => r.conclusion === "cancelled") ? runs : undefined;
    });
    expect(cancelled[0]?.output.summary).toContain(newer.slice(0, 7));
    const newerCells = runsFor(newer).filter((r) => r.name !== "heimdall-build / matrix" && r.conclusion !== "skipped");
    expect(newerCells.map((r) => r.status)).toEqual(Array(RUNNABLE).fill("queued"));
    expect((await jobsWaiting()).map((j) => j.data.headSha)).toEqual(Array(RUNNABLE).fill(newer));
  });
});

describe("superseding, the newer commit's setting deciding", () => {
  test("an older push delivered late is not cancelled when the newer commit's config says cancel_superseded: false", async () => {
    const older = sha(29);
    const newer = sha(30);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", older, CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", newer, `${CONFIG}cancel_superseded: false\n`);
    const pushedAt = (payload: ReturnType<typeof pushPayload>, seconds: number) => ({
      ...payload,
      repository: { ...payload.repository, pushed_at: seconds },
    });
    await send("push", pushedAt(pushPayload(newer, "decides"), 1_800_000_200));
    await settled(newer, ALL_RUNS);
    // Superseding is done before the delivery is answered: by now the older cells would be cancelled.
    await send("push", pushedAt(pushPayload(older, "decides"), 1_800_000_100));
    await settled(older, ALL_RUNS);
    expect(runsFor(older).filter((r) => r.conclusion === "cancelled")).toEqual([]);
    const heads = (await jobsWaiting()).map((j) => j.data.headSha).sort();
    expect(heads).toEqual([...Array(RUNNABLE).fill(older), ...Array(RUNNABLE).fill(newer)].sort());
  });
});

describe("superseding a running cell", () => {
  test("a running cell of the older commit is told to stop on the cancel channel and concluded cancelled", async () => {
    const older = sha(20);
    const newer = sha(21);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", older, CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", newer, CONFIG);
    await send("push", pushPayload(older, "busy"));
    await settled(older, ALL_RUNS);
    const running = runsFor(older).find((r) => r.name === "linux / gcc-12 / c++23 / Release");
    const attemptId = running?.external_id ?? "";
    await server.queues.events.add("event", { type: "started", attemptId, worker: "w9", at: new Date().toISOString() });
    await until("in_progress", () => github.checkRuns().get(running?.id ?? 0)?.status === "in_progress");

    const listener = new Redis(REDIS_URL);
    const cancelled: string[] = [];
    await listener.subscribe(`${prefix}:cancel`);
    listener.on("message", (_channel, message: string) => cancelled.push(message));
    try {
      await send("push", pushPayload(newer, "busy"));
      await until("the cancel message", () => cancelled.includes(attemptId));
      const run = await until("cancelled", () => {
        const r = github.checkRuns().get(running?.id ?? 0);
        return r?.conclusion === "cancelled" ? r : undefined;
      });
      expect(run.output.summary).toContain(newer.slice(0, 7));
      // A late "finished" from the stopped worker changes nothing.
      await server.queues.events.add("event", {
        type: "finished",
        attemptId,
        conclusion: "success",
        summary: "late",
        annotations: [],
        at: new Date().toISOString(),
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(github.checkRuns().get(running?.id ?? 0)?.conclusion).toBe("cancelled");
    } finally {
      listener.disconnect();
    }
  });

  test("a cell a worker has just taken (its start not yet known) is told to stop too", async () => {
    const older = sha(22);
    const newer = sha(23);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", older, CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", newer, CONFIG);
    await send("push", pushPayload(older, "taken"));
    await settled(older, ALL_RUNS);
    // A worker takes one job; its `started` has not reached the server.
    const taker = new BullWorker(cellQueueName("linux"), null, {
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix,
    });
    const listener = new Redis(REDIS_URL);
    try {
      const job = await taker.getNextJob("test-token");
      const attemptId = job?.data.attemptId ?? "";
      expect(attemptId).not.toBe("");
      const cancelled: string[] = [];
      await listener.subscribe(`${prefix}:cancel`);
      listener.on("message", (_channel, message: string) => cancelled.push(message));
      await send("push", pushPayload(newer, "taken"));
      await until("the cancel message for the taken cell", () => cancelled.includes(attemptId));
      // The others were still waiting: taken off the queue, no message needed.
      expect(cancelled).toEqual([attemptId]);
    } finally {
      listener.disconnect();
      await taker.close(true);
    }
  });
});

describe("reports from workers", () => {
  test("started then finished: in progress, then failure with annotations in batches of 50 and a Re-run action", async () => {
    const head = sha(8);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    await settled(head, ALL_RUNS);
    const target = runsFor(head).find((r) => r.name === "linux / gcc-12 / c++17 / Release");
    const attemptId = target?.external_id ?? "";
    const started: CellEvent = { type: "started", attemptId, worker: "w1", at: new Date().toISOString() };
    await server.queues.events.add("event", started);
    await until("in_progress", () => github.checkRuns().get(target?.id ?? 0)?.status === "in_progress");

    const annotations: Annotation[] = Array.from({ length: 60 }, (_, i) => ({
      path: "src/a.cpp",
      start_line: i + 1,
      end_line: i + 1,
      start_column: 3,
      end_column: 7,
      annotation_level: i === 0 ? "failure" : "warning",
      title: "gcc-12: -Wunused-variable",
      message: `unused variable 'x${i}'`,
      raw_details: "",
      code: "-Wunused-variable",
      tool: "gcc",
      fingerprint: `f${i}`,
    }));
    const finished: CellEvent = {
      type: "finished",
      attemptId,
      conclusion: "failure",
      summary: "1 error, 59 warnings",
      annotations,
      at: new Date().toISOString(),
    };
    await server.queues.events.add("event", finished);
    const run = await until("completed with 60 annotations", () => {
      const r = github.checkRuns().get(target?.id ?? 0);
      return r?.status === "completed" && r.annotations.length === 60 ? r : undefined;
    });
    expect(run).toMatchObject({ conclusion: "failure" });
    expect(run.output.summary).toBe("1 error, 59 warnings");
    expect(run.actions).toEqual([expect.objectContaining({ identifier: "rerun", label: "Re-run" })]);
    // create, in_progress, completed (+50), one more for the last 10
    const writes = github
      .requests({ path: new RegExp(`/check-runs(/${target?.id})?$`) })
      .filter((r) => (r.method === "POST" ? (r.body as { external_id?: string }).external_id === attemptId : true));
    expect(writes.map((w) => w.method)).toEqual(["POST", "PATCH", "PATCH", "PATCH"]);
    expect(run.annotations[0]).toMatchObject({ annotation_level: "failure", start_line: 1 });
    // An older worker's event has no counts: they stay unknown (NULL), not zero.
    const counts = await server.db
      .selectFrom("attempts")
      .select(["errors", "warnings", "tests_passed", "tests_failed", "tests_skipped"])
      .where("id", "=", attemptId)
      .executeTakeFirstOrThrow();
    expect(counts).toEqual({
      errors: null,
      warnings: null,
      tests_passed: null,
      tests_failed: null,
      tests_skipped: null,
    });
  });
});

describe("a cell built with another standard", () => {
  test("neutral, its check kept in the database, and the matrix marks it ⚠️≠ among the others", async () => {
    const head = sha(40);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head, "standards"));
    await settled(head, ALL_RUNS);
    const runs = runsFor(head).filter(
      (r) => r.name.startsWith("linux / gcc-12") || r.name.startsWith("linux / clang-16"),
    );
    const at = new Date().toISOString();
    for (const run of runs) {
      const off = run.name === "linux / gcc-12 / c++23 / Release";
      await server.queues.events.add("event", {
        type: "finished",
        attemptId: run.external_id ?? "",
        conclusion: off ? "neutral" : "success",
        title: off ? "Passed, but built as gnu++11 (31 TUs), not C++23: the project sets its own standard" : "Passed",
        summary: "...",
        annotations: [],
        standardCheck: [{ expected: "c++23", seen: off ? { "gnu++11": 31 } : { "c++23": 31 }, ok: !off }],
        standardMismatch: off,
        at,
      } satisfies CellEvent);
    }
    const off = runs.find((r) => r.name === "linux / gcc-12 / c++23 / Release");
    const done = await until("the neutral cell", () => {
      const r = github.checkRuns().get(off?.id ?? 0);
      return r?.conclusion === "neutral" ? r : undefined;
    });
    expect(done.output.title).toMatch(/^Passed, but built as gnu\+\+11/);
    const matrix = await until("the matrix check completed", () =>
      runsFor(head).find((r) => r.name === "heimdall-build / matrix" && r.status === "completed"),
    );
    expect(matrix.conclusion).toBe("neutral");
    expect(matrix.output.title).toContain("1 passed with another standard");
    expect(matrix.output.summary).toContain("| linux / gcc-12 | ✅ | ⚠️≠ |");
    const stored = await database.db
      .selectFrom("attempts")
      .select(["standard_check", "standard_mismatch", "conclusion"])
      .where("id", "=", off?.external_id ?? "")
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({
      conclusion: "neutral",
      standard_mismatch: true,
      standard_check: [{ expected: "c++23", seen: { "gnu++11": 31 }, ok: false }],
    });
  });
});

describe("a sync that fails half-way", () => {
  test("resumes at the batch GitHub refused: every annotation sent once", async () => {
    const head = sha(26);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    await settled(head, ALL_RUNS);
    const target = runsFor(head).find((r) => r.name === "linux / gcc-12 / c++17 / Release");
    const attemptId = target?.external_id ?? "";
    // The second further batch (annotations 101-120) is refused once, as by a GitHub 502.
    let batches = 0;
    github.reply(
      "PATCH",
      "/repos/{owner}/{repo}/check-runs/{check_run_id}",
      (request) => {
        const body = request.body as { status?: string; output?: { annotations?: unknown[] } };
        if (body.status !== undefined || !body.output?.annotations) return PASS;
        return ++batches === 2 ? errorReply(502, "Bad Gateway") : PASS;
      },
      { times: 1 },
    );
    const annotations: Annotation[] = Array.from({ length: 120 }, (_, i) => ({
      path: "src/a.cpp",
      start_line: i + 1,
      end_line: i + 1,
      start_column: 1,
      end_column: 2,
      annotation_level: "warning",
      title: "gcc-12: -Wshadow",
      message: `shadowed 'x${i}'`,
      raw_details: "",
      code: "-Wshadow",
      tool: "gcc",
      fingerprint: `g${i}`,
    }));
    await server.queues.reportEvent({
      type: "finished",
      attemptId,
      conclusion: "success",
      summary: "120 warnings",
      annotations,
      at: new Date().toISOString(),
    });
    const run = await until(
      "all 120 annotations",
      () => {
        const r = github.checkRuns().get(target?.id ?? 0);
        return r?.annotations.length === 120 ? r : undefined;
      },
      30_000,
    );
    expect(batches).toBeGreaterThanOrEqual(2);
    expect(new Set(run.annotations.map((a) => a.message)).size).toBe(120);
    // GitHub is written before the row records it: wait for the record, then check what it says.
    const synced = await until("the sync recorded", async () => {
      const row = await database.db
        .selectFrom("attempts")
        .select("synced")
        .where("id", "=", attemptId)
        .executeTakeFirst();
      // `…#N` while batches are still being sent: the record is final without it.
      return row?.synced?.startsWith("completed") && !row.synced.includes("#") ? row.synced : undefined;
    });
    expect(synced).toBe("completed:success");
  });
});

describe("re-runs", () => {
  test("check_run.rerequested makes a new check run with the same name and a new job", async () => {
    const head = sha(9);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    await settled(head, ALL_RUNS);
    const target = runsFor(head).find((r) => r.name === "linux / clang-16 / c++17 / Release");
    const payload = examplePayload("check_run.rerequested");
    await send("check_run", {
      ...payload,
      check_run: { ...payload.check_run, id: target?.id, external_id: target?.external_id, head_sha: head },
      repository: { ...payload.repository, ...repository() },
      installation: { id: INSTALLATION, node_id: "I_1" },
    });
    const again = await until("a second check run of the cell", () => {
      const same = runsFor(head).filter((r) => r.name === target?.name);
      return same.length === 2 ? same : undefined;
    });
    const fresh = again.find((r) => r.id !== target?.id);
    expect(fresh).toMatchObject({ status: "queued" });
    expect(fresh?.output.title).toBe("Queued (attempt 2)");
    expect((await jobsWaiting()).map((j) => j.id)).toContain(attemptJobId(fresh?.external_id ?? ""));
  });

  test("the Re-run button of a failed cell (requested_action rerun) queues a new attempt", async () => {
    const head = sha(22);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    await settled(head, ALL_RUNS);
    const target = runsFor(head).find((r) => r.name === "linux / gcc-12 / c++17 / Release");
    const attemptId = target?.external_id ?? "";
    await server.queues.events.add("event", {
      type: "finished",
      attemptId,
      conclusion: "failure",
      summary: "failed",
      annotations: [],
      at: new Date().toISOString(),
    });
    await until("failed", () => github.checkRuns().get(target?.id ?? 0)?.conclusion === "failure");
    const payload = examplePayload("check_run.requested_action");
    await send("check_run", {
      ...payload,
      requested_action: { identifier: "rerun" },
      check_run: { ...payload.check_run, id: target?.id, external_id: attemptId, head_sha: head },
      repository: { ...payload.repository, ...repository() },
      installation: { id: INSTALLATION, node_id: "I_1" },
    });
    const fresh = await until("a new attempt", () =>
      runsFor(head).find((r) => r.name === target?.name && r.id !== target?.id && r.status === "queued"),
    );
    expect(fresh.output.title).toBe("Queued (attempt 2)");
    expect((await jobsWaiting()).map((j) => j.id)).toContain(attemptJobId(fresh.external_id ?? ""));
  });

  test("check_suite.rerequested runs every finished cell of the commit again; skipped, queued and running ones stay as they are", async () => {
    const head = sha(10);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    await settled(head, ALL_RUNS);
    const [stillQueued, ...done] = runsFor(head).filter((r) => r.status === "queued" && !r.name.endsWith("/ matrix"));
    for (const run of done) {
      await server.queues.reportEvent({
        type: "finished",
        attemptId: run.external_id ?? "",
        conclusion: "success",
        summary: "built",
        annotations: [],
        at: new Date().toISOString(),
      });
    }
    await until("three cells finished", () => done.every((r) => r.status === "completed"));
    const payload = examplePayload("check_suite.rerequested" as "check_suite");
    await send("check_suite", {
      ...payload,
      action: "rerequested",
      check_suite: { ...payload.check_suite, head_sha: head },
      repository: { ...payload.repository, ...repository() },
      installation: { id: INSTALLATION, node_id: "I_1" },
    });
    await until("second attempts", () => (runsFor(head).length >= ALL_RUNS + done.length ? true : undefined));
    const queuedTitles = runsFor(head).filter((r) => r.output.title === "Queued (attempt 2)");
    expect(queuedTitles.map((r) => r.name).sort()).toEqual(done.map((r) => r.name).sort());
    expect(queuedTitles.map((r) => r.name)).not.toContain(stillQueued?.name);
    // The first attempts' jobs (no worker took them here) and one for each new attempt.
    expect(await jobsWaiting()).toHaveLength(RUNNABLE + done.length);
  });
});

describe("fork pull requests", () => {
  test("wait for approval; a reader cannot approve; a writer can, and the cells are queued", async () => {
    const head = sha(11);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("pull_request", pullRequestPayload("opened", head, true));
    const runs = await settled(head, ALL_RUNS);
    const waiting = runs.filter((r) => r.conclusion === "action_required" && r.name !== "heimdall-build / matrix");
    const cellRuns = () => runsFor(head).filter((r) => r.name !== "heimdall-build / matrix");
    await until("all waiting", () => cellRuns().filter((r) => r.conclusion === "action_required").length === RUNNABLE);
    expect(waiting[0]?.actions).toEqual([expect.objectContaining({ identifier: "approve" })]);
    expect(await jobsWaiting()).toHaveLength(0);

    const action = (login: string) => {
      const payload = examplePayload("check_run.requested_action");
      return {
        ...payload,
        requested_action: { identifier: "approve" },
        check_run: { ...payload.check_run, id: waiting[0]?.id, external_id: waiting[0]?.external_id, head_sha: head },
        sender: { ...payload.sender, login },
        repository: { ...payload.repository, ...repository() },
        installation: { id: INSTALLATION, node_id: "I_1" },
      };
    };
    github.onGetCollaboratorPermission("reader", "read");
    await send("check_run", action("reader"));
    await until(
      "the permission check",
      () => github.requests({ operation: "repos/get-collaborator-permission-level" }).length === 1,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobsWaiting()).toHaveLength(0);

    github.onGetCollaboratorPermission("maintainer", "write");
    await send("check_run", action("maintainer"));
    await until("queued after approval", async () => ((await jobsWaiting()).length === RUNNABLE ? true : undefined));
    for (const job of await jobsWaiting()) expect(job.data.fork).toBe(true);
    await until("queued check runs", () => cellRuns().filter((r) => r.status === "queued").length === RUNNABLE);
  });
});

describe("GitHub Enterprise Server", () => {
  test("the API base URL is configurable: a push is built against https://ghe.example.com/api/v3", async () => {
    await server.close();
    github.cleanup();
    github = fakeGitHub("https://ghe.example.com/api/v3").onCreateCheckRun().onUpdateCheckRun();
    server = await startTestServer({ databaseUrl: database.url, prefix, baseUrl: "https://ghe.example.com/api/v3" });
    const head = sha(23);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await send("push", pushPayload(head));
    await settled(head, ALL_RUNS);
    expect(github.requests().every((r) => r.url.startsWith("https://ghe.example.com/api/v3/"))).toBe(true);
  });
});

describe("writes to GitHub", () => {
  test("a 256-cell matrix: no 81 writes in any 60 s of the limiter's clock, none closer than the spacing", async () => {
    await server.close();
    github.cleanup();
    // The limiter's clock moves only when it waits: its decisions, not the machine's speed, are asserted.
    const clock = new VirtualClock();
    github = fakeGitHub(undefined, { now: () => clock.now() })
      .onCreateCheckRun()
      .onUpdateCheckRun();
    // The production window (80 writes in any 60 s); the spacing halved, or the window never binds (80 s for 80).
    const limits = {
      writesPerMinute: WRITER_DEFAULTS.writesPerMinute,
      windowMs: WRITER_DEFAULTS.windowMs,
      minSpacingMs: 500,
    };
    server = await startTestServer({ databaseUrl: database.url, prefix, writer: { ...limits, clock } });
    const head = sha(12);
    const config = `version: 1
matrix:
  platform: [linux, macos]
  compiler: [gcc@11, gcc@12, gcc@13, gcc@14, clang@14, clang@15, clang@16, clang@17]
  cxx_standard: [11, 14, 17, 20]
  build_type: [Debug, Release, RelWithDebInfo, MinSizeRel]
  include:
    - {compiler: gcc@12, sanitizers: [address, undefined]}
`;
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, config);
    await send("push", pushPayload(head));
    // 2 platforms x 8 compilers x 4 standards x 4 build types = 256 cells, and the matrix check.
    const all = await settled(head, 257, 40_000);
    expect(all.filter((r) => r.name !== "heimdall-build / matrix")).toHaveLength(256);
    const times = github
      .requests((r) => (r.method === "POST" || r.method === "PATCH") && /check-runs/.test(r.path))
      .map((r) => r.time);
    expect(times.length).toBeGreaterThanOrEqual(257);
    // The writes reach the fake in the order the limiter let them start, at the clock's time of that decision.
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0), `write ${i}`).toBeGreaterThanOrEqual(limits.minSpacingMs);
    }
    for (let i = limits.writesPerMinute; i < times.length; i++) {
      const span = (times[i] ?? 0) - (times[i - limits.writesPerMinute] ?? 0);
      expect(span, `write ${i}`).toBeGreaterThanOrEqual(limits.windowMs);
    }
    // And no slower than the limits allow: 80 writes 500 ms apart, then the window's wait, and again.
    const fastest = times.map((_, i) => Math.floor(i / 80) * limits.windowMs + (i % 80) * limits.minSpacingMs);
    expect(times.map((t) => t - (times[0] ?? 0))).toEqual(fastest);
  }, 60_000);
});
