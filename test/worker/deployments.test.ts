/**
 * Two deployments on one Docker engine (two Redis prefixes, each its own
 * deployment id, as two databases would be) with attempts of the same id.
 * Deployment A's cell is building when deployment B's worker takes its own
 * attempt of that id: B removes its own dead worker's container of the
 * attempt, never A's running one, and A's cell ends as its build does.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ATTEMPT_LABEL,
  attemptLabels,
  checkDeploymentId,
  DEPLOYMENT_LABEL,
  deploymentIdOf,
  deploymentKey,
  LOCAL_RUN_DEPLOYMENT,
} from "../../src/deployment.ts";
import { labelFilter, removeLabelledContainers } from "../../src/executor/docker/container.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { clearRedisPrefix, REDIS_URL, until } from "../support/app-harness.ts";
import { type CellQueue, cellQueue } from "../support/cell-queue.ts";
import { requireDocker } from "../support/docker.ts";
import { exampleRepository, gcc12Image, scriptConfig } from "../support/executor.ts";

/** A cell that builds until the test creates `release` in its workspace. */
const WAITING = scriptConfig("while [ ! -e release ]; do sleep 0.2; done");
const ATTEMPT = "7";

describe("deployment ids", () => {
  let redis: Redis;
  const prefixes = ["heimdall-ids-a", "heimdall-ids-b"].map((p) => `${p}-${process.pid}`);

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    for (const prefix of prefixes) await redis.del(deploymentKey(prefix));
    redis.disconnect();
  });

  test("by default one per Redis prefix, the same for every worker of it, another for another", async () => {
    const [a = "", b = ""] = prefixes;
    const first = await deploymentIdOf(redis, a);
    expect(first).toMatch(/^d[0-9a-f]{16}$/);
    // A second worker of deployment A, with its own connection.
    const other = new Redis(REDIS_URL);
    expect(await deploymentIdOf(other, a).finally(() => other.disconnect())).toBe(first);
    expect(await deploymentIdOf(redis, b)).not.toBe(first);
  });

  test("HEIMDALL_DEPLOYMENT_ID wins, spelt as a label value and not the local runs' own", async () => {
    expect(await deploymentIdOf(redis, prefixes[0] ?? "", "farm-eu.1")).toBe("farm-eu.1");
    for (const bad of ["", "-x", "a/b", "a b", "x".repeat(64), LOCAL_RUN_DEPLOYMENT]) {
      expect(() => checkDeploymentId(bad), bad).toThrow(/HEIMDALL_DEPLOYMENT_ID/);
    }
  });

  test("an attempt's labels: its deployment, and the attempt qualified by it", () => {
    expect(attemptLabels("farm-eu", "7")).toEqual({ [DEPLOYMENT_LABEL]: "farm-eu", [ATTEMPT_LABEL]: "farm-eu/7" });
  });
});

describe("two deployments on one engine", () => {
  let docker: Docker;
  let image: string;
  let scratch: string;
  let queueA: CellQueue;
  let queueB: CellQueue;
  let workerA: RunningWorker | undefined;
  let workerB: RunningWorker | undefined;

  beforeAll(async () => {
    docker = await requireDocker();
    image = await gcc12Image(docker);
    scratch = await mkdtemp(path.join(tmpdir(), "heimdall-deployments-"));
    queueA = cellQueue("deploy-a");
    queueB = cellQueue("deploy-b");
  }, 900_000);

  afterAll(async () => {
    await Promise.allSettled([workerA?.close(), workerB?.close()]);
    for (const worker of [workerA, workerB]) {
      if (worker) await removeLabelledContainers(docker, attemptLabels(worker.deployment, ATTEMPT));
    }
    for (const queue of [queueA, queueB]) {
      await queue?.close();
      if (queue) await clearRedisPrefix(queue.prefix);
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const start = (queue: CellQueue, name: string) =>
    startWorker({
      redisUrl: REDIS_URL,
      prefix: queue.prefix,
      platform: "linux",
      docker,
      cacheDir: path.join(scratch, `cache-${name}`),
      allowFileUrls: true,
      concurrency: 1,
      name,
    });

  test("B's orphan cleanup removes B's own container of attempt 7, never A's running one", async () => {
    const a = await exampleRepository(path.join(scratch, "repo-a"), WAITING);
    const b = await exampleRepository(path.join(scratch, "repo-b"), scriptConfig("true"));
    workerA = await start(queueA, "worker-a");
    workerB = await start(queueB, "worker-b");
    expect(workerA.deployment).not.toBe(workerB.deployment);
    const mine = (worker: RunningWorker) =>
      docker.listContainers({ all: true, filters: { label: labelFilter(attemptLabels(worker.deployment, ATTEMPT)) } });

    // Deployment A's attempt 7 building.
    await queueA.push(ATTEMPT, WAITING, a.cloneUrl, a.head);
    const [building] = await until(
      "A's container running",
      async () => {
        const found = await mine(workerA as RunningWorker);
        return found.some((c) => c.State === "running") ? found : undefined;
      },
      120_000,
    );
    if (!building) throw new Error("no container");
    // A container of B's attempt 7 that a dead worker of B left running.
    const left = await docker.createContainer({
      Image: image,
      Cmd: ["sleep", "infinity"],
      Labels: attemptLabels(workerB.deployment, ATTEMPT),
      HostConfig: { NetworkMode: "none" },
    });
    await left.start();

    // Deployment B's attempt 7: its worker clears what its dead worker left, then builds.
    await queueB.push(ATTEMPT, scriptConfig("true"), b.cloneUrl, b.head);
    const finishedB = await until("B's attempt finished", () => queueB.finished(ATTEMPT), 120_000);
    expect(finishedB.conclusion, finishedB.summary).toBe("success");
    await expect(left.inspect()).rejects.toMatchObject({ statusCode: 404 });
    const stillA = await docker.getContainer(building.Id).inspect();
    expect(stillA.State.Running).toBe(true);

    // A's build goes on to its own end: released, it succeeds.
    const workspaces = await readdir(path.join(scratch, "cache-worker-a", "workspaces"));
    const workspace = workspaces.find((name) => name.startsWith(`attempt-${ATTEMPT}-`));
    if (!workspace) throw new Error(`no workspace of attempt ${ATTEMPT} in ${workspaces.join(", ")}`);
    await writeFile(path.join(scratch, "cache-worker-a", "workspaces", workspace, "release"), "");
    const finishedA = await until("A's attempt finished", () => queueA.finished(ATTEMPT), 120_000);
    expect(finishedA.conclusion, finishedA.summary).toBe("success");
  }, 300_000);
});
