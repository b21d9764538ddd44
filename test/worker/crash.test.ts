/**
 * A worker killed mid-cell (SIGKILL, a real process): its job's lock runs out,
 * another worker takes the cell, removes the dead worker's container, builds
 * it, and the check run completes; it is never left in progress.
 */
import path from "node:path";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { attemptLabels, deploymentIdOf } from "../../src/deployment.ts";
import { labelFilter } from "../../src/executor/docker/container.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REDIS_URL, REPO, until } from "../support/app-harness.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository } from "../support/executor.ts";
import { spawnWorkerProcess, type WorkerProcess } from "../support/worker-process.ts";

const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
build:
  script:
    commands: ["sleep 6"]
tests: false
cache: false
`;
let e2e: EndToEnd;
let doomed: WorkerProcess | undefined;
let survivor: RunningWorker | undefined;
let docker: Docker;

beforeAll(async () => {
  docker = await requireDocker();
  e2e = await startEndToEnd("crash");
}, 120_000);

afterAll(async () => {
  doomed?.child.kill("SIGKILL");
  await e2e?.stop(survivor);
});

test("a SIGKILLed worker's cell is taken by another worker and completes", async () => {
  const { scratch, github, prefix } = e2e;
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), CONFIG);
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);

  const worker = spawnWorkerProcess({
    prefix,
    cacheDir: path.join(scratch, "cache-a"),
    storageDir: path.join(scratch, "objects"),
    env: { HEIMDALL_JOB_LOCK_MS: "3000", HEIMDALL_STALLED_INTERVAL_MS: "1000" },
  });
  doomed = worker;

  await e2e.push(head, "main", cloneUrl);
  const cell = () => [...github.checkRuns().values()].find((r) => r.name === "linux / gcc-12 / c++17 / Release");
  await until("the first worker building", () => cell()?.status === "in_progress", 120_000).catch((error: unknown) => {
    const exit = worker.exit();
    const state = exit ? `exited (${exit.signal ?? exit.code})` : "runs";
    throw new Error(
      `${String(error)}; the check run: ${JSON.stringify(cell()?.status)}; the worker ${state} and printed:\n${worker.printed()}`,
    );
  });
  const attemptId = cell()?.external_id ?? "";
  // The deployment's id, as every worker on this prefix reads it from Redis.
  const redis = new Redis(REDIS_URL);
  const deployment = await deploymentIdOf(redis, prefix).finally(() => redis.disconnect());
  const labels = labelFilter(attemptLabels(deployment, attemptId));
  const orphans = () => docker.listContainers({ all: true, filters: { label: labels } });
  const [orphan] = await until("its container", async () => {
    const found = await orphans();
    return found.length > 0 ? found : undefined;
  });

  worker.child.kill("SIGKILL");
  survivor = await startWorker({
    redisUrl: REDIS_URL,
    prefix,
    platform: "linux",
    docker,
    cacheDir: path.join(scratch, "cache-b"),
    allowFileUrls: true,
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
    name: "survivor",
  });

  await until("completed by the other worker", () => cell()?.status === "completed", 90_000);
  expect(cell()?.conclusion, cell()?.output.summary ?? "").toBe("success");
  const attempt = await e2e.database.db
    .selectFrom("attempts")
    .selectAll()
    .where("id", "=", attemptId)
    .executeTakeFirstOrThrow();
  expect(attempt).toMatchObject({ state: "completed", conclusion: "success", worker: "survivor" });
  // The dead worker's container was removed before the cell was built again.
  const left = (await orphans()).map((c) => c.Id);
  expect(left).not.toContain(orphan?.Id);
}, 240_000);
