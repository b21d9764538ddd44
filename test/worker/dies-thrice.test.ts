/**
 * A cell whose worker is killed three times (SIGKILL, real worker processes):
 * BullMQ gives the job up, and the reconciler concludes the attempt failure,
 * saying its workers died, so the check run is never left in progress, and
 * the dead workers' containers are removed.
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import type Docker from "dockerode";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { attemptLabels, deploymentIdOf } from "../../src/deployment.ts";
import { labelFilter, removeLabelledContainers } from "../../src/executor/docker/container.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REDIS_URL, REPO, until } from "../support/app-harness.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository } from "../support/executor.ts";
import { spawnWorkerProcess } from "../support/worker-process.ts";

const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
build:
  script:
    commands: ["sleep 600"]
tests: false
cache: false
timeout_minutes: 30
`;
let e2e: EndToEnd;
let docker: Docker;
const doomed: ChildProcess[] = [];
let watcher: RunningWorker | undefined;
let attemptId = "";
/** The attempt's containers' labels, in this test's deployment (its Redis prefix's). */
let labels: Record<string, string> = {};

beforeAll(async () => {
  docker = await requireDocker();
  e2e = await startEndToEnd("dies-thrice", {
    maintenance: { reconcileEveryMs: 500, redeliverEveryMs: 0, reconciler: { minAgeMs: 0 } },
  });
}, 120_000);

afterAll(async () => {
  for (const child of doomed) child.kill("SIGKILL");
  // The dead workers' containers (a dead worker cannot stop them).
  if (attemptId) await removeLabelledContainers(docker, labels);
  await e2e?.stop(watcher);
});

test("killed three times: the job is given up and the check run concludes failure, naming the deaths", async () => {
  const { scratch, github, prefix, database } = e2e;
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), CONFIG);
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  await e2e.push(head, "main", cloneUrl);
  const cell = () => [...github.checkRuns().values()].find((r) => r.name === "linux / gcc-12 / c++17 / Release");
  await until("the cell's check run", () => cell());
  attemptId = cell()?.external_id ?? "";
  const redis = new Redis(REDIS_URL);
  labels = attemptLabels(await deploymentIdOf(redis, prefix).finally(() => redis.disconnect()), attemptId);
  const attempt = () =>
    database.db.selectFrom("attempts").selectAll().where("id", "=", attemptId).executeTakeFirstOrThrow();

  for (let life = 1; life <= 3; life++) {
    const { child, name } = spawnWorkerProcess({
      prefix,
      cacheDir: path.join(scratch, `cache-${life}`),
      env: { HEIMDALL_JOB_LOCK_MS: "3000", HEIMDALL_STALLED_INTERVAL_MS: "1000" },
    });
    doomed.push(child);
    // Killed while building: its container runs (the build sleeps).
    await until(
      `worker ${life} building`,
      async () => {
        const row = await attempt();
        if (row.state !== "in_progress" || row.worker !== name) return false;
        const found = await docker.listContainers({ filters: { label: labelFilter(labels) } });
        return found.length >= 1;
      },
      180_000,
    );
    child.kill("SIGKILL");
  }
  // A live worker notices the third stall; BullMQ then fails the job instead of handing it out again.
  watcher = await startWorker({
    redisUrl: REDIS_URL,
    prefix,
    platform: "linux",
    docker,
    cacheDir: path.join(scratch, "cache-watcher"),
    allowFileUrls: true,
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
    name: "watcher",
  });

  await until("the check run completed", () => cell()?.status === "completed", 60_000);
  expect(cell()).toMatchObject({
    conclusion: "failure",
    output: expect.objectContaining({ title: "Failed: its worker died 3 times" }),
  });
  expect(await attempt()).toMatchObject({ state: "completed", conclusion: "failure" });
  // The watcher never ran it: nothing was built a fourth time.
  expect((await attempt()).worker).not.toBe("watcher");
  // The dead workers' containers are removed by the live worker that heard the reconciler's cancel.
  await until("the dead workers' containers gone", async () => {
    const left = await docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
    return left.length === 0;
  });
}, 420_000);
