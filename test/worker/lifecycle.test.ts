/**
 * A cell's life past the happy path, end to end: signed webhooks into the
 * server, a real worker, real containers, GitHub mocked. A cell past its time
 * limit concludes timed_out and its container is gone; "Re-run" on it makes a
 * new attempt with its own check run that a worker builds; a newer commit on
 * the branch cancels a running cell and its container stops within seconds.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { attemptLabels } from "../../src/deployment.ts";
import { labelFilter } from "../../src/executor/docker/container.ts";
import { type RunningWorker, startWorker, type WorkerOptions } from "../../src/worker.ts";
import { INSTALLATION, OWNER, REDIS_URL, REPO, repository, SECRET, until } from "../support/app-harness.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository, gcc12Image, scriptConfig } from "../support/executor.ts";
import { examplePayload, type FakeCheckRun, sendWebhook } from "../support/github.ts";

const CELL = "linux / gcc-12 / c++17 / Release";
let e2e: EndToEnd;
let repo: string;
let cloneUrl: string;
let docker: Docker;
let worker: RunningWorker | undefined;

/** A commit on the test repository whose .heimdall-build.yml is `config`, served by the fake GitHub at its sha. */
function commit(config: string): string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: repo,
      encoding: "utf8",
    }).trim();
  writeFileSync(path.join(repo, ".heimdall-build.yml"), config);
  git("add", ".heimdall-build.yml");
  git("commit", "-q", "--allow-empty", "-m", "config");
  const sha = git("rev-parse", "HEAD");
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", sha, config);
  return sha;
}

const push = (sha: string, branch: string) => e2e.push(sha, branch, cloneUrl);

function runsOf(sha: string): FakeCheckRun[] {
  return [...e2e.github.checkRuns().values()].filter((r) => r.head_sha === sha && r.name === CELL);
}

/** The attempt's containers in this test's deployment (every worker on its prefix shares one). */
function containersOf(attemptId: string) {
  if (!worker) throw new Error("no worker: no deployment to look in");
  const labels = labelFilter(attemptLabels(worker.deployment, attemptId));
  return docker.listContainers({ all: true, filters: { label: labels } });
}

async function startTestWorker(extra: Partial<WorkerOptions> = {}) {
  await worker?.close();
  worker = await startWorker({
    redisUrl: REDIS_URL,
    prefix: e2e.prefix,
    platform: "linux",
    docker,
    cacheDir: path.join(e2e.scratch, "cache"),
    allowFileUrls: true,
    ...extra,
  });
}

beforeAll(async () => {
  docker = await requireDocker();
  // Built here (once, on a cold machine) so that neither test's waits include it.
  await gcc12Image(docker);
  e2e = await startEndToEnd("life");
  ({ repo, cloneUrl } = await exampleRepository(path.join(e2e.scratch, "repo"), scriptConfig("true")));
}, 900_000);

afterAll(async () => {
  await e2e?.stop(worker);
});

test("past the worker's time limit: timed_out, its container gone; Re-run builds a new attempt that passes", async () => {
  // This worker lets no cell run past 3 s, whatever its config allows (60 min here).
  await startTestWorker({ maxCellMs: 3_000 });
  const sha = commit(scriptConfig("sleep 8"));
  await push(sha, "slow");
  const first = await until("the cell concluded", () => runsOf(sha).find((r) => r.status === "completed"), 90_000);
  expect(first.conclusion, first.output.summary ?? "").toBe("timed_out");
  // The summary's Markdown escapes punctuation; a reader sees it without the backslashes.
  expect((first.output.summary ?? "").replace(/\\(.)/g, "$1")).toContain(
    "Timed out after 3 s, this worker's limit (the config allows 60 min)",
  );
  expect(first.actions).toEqual([expect.objectContaining({ identifier: "rerun" })]);
  expect(first.external_id).toMatch(/^\d+$/);
  expect(await containersOf(first.external_id ?? "")).toEqual([]);

  // "Re-run" on the check run, now that workers allow the time it needs.
  await startTestWorker();
  const payload = examplePayload("check_run.rerequested");
  const status = await sendWebhook(`${e2e.server.url}/api/github/webhooks`, SECRET, "check_run", {
    ...payload,
    check_run: { ...payload.check_run, id: first.id, external_id: first.external_id, head_sha: sha },
    repository: { ...payload.repository, ...repository() },
    installation: { id: INSTALLATION, node_id: "I_1" },
  } as never);
  expect(status).toBeLessThan(300);
  const second = await until(
    "the new attempt concluded",
    () => runsOf(sha).find((r) => r.id !== first.id && r.status === "completed"),
    90_000,
  );
  expect(second.conclusion, second.output.summary ?? "").toBe("success");
  expect(second.external_id).not.toBe(first.external_id);
  // The first attempt's check run keeps its own ending.
  expect(e2e.github.checkRuns().get(first.id)?.conclusion).toBe("timed_out");
  const attempts = await e2e.database.db
    .selectFrom("attempts")
    .select(["number", "conclusion"])
    .orderBy("number")
    .where("id", "in", [first.external_id ?? "", second.external_id ?? ""])
    .execute();
  expect(attempts).toEqual([
    { number: 1, conclusion: "timed_out" },
    { number: 2, conclusion: "success" },
  ]);
}, 240_000);

test("a newer commit on the branch cancels the running cell: its container stops within seconds", async () => {
  await startTestWorker();
  const older = commit(scriptConfig("sleep 300"));
  await push(older, "topic");
  const running = await until("the cell running", () => runsOf(older).find((r) => r.status === "in_progress"), 90_000);
  const attemptId = running.external_id ?? "";
  expect(attemptId).toMatch(/^\d+$/);
  await until(
    "its container running",
    async () => (await containersOf(attemptId)).some((c) => c.State === "running"),
    60_000,
  );

  const newer = commit(scriptConfig("true"));
  const pushed = Date.now();
  await push(newer, "topic");
  const cancelled = await until(
    "the older cell cancelled",
    () => {
      const run = e2e.github.checkRuns().get(running.id);
      return run?.status === "completed" ? run : undefined;
    },
    20_000,
  );
  expect(cancelled.conclusion).toBe("cancelled");
  expect(cancelled.output.summary).toContain(`${newer.slice(0, 7)} superseded this commit on branch topic`);
  await until(
    "its container stopped",
    async () => ((await containersOf(attemptId)).every((c) => c.State !== "running") ? true : undefined),
    20_000,
  );
  // Within seconds, with room for a loaded CI machine.
  expect(Date.now() - pushed).toBeLessThan(20_000);
  // The worker is free again: the newer commit's cell is built.
  const built = await until(
    "the newer cell concluded",
    () => runsOf(newer).find((r) => r.status === "completed"),
    90_000,
  );
  expect(built.conclusion, built.output.summary ?? "").toBe("success");
  const attempt = await e2e.database.db
    .selectFrom("attempts")
    .select(["state", "conclusion"])
    .where("id", "=", attemptId)
    .executeTakeFirstOrThrow();
  expect(attempt).toEqual({ state: "completed", conclusion: "cancelled" });
}, 240_000);
