/**
 * max_parallel and fail_fast on the server, with workers' reports sent as a
 * worker sends them (real PostgreSQL and Redis, GitHub faked): a limited
 * build's cells get their jobs a few at a time, each end releasing the next;
 * re-runs, superseding and the reconciler keep the count; under fail_fast the
 * first failure cancels the build's queued, held and running cells, naming it.
 * No worker runs here: test/worker/parallel.test.ts has real ones.
 */
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { markCompleted } from "../../src/db/store.ts";
import { reconcile } from "../../src/github/reconciler.ts";
import type { CellEvent } from "../../src/queue/queues.ts";
import { FOUR_CELLS_CONFIG, OWNER, REDIS_URL, REPO, sha, until } from "../support/app-harness.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import type { FakeCheckRun } from "../support/github.ts";
import { rerequestCheckRun } from "../support/reruns.ts";

const CLONE_URL = `https://github.com/${OWNER}/${REPO}.git`;
const MATRIX = "heimdall-build / matrix";
const SKIPPED = "linux / gcc-9 / c++23 / Release";

/** The four cells and the skipped one, with `extra` settings. */
function config(extra: string): string {
  return `${FOUR_CELLS_CONFIG}${extra}\n`;
}

let e2e: EndToEnd;

beforeEach(async () => {
  e2e = await startEndToEnd("parallel");
});

afterEach(async () => {
  await e2e?.stop();
});

/** A push of `head` on `branch` whose config is `yaml`; its runnable cells' check runs once all exist, in the matrix's order. */
async function pushed(head: string, yaml: string, branch = "main"): Promise<FakeCheckRun[]> {
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, yaml);
  await e2e.push(head, branch, CLONE_URL);
  return until("the cells' check runs", () => {
    const runs = cellRuns(head);
    if (runs.length !== 5) return undefined;
    // Attempt ids are made in the matrix's order.
    return runs.filter((r) => r.name !== SKIPPED).sort((a, b) => Number(a.external_id) - Number(b.external_id));
  });
}

function cellRuns(head: string): FakeCheckRun[] {
  return [...e2e.github.checkRuns().values()].filter((r) => r.head_sha === head && r.name !== MATRIX);
}

/** The attempts that were ever given a job on the cell queue, in id order. */
async function jobbed(): Promise<string[]> {
  const jobs = await e2e.server.queues
    .cellQueue("linux")
    .getJobs(["waiting", "active", "delayed", "prioritized", "completed", "failed"]);
  return jobs.map((j) => j.data.attemptId).sort((a, b) => Number(a) - Number(b));
}

/** Waits until exactly `ids` have been given a job. */
async function jobsFor(ids: readonly (string | null)[]): Promise<void> {
  const want = JSON.stringify([...ids].sort((a, b) => Number(a) - Number(b)));
  await until(`jobs for ${want}`, async () => JSON.stringify(await jobbed()) === want);
}

function report(event: CellEvent): Promise<void> {
  return e2e.server.queues.reportEvent(event);
}

function finish(run: FakeCheckRun | undefined, conclusion: "success" | "failure"): Promise<void> {
  return report({
    type: "finished",
    attemptId: run?.external_id ?? "",
    conclusion,
    summary: conclusion,
    annotations: [],
    at: new Date().toISOString(),
  });
}

async function completed(run: FakeCheckRun | undefined): Promise<FakeCheckRun> {
  return until(`${run?.name} completed`, () => {
    const now = e2e.github.checkRuns().get(run?.id ?? 0);
    return now?.status === "completed" ? now : undefined;
  });
}

/** "Re-run" on the matrix check: every cell of the commit that did not pass gets a new attempt. */
async function rerunMatrix(head: string): Promise<void> {
  const matrix = await until("the matrix check", () =>
    [...e2e.github.checkRuns().values()].find((r) => r.head_sha === head && r.name === MATRIX),
  );
  expect(await rerequestCheckRun(e2e.server.url, matrix, head)).toBeLessThan(300);
}

describe("max_parallel", () => {
  test("2 of 4 cells get a job; each end releases the next in the matrix's order; a re-run waits its turn too", async () => {
    const head = sha(0x61);
    const [a, b, c, d] = await pushed(head, config("max_parallel: 2"));
    await jobsFor([a?.external_id ?? "", b?.external_id ?? ""]);
    // The held cells are queued for GitHub, and say what they wait for.
    expect(c).toMatchObject({ status: "queued" });
    expect(c?.output.summary).toBe(
      "Waiting for a linux worker; at most 2 of this build's cells run at once (max_parallel).",
    );

    // One place frees at a time: one more cell gets a job each time, never two.
    await report({ type: "started", attemptId: a?.external_id ?? "", worker: "w1", at: new Date().toISOString() });
    await finish(a, "success");
    await jobsFor([a, b, c].map((r) => r?.external_id ?? ""));
    await finish(b, "failure");
    await jobsFor([a, b, c, d].map((r) => r?.external_id ?? ""));
    await finish(c, "failure");
    await finish(d, "failure");
    for (const run of [a, b, c, d]) await completed(run);

    // Re-run: the three that failed get new attempts, two of them jobs, the third when one ends.
    const before = await jobbed();
    await rerunMatrix(head);
    const again = await until("three new attempts", () => {
      const fresh = cellRuns(head).filter((r) => r.output.title === "Queued (attempt 2)");
      return fresh.length === 3 ? fresh.sort((x, y) => Number(x.external_id) - Number(y.external_id)) : undefined;
    });
    const [b2, c2] = again;
    await jobsFor([...before, b2?.external_id ?? null, c2?.external_id ?? null]);
    await finish(b2, "success");
    await jobsFor([...before, ...again.map((r) => r.external_id)]);
  });

  test("superseding a limited build cancels its held cells with the rest: none is left queued", async () => {
    const older = sha(0x62);
    const newer = sha(0x63);
    const old = await pushed(older, config("max_parallel: 2"), "topic");
    await jobsFor(old.slice(0, 2).map((r) => r.external_id));
    const fresh = await pushed(newer, config("max_parallel: 2"), "topic");
    for (const run of old) {
      const done = await completed(run);
      expect(done.conclusion).toBe("cancelled");
      expect(done.output.summary).toContain(`${newer.slice(0, 7)} superseded this commit on branch topic`);
    }
    // The older build's two jobs were taken off the queue; the newer build has its two.
    await jobsFor(fresh.slice(0, 2).map((r) => r.external_id));
    const held = await e2e.database.db.selectFrom("attempts").select("id").where("held", "=", true).execute();
    expect(held.map((r) => r.id).sort()).toEqual(fresh.slice(2).map((r) => r.external_id));
  });

  test("a place freed with no release after it (the server killed in between): the reconciler's pass releases it", async () => {
    const head = sha(0x64);
    const [a, b, c] = await pushed(head, config("max_parallel: 1"));
    await jobsFor([a?.external_id ?? ""]);
    const redis = new Redis(REDIS_URL);
    try {
      const deps = {
        db: e2e.server.db,
        queues: e2e.server.queues,
        redis,
        prefix: e2e.prefix,
        cancelRunning: async () => undefined,
        // Every attempt is looked at, and one with no job is queued again at its second sighting.
        options: { minAgeMs: 0, lostAfterMs: 0 },
      };
      // Held cells have no job by design: the reconciler does not take them for lost.
      for (let pass = 0; pass < 2; pass++) {
        const idle = await reconcile(deps);
        expect(idle.requeued).toEqual([]);
        expect(idle.released).toEqual([]);
      }
      // The cell's end is written, and the server dies before the next cell's release.
      expect(await markCompleted(e2e.server.db, a?.external_id ?? "", "success", "built")).toBe(true);
      const pass = await reconcile(deps);
      expect(pass.released).toEqual([b?.external_id]);
      await jobsFor([a, b].map((r) => r?.external_id ?? ""));
      expect((await reconcile(deps)).released).toEqual([]);
      expect(c).toMatchObject({ status: "queued" });
    } finally {
      redis.disconnect();
    }
  });
});

describe("fail_fast", () => {
  test("the first failure cancels the running cell (its worker told to stop) and the queued one, naming the failed cell", async () => {
    const head = sha(0x65);
    const [passed, running, failing, queued] = await pushed(head, config("fail_fast: true"));
    await finish(passed, "success");
    await completed(passed);
    await report({
      type: "started",
      attemptId: running?.external_id ?? "",
      worker: "w1",
      at: new Date().toISOString(),
    });
    await until("in progress", () => e2e.github.checkRuns().get(running?.id ?? 0)?.status === "in_progress");

    const listener = new Redis(REDIS_URL);
    const told: string[] = [];
    await listener.subscribe(`${e2e.prefix}:cancel`);
    listener.on("message", (_channel, attemptId: string) => told.push(attemptId));
    try {
      await finish(failing, "failure");
      const title = `Cancelled: ${failing?.name} failed (fail_fast)`;
      for (const run of [running, queued]) {
        const done = await completed(run);
        expect(done.conclusion).toBe("cancelled");
        expect(done.output.title).toBe(title);
        expect(done.output.summary).toContain(`**${failing?.name}** failed, and this build has \`fail_fast: true\``);
        expect(done.actions).toEqual([expect.objectContaining({ identifier: "rerun" })]);
      }
      // The running cell's worker is told to stop its container; the queued one just leaves its queue.
      await until("the stop message", () => told.includes(running?.external_id ?? ""));
      expect(told).toEqual([running?.external_id]);
      expect(await jobbed()).not.toContain(queued?.external_id);
    } finally {
      listener.disconnect();
    }
    // The failed cell keeps its failure, the finished one its success, the skipped one stays skipped.
    expect((await completed(failing)).conclusion).toBe("failure");
    expect(e2e.github.checkRuns().get(passed?.id ?? 0)?.conclusion).toBe("success");
    expect(cellRuns(head).find((r) => r.name === SKIPPED)?.conclusion).toBe("skipped");
    // The stopped worker's late report changes nothing.
    await finish(running, "failure");
    await until("the matrix check failed", () =>
      [...e2e.github.checkRuns().values()].some(
        (r) => r.head_sha === head && r.name === MATRIX && r.conclusion === "failure",
      ),
    );
    expect(e2e.github.checkRuns().get(running?.id ?? 0)?.conclusion).toBe("cancelled");
    const rows = await e2e.database.db
      .selectFrom("attempts")
      .select(["id", "conclusion", "title"])
      .where("id", "=", running?.external_id ?? "")
      .execute();
    expect(rows).toEqual([
      { id: running?.external_id, conclusion: "cancelled", title: `Cancelled: ${failing?.name} failed (fail_fast)` },
    ]);
  });

  test("with max_parallel, held cells are cancelled too and none is released after; a re-run builds them again", async () => {
    const head = sha(0x66);
    const runs = await pushed(head, config("max_parallel: 1\nfail_fast: true"));
    const [first, ...held] = runs;
    await jobsFor([first?.external_id ?? ""]);
    await finish(first, "failure");
    for (const run of held) {
      const done = await completed(run);
      expect(done.conclusion).toBe("cancelled");
      expect(done.output.title).toBe(`Cancelled: ${first?.name} failed (fail_fast)`);
    }
    expect(await jobbed()).toEqual([first?.external_id]);
    // fail_fast ends this round, not the build: a re-run's cells get their places one at a time again.
    await rerunMatrix(head);
    const again = await until("four new attempts", () => {
      const fresh = cellRuns(head).filter((r) => r.output.title === "Queued (attempt 2)");
      return fresh.length === 4 ? fresh.sort((x, y) => Number(x.external_id) - Number(y.external_id)) : undefined;
    });
    await jobsFor([first?.external_id ?? "", again[0]?.external_id ?? ""]);
  });
});
