/**
 * max_parallel and fail_fast end to end: signed pushes into the real server,
 * two real workers (one cell at a time each, so together they could run two
 * of a build's cells at once), real containers, GitHub faked. What ran at once
 * is read from the Docker engine's own ordered stream of container starts and
 * deaths, never from clocks; a failing cell fails when the test opens its gate,
 * having seen the cell it must stop running.
 */
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ATTEMPT_LABEL, DEPLOYMENT_LABEL } from "../../src/deployment.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REDIS_URL, REPO, until } from "../support/app-harness.ts";
import { FAIL_AT_GATE, mostAtOnce, openGate, recordContainerEvents, runningCell } from "../support/container-watch.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository, gcc12Image, scriptConfig } from "../support/executor.ts";
import type { FakeCheckRun } from "../support/github.ts";
import { rerequestCheckSuite } from "../support/reruns.ts";

let e2e: EndToEnd;
let docker: Docker;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  docker = await requireDocker();
  // Built here (once, on a cold machine) so that no test's waits include it.
  await gcc12Image(docker);
  e2e = await startEndToEnd("parallel-workers");
  for (const n of [1, 2]) {
    workers.push(
      await startWorker({
        redisUrl: REDIS_URL,
        prefix: e2e.prefix,
        platform: "linux",
        concurrency: 1,
        name: `worker-${n}`,
        docker,
        cacheDir: path.join(e2e.scratch, `cache-${n}`),
        allowFileUrls: true,
      }),
    );
  }
}, 900_000);

afterAll(async () => {
  await e2e?.stop(...workers);
});

/** A script build of gcc 12's `standards` (and a cell the catalog skips: no gcc 7 image) running `command`. */
function scriptMatrix(standards: string, command: string, extra: string): string {
  const matrix = `  cxx_standard: [${standards}]\n  include:\n    - compiler: gcc@7\n      cxx_standard: 17\n`;
  return scriptConfig(command, { matrix, extra: `${extra}\n` });
}

/** A repository of its own whose config is `config`, pushed on `branch`; its commit. */
async function pushed(name: string, config: string, branch: string): Promise<string> {
  const { head, cloneUrl } = await exampleRepository(path.join(e2e.scratch, name), config);
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, config);
  await e2e.push(head, branch, cloneUrl);
  return head;
}

function cellRuns(head: string): FakeCheckRun[] {
  return [...e2e.github.checkRuns().values()].filter(
    (r) => r.head_sha === head && r.name !== "heimdall-build / matrix",
  );
}

const cellLabels = () => ({ [DEPLOYMENT_LABEL]: workers[0]?.deployment ?? "" });

test("max_parallel: 1 across two workers: the four cells run one after another, and so does a re-run of all four", async () => {
  const recorder = await recordContainerEvents(docker, cellLabels());
  try {
    const head = await pushed("one-at-a-time", scriptMatrix("11, 14, 17, 20", "sleep 2", "max_parallel: 1"), "limited");
    const done = (count: number) =>
      until(
        `${count} cells completed`,
        () => {
          const runs = cellRuns(head).filter((r) => r.status === "completed" && r.conclusion !== "skipped");
          return runs.length === count ? runs : undefined;
        },
        600_000,
      );
    for (const run of await done(4)) expect(run.conclusion, run.output.summary ?? "").toBe("success");

    // Every cell again: its four new attempts wait their turn as the first four did.
    expect(await rerequestCheckSuite(e2e.server.url, head)).toBeLessThan(300);
    const all = await done(8);
    for (const run of all) expect(run.conclusion, run.output.summary ?? "").toBe("success");

    // Each attempt's container started once and died before the next one started.
    const mine = new Set(all.map((r) => `${workers[0]?.deployment}/${r.external_id}`));
    await until("the last container's death", () =>
      recorder.events.filter((e) => e.action === "die" && mine.has(e.labels[ATTEMPT_LABEL] ?? "")).length === 8
        ? true
        : undefined,
    );
    const events = recorder.events.filter((e) => mine.has(e.labels[ATTEMPT_LABEL] ?? ""));
    expect(events.filter((e) => e.action === "start")).toHaveLength(8);
    expect(events.map((e) => e.action)).toEqual(Array.from({ length: 8 }, () => ["start", "die"]).flat());
    expect(mostAtOnce(events)).toBe(1);
  } finally {
    recorder.stop();
  }
}, 900_000);

test("fail_fast: a failed cell stops the running one's container and cancels the one still queued, naming the failed cell", async () => {
  // max_parallel: 2 keeps c++23 queued (held) until a place frees, so no worker can have taken it when c++20 fails.
  const config = scriptMatrix(
    "14, 17, 20, 23",
    `case "$CXX_STANDARD" in 14) true ;; 20) ${FAIL_AT_GATE} ;; *) sleep 300 ;; esac`,
    "fail_fast: true\nmax_parallel: 2",
  );
  const head = await pushed("fail-fast", config, "fail-fast");
  const named = (standard: string) =>
    until(`the c++${standard} cell`, () =>
      cellRuns(head).find((r) => r.name === `linux / gcc-12 / c++${standard} / Release`),
    );
  const [passed, sleeping, failing, queued] = await Promise.all([named("14"), named("17"), named("20"), named("23")]);
  await until("c++14 passed", () => (passed.status === "completed" ? true : undefined), 600_000);
  expect(passed.conclusion, passed.output.summary ?? "").toBe("success");
  const workspace = (run: FakeCheckRun) => `attempt-${run.external_id}-`;
  // Both running in their containers: then c++20 fails.
  await until(
    "c++17 and c++20 running",
    async () =>
      (await runningCell(docker, cellLabels(), workspace(sleeping))) &&
      (await runningCell(docker, cellLabels(), workspace(failing))),
    600_000,
  );
  await openGate(docker, cellLabels(), workspace(failing));

  const title = "Cancelled: linux / gcc-12 / c++20 / Release failed (fail_fast)";
  for (const run of [sleeping, queued]) {
    await until(`${run.name} cancelled`, () => (run.status === "completed" ? true : undefined), 120_000);
    expect(run.conclusion).toBe("cancelled");
    expect(run.output.title).toBe(title);
    expect(run.output.summary).toContain("this build has `fail_fast: true`");
  }
  // The sleeping cell's container is stopped through the cancel channel, not left to its 300 s.
  await until(
    "c++17's container stopped",
    async () => ((await runningCell(docker, cellLabels(), workspace(sleeping))) ? undefined : true),
    60_000,
  );
  await until("c++20 concluded", () => (failing.status === "completed" ? true : undefined), 120_000);
  expect(failing.conclusion, failing.output.summary ?? "").toBe("failure");
  expect(passed.conclusion).toBe("success");
  expect(cellRuns(head).find((r) => r.name === "linux / gcc-7 / c++17 / Release")?.conclusion).toBe("skipped");
  // The queued cell never got a job, so never a container.
  const jobs = await e2e.server.queues.cellQueue("linux").getJobs(["waiting", "active", "completed", "failed"]);
  expect(jobs.map((j) => j.data.attemptId)).not.toContain(queued.external_id);
}, 900_000);
