/**
 * `heimdall-build worker` stopped with SIGTERM (the built bin in a child
 * process; real Redis, PostgreSQL, Docker; GitHub mocked). A cell that cannot
 * finish in the 5 s it is given is handed back (queued again, its check run too): its container stopped, its job
 * returned to the queue without a conclusion, and another worker builds it to
 * the end; the process is gone within 10 s, exit code 0 (its hard exit is 1).
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { attemptLabels, deploymentIdOf } from "../../src/deployment.ts";
import { labelFilter } from "../../src/executor/docker/container.ts";
import { readLiveLog } from "../../src/queue/live-log.ts";
import { attemptJobId } from "../../src/queue/queues.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REDIS_URL, REPO, until } from "../support/app-harness.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository } from "../support/executor.ts";
import { redisClientsOf } from "../support/redis-clients.ts";
import { spawnWorkerProcess } from "../support/worker-process.ts";

// Longer than the 5 s a stopping worker gives its cells, so it is handed back whatever the machine's speed.
const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
build:
  script:
    commands: ["sleep 15"]
tests: false
cache: false
sbom: false
`;
const CELL = "linux / gcc-12 / c++17 / Release";
/** BullMQ's connection and its worker's blocking one, the cancel subscriber, the live tail's. */
const WORKER_REDIS_CONNECTIONS = 4;
let e2e: EndToEnd;
let docker: Docker;
let redis: Redis;
let stopping: ChildProcess | undefined;
let survivor: RunningWorker | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  e2e = await startEndToEnd("shutdown");
  redis = new Redis(REDIS_URL);
}, 120_000);

afterAll(async () => {
  stopping?.kill("SIGKILL");
  redis?.disconnect();
  await e2e?.stop(survivor);
});

/** The built bin, as it is installed. */
function spawnWorker(cacheDir: string) {
  return spawnWorkerProcess({
    prefix: e2e.prefix,
    cacheDir: path.join(e2e.scratch, cacheDir),
    storageDir: path.join(e2e.scratch, "objects"),
    entry: "dist/cli/main.js",
  });
}

test("idle, it exits 0 at once on SIGINT; it holds only its own Redis connections", async () => {
  const worker = spawnWorker("cache-idle");
  stopping = worker.child;
  await until("the worker taking cells", () => worker.printed().includes("taking linux cells"), 30_000);
  const pid = worker.child.pid ?? 0;
  const own = await until("its Redis connections", async () => {
    const clients = await redisClientsOf(redis, pid);
    return clients.length >= WORKER_REDIS_CONNECTIONS ? clients : undefined;
  });
  expect(own).toHaveLength(WORKER_REDIS_CONNECTIONS);
  worker.child.kill("SIGINT");
  const exit = await until("its exit", () => worker.exit(), 10_000);
  expect(exit, worker.printed()).toEqual({ code: 0, signal: null });
}, 60_000);

test("SIGTERM mid-cell: exits 0 within 10 s, the cell handed back unconcluded, and another worker builds it", async () => {
  const { scratch, github } = e2e;
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), CONFIG);
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  const worker = spawnWorker("cache-a");
  stopping = worker.child;
  await e2e.push(head, "main", cloneUrl);
  const cell = () => [...github.checkRuns().values()].find((r) => r.name === CELL);
  await until("the cell building", () => cell()?.status === "in_progress", 120_000).catch((error: unknown) => {
    throw new Error(`${String(error)}; the worker printed:\n${worker.printed()}`);
  });
  const attemptId = cell()?.external_id ?? "";
  // The deployment's id, as every worker on this prefix reads it from Redis.
  const labels = labelFilter(attemptLabels(await deploymentIdOf(redis, e2e.prefix), attemptId));
  const containers = () => docker.listContainers({ all: true, filters: { label: labels } });
  await until("its container", async () => (await containers()).length > 0);

  worker.child.kill("SIGTERM");
  const exit = await until("the worker's exit", () => worker.exit(), 10_000);
  expect(exit, worker.printed()).toEqual({ code: 0, signal: null });
  expect(worker.printed()).toContain("go back to the queue");
  expect(worker.printed()).not.toContain("still running");

  // Handed back: the job waits again, nothing concluded it, its container is gone.
  const job = await e2e.server.queues.cellQueue("linux").getJob(attemptJobId(attemptId));
  expect(await job?.getState()).toBe("waiting");
  const attempt = () =>
    e2e.database.db.selectFrom("attempts").selectAll().where("id", "=", attemptId).executeTakeFirstOrThrow();
  // The worker said so: the attempt and its check run say queued again, not in progress on a worker that left.
  await until("queued again", async () => (await attempt()).state === "queued");
  expect(await attempt()).toMatchObject({ state: "queued", conclusion: null, worker: null });
  await until("its check run queued again", () => cell()?.status === "queued");
  expect(await containers()).toEqual([]);
  const tail = await readLiveLog(redis, e2e.prefix, attemptId);
  expect(tail?.ended).toBe("requeued");
  expect(tail?.text).toContain("goes back to the queue");

  survivor = await startWorker({
    redisUrl: REDIS_URL,
    prefix: e2e.prefix,
    platform: "linux",
    docker,
    cacheDir: path.join(scratch, "cache-b"),
    allowFileUrls: true,
    name: "survivor",
  });
  await until("completed by the other worker", () => cell()?.status === "completed", 120_000);
  expect(cell()?.conclusion, cell()?.output.summary ?? "").toBe("success");
  expect(await attempt()).toMatchObject({ state: "completed", conclusion: "success", worker: "survivor" });
}, 300_000);
