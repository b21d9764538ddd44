/**
 * A worker killed mid-cell (SIGKILL, a real process) takes its timer along;
 * its container must still end by itself a little past the cell's limit (the
 * guard inside it), not run on until another worker takes the cell again.
 * No other worker runs here: before the guard, this container ran for ever.
 *
 * The limit is 6 s, not the 1 s the setting allows: the worker must be killed
 * after its container starts and before its own timer fires, and on a loaded
 * machine a second is too short a window to do that in.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { attemptLabels, deploymentIdOf } from "../../src/deployment.ts";
import { labelFilter, removeLabelledContainers } from "../../src/executor/docker/container.ts";
import { GUARD_KILL_AFTER_S, guardSeconds } from "../../src/executor/time-guard.ts";
import { clearRedisPrefix, REDIS_URL, until } from "../support/app-harness.ts";
import { type CellQueue, cellQueue } from "../support/cell-queue.ts";
import { requireDocker } from "../support/docker.ts";
import { exampleRepository, gcc12Image } from "../support/executor.ts";
import { spawnWorkerProcess, type WorkerProcess } from "../support/worker-process.ts";

const LIMIT_MINUTES = "0.1";
const LIMIT_MS = 6_000;
const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
build:
  script:
    commands: ["sleep infinity"]
tests: false
cache: false
sbom: false
`;
let docker: Docker;
let scratch: string;
let queue: CellQueue;
let doomed: WorkerProcess | undefined;
let labels: Record<string, string> = {};

beforeAll(async () => {
  docker = await requireDocker();
  await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-orphan-"));
  queue = cellQueue("orphan");
}, 900_000);

afterAll(async () => {
  doomed?.child.kill("SIGKILL");
  if (Object.keys(labels).length > 0) await removeLabelledContainers(docker, labels);
  await queue?.close();
  if (queue) await clearRedisPrefix(queue.prefix);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test("a SIGKILLed worker's container stops by itself a little past the cell's limit", async () => {
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), CONFIG);
  const worker = spawnWorkerProcess({
    prefix: queue.prefix,
    cacheDir: path.join(scratch, "cache"),
    storageDir: path.join(scratch, "objects"),
    env: { HEIMDALL_MAX_CELL_MINUTES: LIMIT_MINUTES },
  });
  doomed = worker;

  await queue.push("901", CONFIG, cloneUrl, head);
  const redis = new Redis(REDIS_URL);
  const deployment = await deploymentIdOf(redis, queue.prefix).finally(() => redis.disconnect());
  labels = attemptLabels(deployment, "901");
  const containers = () => docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
  const [running] = await until(
    "the cell's container running",
    async () => {
      const found = await containers();
      return found.some((c) => c.State === "running") ? found : undefined;
    },
    120_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; the worker printed:\n${worker.printed()}`);
  });
  if (!running) throw new Error("no container");

  worker.child.kill("SIGKILL");
  await new Promise((resolve) => worker.child.once("exit", resolve));
  const container = docker.getContainer(running.Id);
  // Killed before its own timer fired: the container outlived its worker.
  expect((await container.inspect()).State.Running, "the worker stopped its container before it was killed").toBe(true);

  // Bounded generously: the guard's SIGTERM at the limit and its grace, its SIGKILL after, and a loaded machine.
  const bound = guardSeconds(LIMIT_MS) * 1000 + GUARD_KILL_AFTER_S * 1000 + 60_000;
  const state = await until(
    "the orphaned container stopped",
    async () => {
      const { State } = await container.inspect();
      return State.Running ? undefined : State;
    },
    bound,
  );
  // Stopped by the guard's SIGTERM (timeout's 124), having run at least its limit.
  expect(state.ExitCode).toBe(124);
  const lived = Date.parse(state.FinishedAt) - Date.parse(state.StartedAt);
  expect(lived).toBeGreaterThanOrEqual(LIMIT_MS);
  console.info(`the orphaned container ran ${lived} ms: ${lived - LIMIT_MS} ms past its ${LIMIT_MS} ms limit`);
}, 300_000);
