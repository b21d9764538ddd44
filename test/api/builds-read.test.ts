/** GET /api/v1/builds and /builds/{id} against the real server and PostgreSQL; every answer checked against the OpenAPI document. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBuilds } from "../../src/db/build-queries.ts";
import { latestAttempts } from "../../src/db/store.ts";
import { buildOutcome, tallyOf } from "../../src/report/build-outcome.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { type CellOutcome, seedBuild, seedRepositories } from "../support/api-seed.ts";

let h: ApiHarness;
let reader: string;
let now = new Date("2026-12-01T12:00:00Z");

interface Page {
  builds: {
    id: string;
    repository: string;
    status: string;
    conclusion: string | null;
    cell_counts: Record<string, number>;
  }[];
  next_cursor: string | null;
}

beforeAll(async () => {
  h = await startApiHarness({
    now: () => now,
    publicUrl: "https://ci.example.com",
    githubUrl: "https://ghe.example.com",
  });
  await seedRepositories(h.database.db);
  reader = await h.token(["builds:read"]);
});
afterAll(async () => {
  await h?.close();
});

const list = async (query = "", token = reader) => {
  const answer = await h.api("GET", `/api/v1/builds${query}`, { token });
  expect(answer.status, answer.text).toBe(200);
  return answer.body as Page;
};

describe("GET /builds", () => {
  let passed: { id: string; sha: string };
  let failed: { id: string; sha: string };
  let running: { id: string; sha: string };
  let other: { id: string; sha: string };

  beforeAll(async () => {
    const db = h.database.db;
    passed = await seedBuild(db, { outcomes: ["success", "success"], at: new Date("2026-11-20T10:00:00Z") });
    failed = await seedBuild(db, {
      branch: null,
      pullNumber: 7,
      outcomes: ["success", "failure"],
      at: new Date("2026-11-25T10:00:00Z"),
    });
    running = await seedBuild(db, { branch: "dev", outcomes: ["in_progress"], at: new Date("2026-11-30T10:00:00Z") });
    other = await seedBuild(db, { repositoryId: 101, at: new Date("2026-12-01T10:00:00Z") });
  });

  it("lists builds newest first with each one's status, conclusion and cells", async () => {
    const page = await list();
    const ids = page.builds.map((b) => b.id);
    expect(ids.slice(0, 4)).toEqual([other.id, running.id, failed.id, passed.id]);
    const byId = new Map(page.builds.map((b) => [b.id, b]));
    expect(byId.get(passed.id)).toMatchObject({ status: "completed", conclusion: "success", repository: "octo/lib" });
    expect(byId.get(passed.id)?.cell_counts).toMatchObject({ total: 3, success: 2, skipped: 1 });
    expect(byId.get(failed.id)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(byId.get(running.id)).toMatchObject({ status: "in_progress", conclusion: null });
    expect(byId.get(other.id)).toMatchObject({ status: "queued", conclusion: null, repository: "octo/other" });
  });

  it("filters by repository, branch, commit, pull request, state, conclusion and time", async () => {
    const ids = async (query: string) => (await list(query)).builds.map((b) => b.id);
    expect(await ids("?repository=octo/other")).toEqual([other.id]);
    expect(await ids("?repository=octo/lib&branch=dev")).toEqual([running.id]);
    expect(await ids(`?sha=${failed.sha}`)).toEqual([failed.id]);
    expect(await ids(`?sha=${passed.sha.slice(0, 39)}`)).toEqual([passed.id]);
    expect(await ids("?pull_request=7")).toEqual([failed.id]);
    expect(await ids("?conclusion=failure")).toEqual([failed.id]);
    expect(await ids("?state=in_progress")).toEqual([running.id]);
    expect(await ids("?state=completed&repository=octo/lib")).toEqual([failed.id, passed.id]);
    expect(await ids("?since=2026-11-24T00:00:00Z&repository=octo/lib")).toEqual([running.id, failed.id]);
  });

  it("refuses a filter it does not understand, saying which", async () => {
    const bad = await h.api("GET", "/api/v1/builds?state=done", { token: reader });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "invalid_request", details: { issues: [{ path: "state" }] } } });
    const cursor = await h.api("GET", "/api/v1/builds?cursor=bm9wZQ", { token: reader });
    expect(cursor.status).toBe(400);
    expect((await h.api("GET", "/api/v1/builds?limit=101", { token: reader })).status).toBe(400);
  });

  it("pages by cursor, and a page stays the same while builds are added", async () => {
    const first = await list("?repository=octo/lib&limit=2");
    expect(first.builds).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    // Builds arrive between the pages: the next page goes on where the first stopped.
    await seedBuild(h.database.db, { outcomes: ["success"] });
    await seedBuild(h.database.db, { outcomes: ["failure"] });
    expect(first.builds.map((b) => b.id)).toEqual([running.id, failed.id]);
    const second = await list(`?repository=octo/lib&limit=2&cursor=${first.next_cursor}`);
    expect(second.builds.map((b) => b.id)).toEqual([passed.id]);
    expect(second.next_cursor).toBeNull();
  });

  it("says the same as the matrix check's rule for every mix of cells (the SQL filters agree with buildOutcome)", async () => {
    const outcome = fc.constantFrom<CellOutcome>(
      "queued",
      "in_progress",
      "success",
      "failure",
      "timed_out",
      "cancelled",
      "neutral",
    );
    const samples = fc.sample(fc.tuple(outcome, outcome), { numRuns: 24, seed: 13 });
    const made: string[] = [];
    for (const outcomes of samples) made.push((await seedBuild(h.database.db, { repositoryId: 101, outcomes })).id);
    const expected = new Map<string, ReturnType<typeof buildOutcome>>();
    for (const id of made) {
      const latest = await latestAttempts(h.database.db, id);
      expected.set(id, buildOutcome(tallyOf(latest.map((l) => l.attempt))));
    }
    const ids = (await import("../../src/db/build-queries.ts")).repositoryIds;
    const repositoryIds = await ids(h.database.db, ["octo/other"]);
    // The list's tally (SQL) is the one a single build's page counts (TypeScript), cell for cell.
    const listed = await listBuilds(h.database.db, { repositoryIds, limit: 1000 });
    for (const id of made) {
      const latest = await latestAttempts(h.database.db, id);
      expect(listed.find((r) => r.id === id)?.tally).toEqual(tallyOf(latest.map((l) => l.attempt)));
    }
    for (const status of ["queued", "in_progress", "completed"] as const) {
      const rows = await listBuilds(h.database.db, { repositoryIds, status, limit: 1000 });
      const got = rows.map((r) => r.id).filter((id) => made.includes(id));
      expect(got.sort()).toEqual(made.filter((id) => expected.get(id)?.status === status).sort());
    }
    for (const conclusion of ["success", "failure", "cancelled", "neutral", "action_required"] as const) {
      const rows = await listBuilds(h.database.db, { repositoryIds, conclusion, limit: 1000 });
      const got = rows.map((r) => r.id).filter((id) => made.includes(id));
      expect(got.sort()).toEqual(made.filter((id) => expected.get(id)?.conclusion === conclusion).sort());
    }
  });
});

describe("GET /builds/{id}", () => {
  it("gives every cell with its attempts, times from the server's clock, and links", async () => {
    const build = await seedBuild(h.database.db, {
      outcomes: ["success", "queued"],
      at: new Date("2026-12-01T10:00:00Z"),
    });
    await h.database.db
      .updateTable("attempts")
      .set({ check_run_id: 555 })
      .where("conclusion", "=", "success")
      .execute();
    now = new Date("2026-12-01T12:00:00Z");
    const answer = await h.api("GET", `/api/v1/builds/${build.id}`, { token: reader });
    expect(answer.status).toBe(200);
    const body = answer.body as {
      status: string;
      html_url: string;
      cells: {
        key: string;
        compiler: string;
        state: string;
        skip_reason: string | null;
        attempts: Record<string, unknown>[];
      }[];
    };
    expect(body.status).toBe("in_progress");
    expect(body.html_url).toBe(`https://ci.example.com/builds/${build.id}`);
    expect(body.cells.map((c) => c.compiler)).toEqual(["gcc-12", "clang-16", "gcc-7"]);
    const [done, waiting, skipped] = body.cells;
    expect(done?.attempts[0]).toMatchObject({
      number: 1,
      state: "completed",
      conclusion: "success",
      queue_wait_ms: 60_000,
      duration_ms: 300_000,
      worker: "worker-1",
      errors: 0,
      warnings: 3,
      tests: { passed: 7, failed: 0, skipped: 1 },
      check_run_url: "https://ghe.example.com/octo/lib/runs/555",
      log_url: `https://ci.example.com/api/v1/builds/${build.id}/logs/${done?.key}?attempt=1`,
    });
    // A queued attempt's wait so far is measured on the server's clock.
    const created = Date.parse(String(waiting?.attempts[0]?.created_at));
    expect(created).toBe(Date.parse("2026-12-01T10:00:00Z"));
    expect(waiting?.attempts[0]).toMatchObject({
      state: "queued",
      queue_wait_ms: 2 * 3_600_000,
      duration_ms: null,
      errors: null,
      tests: null,
    });
    expect(skipped).toMatchObject({ state: "completed", skip_reason: expect.stringContaining("gcc 7") });
  });

  it("answers 404 for a build that does not exist and 400 for an id that cannot be one", async () => {
    const missing = await h.api("GET", "/api/v1/builds/999999", { token: reader });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: "not_found" } });
    expect((await h.api("GET", "/api/v1/builds/abc", { token: reader })).status).toBe(400);
  });
});
