/**
 * The reconciler's pass on real PostgreSQL and Redis, with the pass's clock in
 * the test's hands: an attempt in progress past its limit plus the grace is
 * concluded timed_out and its worker told to stop; check runs GitHub was not
 * told of are synced again.
 */
import { Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, beforeEach, expect, test } from "vitest";
import { reconcile } from "../../src/github/reconciler.ts";
import { cellQueueName } from "../../src/queue/queues.ts";
import { OWNER, pushPayload, REDIS_URL, REPO, SECRET, sha, until } from "../support/app-harness.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { sendWebhook } from "../support/github.ts";

const CONFIG = "version: 1\nmatrix:\n  compiler: [gcc@12]\ntimeout_minutes: 10\n";
let e2e: EndToEnd;
let redis: Redis;

beforeEach(async () => {
  e2e = await startEndToEnd("reconcile");
  redis = new Redis(REDIS_URL);
});

afterEach(async () => {
  redis.disconnect();
  for (const taker of takers.splice(0)) await taker.close(true);
  await e2e?.stop();
});

const takers: BullWorker[] = [];

async function runningCell(head: string) {
  const { server, github } = e2e;
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  expect(await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, "push", pushPayload(head))).toBeLessThan(300);
  const run = await until("the cell's check run", () =>
    [...github.checkRuns().values()].find((r) => r.head_sha === head && !r.name.endsWith("/ matrix")),
  );
  const attemptId = run.external_id ?? "";
  // A worker takes the job (it stays active: this one never finishes it) and reports its start.
  const taker = new BullWorker(cellQueueName("linux"), null, {
    connection: { url: REDIS_URL, maxRetriesPerRequest: null },
    prefix: e2e.prefix,
  });
  takers.push(taker);
  expect((await taker.getNextJob("w-gone-token"))?.data.attemptId).toBe(attemptId);
  const startedAt = new Date();
  await server.queues.reportEvent({ type: "started", attemptId, worker: "w-gone", at: startedAt.toISOString() });
  await until("in progress", () => run.status === "in_progress");
  return { run, attemptId, startedAt };
}

test("in progress past timeout_minutes plus the grace: timed_out, saying so, and its worker told to stop", async () => {
  const { server, prefix } = e2e;
  const { run, attemptId, startedAt } = await runningCell(sha(0x51));
  const cancelled: string[] = [];
  const deps = {
    db: server.db,
    queues: server.queues,
    redis,
    prefix,
    cancelRunning: async (id: string) => {
      cancelled.push(id);
    },
    options: { graceMs: 5 * 60_000, minAgeMs: 0 },
  };
  const at = (minutes: number) => new Date(startedAt.getTime() + minutes * 60_000);
  // 10 min of limit and 5 of grace: at 14 min it is left to its worker (whose job is still queued here).
  expect((await reconcile(deps, at(14))).concluded).toEqual([]);
  const report = await reconcile(deps, at(16));
  expect(report.concluded).toEqual([{ attemptId, conclusion: "timed_out" }]);
  expect(cancelled).toEqual([attemptId]);
  await until("completed", () => run.status === "completed");
  expect(run.conclusion).toBe("timed_out");
  expect(run.output.title).toBe("Timed out: no result 16 min after it started");
  expect(run.output.summary).toContain("worker `w-gone`");
  // A second pass changes nothing.
  const again = await reconcile(deps, at(20));
  expect(again.concluded).toEqual([]);
  expect(again.requeued).toEqual([]);
});

test("a check run whose sync was lost is synced again", async () => {
  const { server, prefix } = e2e;
  const { run, attemptId } = await runningCell(sha(0x52));
  // The cell ends in the database, but the sync that would tell GitHub is lost (Redis lost it, say).
  await server.db
    .updateTable("attempts")
    .set({ state: "completed", conclusion: "success", summary: "done", completed_at: new Date() })
    .where("id", "=", attemptId)
    .execute();
  expect(run.status).toBe("in_progress");
  const report = await reconcile({
    db: server.db,
    queues: server.queues,
    redis,
    prefix,
    cancelRunning: async () => undefined,
  });
  expect(report.resynced).toContain(attemptId);
  await until("completed on GitHub", () => run.status === "completed");
  expect(run.conclusion).toBe("success");
});
