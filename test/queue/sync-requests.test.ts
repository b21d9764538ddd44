/**
 * Sync requests on real Redis: a request made while the same check run's sync
 * is running must run after it (never beside it, never dropped), or a worker's
 * "started" that lands just after the running sync read the database would
 * leave the check run queued until the next event.
 */
import { randomBytes } from "node:crypto";
import { type Job, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CHECK_SYNC_QUEUE, Queues, type SyncRequest } from "../../src/queue/queues.ts";
import { clearRedisPrefix, REDIS_URL, until } from "../support/app-harness.ts";

const prefix = `heimdall-sync-${randomBytes(4).toString("hex")}`;
let connection: Redis;
let queues: Queues;

beforeAll(async () => {
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  await connection.ping().catch((error: unknown) => {
    throw new Error(`Redis does not answer at ${REDIS_URL}: ${String(error)}`);
  });
  queues = new Queues({ connection, prefix });
});

afterAll(async () => {
  await queues?.close();
  await clearRedisPrefix(prefix);
  connection?.disconnect();
});

/**
 * A sync worker whose jobs wait until released; records what ran and how many
 * at once. With `failFirst`, its first run throws (after the release), as a
 * sync does when GitHub answers 5xx.
 */
function blockingSyncWorker(options: { failFirst?: boolean } = {}) {
  const ran: string[] = [];
  let running = 0;
  let most = 0;
  let failures = options.failFirst ? 1 : 0;
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => {
    release = r;
  });
  const own = connection.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker<SyncRequest>(
    CHECK_SYNC_QUEUE,
    async (job: Job<SyncRequest>) => {
      running++;
      most = Math.max(most, running);
      ran.push(job.data.kind === "attempt" ? `attempt-${job.data.attemptId}` : `matrix-${job.data.buildId}`);
      try {
        await gate;
        if (failures > 0) {
          failures--;
          throw new Error("GitHub answered 502");
        }
      } finally {
        running--;
      }
    },
    { connection: own, prefix, concurrency: 4 },
  );
  return {
    ran,
    most: () => most,
    running: () => running,
    open() {
      release();
      gate = Promise.resolve();
    },
    async close() {
      await worker.close();
      own.disconnect();
    },
  };
}

/** The deduplication keys BullMQ keeps for the sync queue: none once every request has run. */
async function deduplicationKeys(): Promise<string[]> {
  const keys = await connection.keys(`${prefix}:${CHECK_SYNC_QUEUE}:d*`);
  return keys.filter((k) => /:(de|dn):/.test(k));
}

test("requests made while a sync runs run once after it, never beside it; waiting ones coalesce", async () => {
  const sync = blockingSyncWorker();
  try {
    await queues.requestSync({ kind: "attempt", attemptId: "7" });
    await until("the first sync running", () => sync.running() === 1);
    // While it runs: three more for the same attempt, one for another.
    await queues.requestSync({ kind: "attempt", attemptId: "7" });
    await queues.requestSync({ kind: "attempt", attemptId: "7" });
    await queues.requestSync({ kind: "attempt", attemptId: "7" });
    await queues.requestSync({ kind: "attempt", attemptId: "8" });
    await until("the other attempt's sync running beside it", () => sync.running() === 2);
    expect(sync.ran.filter((id) => id === "attempt-7")).toHaveLength(1);
    // The running sync's key, and the request kept for after it.
    expect(await deduplicationKeys()).toEqual(
      expect.arrayContaining([expect.stringMatching(/:de:attempt-7$/), expect.stringMatching(/:dn:attempt-7$/)]),
    );
    sync.open();
    await until("the kept request run", () => sync.ran.filter((id) => id === "attempt-7").length === 2);
    // Let anything else that was (wrongly) queued show itself.
    await new Promise((r) => setTimeout(r, 500));
    expect(sync.ran.filter((id) => id === "attempt-7")).toHaveLength(2);
    expect(sync.ran.filter((id) => id === "attempt-8")).toHaveLength(1);
    expect(sync.most()).toBe(2);
    // Once idle, a new request runs again (nothing left deduplicating it).
    await queues.requestSync({ kind: "attempt", attemptId: "7" });
    await until("a later request run", () => sync.ran.filter((id) => id === "attempt-7").length === 3);
    await until("no deduplication key left", async () => (await deduplicationKeys()).length === 0);
  } finally {
    await sync.close();
  }
});

test("a delayed matrix request absorbs the ones made before it is due", async () => {
  const sync = blockingSyncWorker();
  sync.open();
  try {
    for (let i = 0; i < 5; i++) await queues.requestSync({ kind: "matrix", buildId: "3" }, 2_000);
    await until("the matrix sync", () => sync.ran.includes("matrix-3"), 10_000);
    await new Promise((r) => setTimeout(r, 800));
    expect(sync.ran.filter((id) => id === "matrix-3")).toHaveLength(1);
    await until("no deduplication key left", async () => (await deduplicationKeys()).length === 0);
  } finally {
    await sync.close();
  }
});

test("a sync that fails is tried again; a request made while it ran still runs once, after it succeeds", async () => {
  const sync = blockingSyncWorker({ failFirst: true });
  try {
    await queues.requestSync({ kind: "attempt", attemptId: "9" });
    await until("the first try running", () => sync.running() === 1);
    await queues.requestSync({ kind: "attempt", attemptId: "9" });
    sync.open();
    // The first try fails; its retry (2 s later) succeeds; then the kept request runs.
    await until("three runs", () => sync.ran.filter((id) => id === "attempt-9").length === 3, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(sync.ran.filter((id) => id === "attempt-9")).toHaveLength(3);
    expect(sync.most()).toBe(1);
    await until("no deduplication key left", async () => (await deduplicationKeys()).length === 0);
  } finally {
    await sync.close();
  }
});
