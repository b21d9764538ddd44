/**
 * Faults injected for real around the server: a PostgreSQL of the test's own
 * stopped while a cell ends, a Redis of its own restarted without its data,
 * GitHub failing a delivery, and a delivery the server never received. Each
 * test ends on the invariant: every attempt concluded or queued with exactly
 * one live job, every check run saying what the database says.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import type { Db } from "../../src/db/connect.ts";
import { attemptJobId, cellEventJobId, type Queues } from "../../src/queue/queues.ts";
import { syncSignature } from "../../src/report/check-run.ts";
import type { RunningServer } from "../../src/server.ts";
import {
  clearRedisPrefix,
  OWNER,
  pushPayload,
  REPO,
  SECRET,
  sha,
  startTestServer,
  until,
} from "../support/app-harness.ts";
import { deliveryLog } from "../support/deliveries.ts";
import { deliverWebhook, errorReply, type FakeGitHub, fakeGitHub, signedWebhook } from "../support/github.ts";
import { ownPostgres, ownRedis } from "../support/own-services.ts";
import { freshDatabase } from "../support/postgres.ts";

const CONFIG = "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n";
const CELLS = 2;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Setup {
  server: RunningServer;
  github: FakeGitHub;
  prefix: string;
}

async function setUp(options: Partial<Parameters<typeof startTestServer>[0]> & { databaseUrl?: string } = {}) {
  const prefix = `heimdall-faults-${randomBytes(4).toString("hex")}`;
  const github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    const database = await freshDatabase(false);
    cleanups.push(() => database.drop());
    databaseUrl = database.url;
  }
  const server = await startTestServer({ ...options, databaseUrl, prefix });
  cleanups.push(async () => {
    github.cleanup();
    await clearRedisPrefix(prefix);
  });
  cleanups.push(() => server.close());
  return { server, github, prefix } satisfies Setup;
}

function cellRuns(github: FakeGitHub, head: string) {
  return [...github.checkRuns().values()].filter((r) => r.head_sha === head && !r.name.endsWith("/ matrix"));
}

/** Delivers a push and waits for its try: how the handlers went. */
async function push(server: RunningServer, head: string, deliveryId: string) {
  const { status, outcome } = await deliverWebhook(
    `${server.url}/api/github/webhooks`,
    SECRET,
    "push",
    pushPayload(head),
    {
      deliveryId,
    },
  );
  expect(status).toBe(202);
  return outcome;
}

/** Every attempt concluded, or queued/in progress with exactly one live job; every check run says what the row says. */
async function assertConverged(db: Db, queues: Queues, github: FakeGitHub) {
  const attempts = await db
    .selectFrom("attempts")
    .innerJoin("cells", "cells.id", "attempts.cell_id")
    .selectAll("attempts")
    .select("cells.platform")
    .execute();
  for (const attempt of attempts) {
    if (attempt.state === "completed" || attempt.state === "waiting_approval") continue;
    const job = await queues.cellQueue("linux").getJob(attemptJobId(attempt.id));
    expect(job, `attempt ${attempt.id} (${attempt.state}) has a job`).toBeDefined();
    expect(["waiting", "active", "delayed", "prioritized"]).toContain(await job?.getState());
  }
  // A check run is written to GitHub before its id and what it says are recorded: wait for the records.
  await until("every check run's sync recorded", async () => {
    const rows = await db.selectFrom("attempts").select(["state", "conclusion", "synced"]).execute();
    return rows.every((row) => row.synced === syncSignature(row));
  });
  for (const attempt of await db.selectFrom("attempts").selectAll().execute()) {
    const run = github.checkRuns().get(Number(attempt.check_run_id));
    expect(run, `attempt ${attempt.id} has a check run`).toBeDefined();
    expect(run?.status).toBe(attempt.state === "waiting_approval" ? "completed" : attempt.state);
    if (attempt.state === "completed") expect(run?.conclusion).toBe(attempt.conclusion);
  }
}

describe("deliveries", () => {
  test("a delivery whose handling failed (GitHub down) is done whole when GitHub redelivers it, at once", async () => {
    // Its own wait (5 s) never passes: the redelivery, not the inbox's retry, makes it due.
    const { server, github } = await setUp({ now: () => new Date("2026-12-01T12:00:00Z") });
    const head = sha(0x500);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    // The config cannot be read once: GitHub answers 500 (the latest route answers first).
    github.reply("GET", `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml`, () => errorReply(500, "Server Error"), {
      times: 1,
    });
    expect(await push(server, head, "delivery-500")).toMatchObject({
      handled: false,
      error: expect.stringContaining("Server Error"),
      retryAt: new Date("2026-12-01T12:00:05Z"),
    });
    expect(await server.db.selectFrom("deliveries").selectAll().execute()).toEqual([]);
    expect(await server.db.selectFrom("builds").selectAll().execute()).toEqual([]);

    expect(await push(server, head, "delivery-500")).toMatchObject({ handled: true, attempt: 2 });
    await until("the cells' check runs", () => cellRuns(github, head).length === CELLS);
    expect(await server.db.selectFrom("deliveries").select("id").execute()).toEqual([{ id: "delivery-500" }]);
    // A third copy, now recorded, changes nothing.
    expect(await push(server, head, "delivery-500")).toMatchObject({ handled: true, attempt: 1 });
    expect(await server.db.selectFrom("attempts").selectAll().execute()).toHaveLength(CELLS);
    await assertConverged(server.db, server.queues, github);
  });

  test("a broken config whose check GitHub failed to create gets it when the delivery comes again, once", async () => {
    const { server, github } = await setUp();
    const head = sha(0xbad);
    github.onGetContent(
      OWNER,
      REPO,
      ".heimdall-build.yml",
      head,
      "version: 1\nmatrix: {compiler: [gcc@12]}\nfork_prs: sometimes\n",
    );
    github.reply("POST", `/repos/${OWNER}/${REPO}/check-runs`, () => errorReply(502, "Bad Gateway"), { times: 1 });
    expect(await push(server, head, "bad-config")).toMatchObject({ handled: false });
    expect(await push(server, head, "bad-config")).toMatchObject({ handled: true });
    expect(await push(server, head, "bad-config")).toMatchObject({ handled: true });
    const checks = [...github.checkRuns().values()].filter((r) => r.head_sha === head);
    expect(checks.map((r) => [r.name, r.conclusion])).toEqual([["heimdall-build / configuration", "failure"]]);
  });

  test("deliveries made while the server was down are redelivered through the App's delivery API, once each", async () => {
    const database = await freshDatabase(false);
    cleanups.push(() => database.drop());
    const first = await setUp({ databaseUrl: database.url });
    const { github, prefix } = first;
    let url = `${first.server.url}/api/github/webhooks`;
    const log = deliveryLog(github, () => url, SECRET);
    const delivered = sha(0x0c);
    const lost = sha(0x10057);
    for (const head of [delivered, lost]) github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    expect((await log.deliver("push", pushPayload(delivered))).status_code).toBe(202);

    // The server goes down; GitHub's delivery meanwhile finds no one.
    await first.server.close();
    const failed = await log.deliver("push", pushPayload(lost));
    expect(failed.status_code).toBe(0);
    // Events the app does not handle failed too: nothing would record them, they are not asked for.
    const ignored = await log.deliver("pull_request", { action: "closed", installation: { id: 4242 } });
    expect(ignored.status_code).toBe(0);

    // A server comes back (same database and Redis) with its redelivery pass.
    const second = await startTestServer({
      databaseUrl: database.url,
      prefix,
      maintenance: { reconcileEveryMs: 60_000, redeliverEveryMs: 300 },
    });
    cleanups.push(() => second.close());
    url = `${second.url}/api/github/webhooks`;
    await until("the lost push's check runs", () => cellRuns(github, lost).length === CELLS, 30_000);
    const lists = () => github.requests({ path: "/app/hook/deliveries" }).length;
    const seen = lists();
    await until("two more passes", () => lists() >= seen + 2, 30_000);
    // Only the failed delivery was asked for, and once: its redelivery was answered 2xx.
    expect(log.redeliveryRequests).toEqual([failed.id]);
    expect(
      log
        .tries()
        .filter((t) => t.guid === failed.guid)
        .map((t) => t.status_code),
    ).toEqual([202, 0]);
    // As the App (its JWT), not as an installation.
    const [auth] = github.requests({ path: "/app/hook/deliveries" }).map((r) => r.headers.authorization);
    expect(auth).toMatch(/^bearer /i);
    // The first server stopped before all of its syncs were written: the second writes them.
    await until("the delivered push's check runs", () => cellRuns(github, delivered).length === CELLS, 30_000);
    await assertConverged(second.db, second.queues, github);
  });
});

describe("PostgreSQL down when a cell ends", () => {
  test("the worker's report waits, tried again, and is applied when PostgreSQL is back", async () => {
    const pg = await ownPostgres();
    cleanups.push(() => pg.destroy());
    const { server, github } = await setUp({ databaseUrl: pg.url });
    const head = sha(0x9);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    expect(await push(server, head, "pg-1")).toMatchObject({ handled: true });
    const runs = await until("check runs", () =>
      cellRuns(github, head).length === CELLS ? cellRuns(github, head) : undefined,
    );
    const at = () => new Date().toISOString();
    for (const run of runs) {
      await server.queues.reportEvent({ type: "started", attemptId: run.external_id ?? "", worker: "w1", at: at() });
    }
    await until("in progress", () => cellRuns(github, head).every((r) => r.status === "in_progress"));

    await pg.stop();
    for (const run of runs) {
      await server.queues.reportEvent({
        type: "finished",
        attemptId: run.external_id ?? "",
        conclusion: "success",
        title: "Passed",
        summary: "built and tested",
        annotations: [],
        at: at(),
      });
    }
    const tries = async (attemptId: string) =>
      (await server.queues.events.getJob(cellEventJobId("finished", attemptId)))?.attemptsMade ?? 0;
    await until(
      "each report tried twice while PostgreSQL is away",
      async () => {
        for (const run of runs) if ((await tries(run.external_id ?? "")) < 2) return false;
        return true;
      },
      30_000,
    );
    expect(cellRuns(github, head).every((r) => r.status === "in_progress")).toBe(true);

    await pg.start();
    await until("completed", () => cellRuns(github, head).every((r) => r.status === "completed"), 60_000);
    expect(cellRuns(github, head).map((r) => r.conclusion)).toEqual(["success", "success"]);
    await assertConverged(server.db, server.queues, github);
  }, 120_000);
});

describe("Redis restarted without its data", () => {
  test("queued cells whose jobs were lost are queued again by the reconciler, and their check runs stay true", async () => {
    const redis = await ownRedis();
    cleanups.push(() => redis.stop());
    const { server, github } = await setUp({
      redisUrl: redis.url,
      // Passes every half second; an attempt seen with no job and no worker for a second is queued again.
      maintenance: { reconcileEveryMs: 500, redeliverEveryMs: 0, reconciler: { minAgeMs: 0, lostAfterMs: 1000 } },
    });
    const head = sha(0xdead);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    // The passes at start are over before the push: any requeue is the restart's.
    await until("the start passes", async () => {
      const counts = await server.queues.maintenance.getJobCounts("completed", "waiting", "active");
      return (counts.completed ?? 0) >= 1 && counts.waiting === 0 && counts.active === 0;
    });
    expect(await push(server, head, "redis-1")).toMatchObject({ handled: true });
    await until(
      "queued check runs",
      () => cellRuns(github, head).filter((r) => r.status === "queued").length === CELLS,
    );
    const queue = server.queues.cellQueue("linux");
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: CELLS });
    const before = await server.db.selectFrom("attempts").select("requeues").execute();
    expect(before).toEqual([{ requeues: 0 }, { requeues: 0 }]);

    await redis.stop();
    await redis.start();
    // Nothing survived: then the reconciler (on reconnection, then on its schedule) makes every job again.
    await until(
      "every queued attempt's job again, from a requeue",
      async () => {
        const attempts = await server.db.selectFrom("attempts").selectAll().execute();
        if (!attempts.every((a) => a.requeues >= 1)) return false;
        for (const a of attempts) if ((await queue.getJob(attemptJobId(a.id))) === undefined) return false;
        return true;
      },
      30_000,
    );
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: CELLS });
    await assertConverged(server.db, server.queues, github);
  }, 60_000);
});

describe("Redis down at delivery", () => {
  test("the build is kept; when Redis is back (without its data) every queued attempt gets its job and its check run", async () => {
    const redis = await ownRedis();
    cleanups.push(() => redis.stop());
    const { server, github } = await setUp({
      redisUrl: redis.url,
      maintenance: { reconcileEveryMs: 500, redeliverEveryMs: 0, reconciler: { minAgeMs: 0, lostAfterMs: 1000 } },
    });
    const head = sha(0xd0);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    await redis.stop();
    // The delivery is kept and acknowledged; its handler makes the build and waits for Redis.
    const { headers, body } = signedWebhook(SECRET, "push", pushPayload(head), { deliveryId: "redis-down" });
    const answer = await fetch(`${server.url}/api/github/webhooks`, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(3000),
    }).then(
      (r) => r.status,
      () => "no answer",
    );
    // Kept in the inbox (PostgreSQL answers): acknowledged whatever Redis does.
    expect(answer).toBe(202);
    const attempts = await until("the build's attempts, in the database", async () => {
      const rows = await server.db.selectFrom("attempts").selectAll().execute();
      return rows.length === CELLS ? rows : undefined;
    });
    expect(attempts.every((a) => a.state === "queued")).toBe(true);

    await redis.start();
    await until(
      "the check runs, queued",
      () => cellRuns(github, head).filter((r) => r.status === "queued").length === CELLS,
      30_000,
    );
    await until(
      "a job per attempt",
      async () => {
        for (const a of attempts)
          if (!(await server.queues.cellQueue("linux").getJob(attemptJobId(a.id)))) return false;
        return true;
      },
      30_000,
    );
    await assertConverged(server.db, server.queues, github);
  }, 60_000);
});
