/**
 * POST /api/v1/builds over real HTTP: real PostgreSQL and Redis, GitHub faked
 * (its requests checked against its OpenAPI description), every answer checked
 * against the server's own OpenAPI document. A build from the repository's file
 * and from explicit cells makes the check runs and jobs a push makes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { attemptJobId } from "../../src/queue/queues.ts";
import { type ApiBuilds, startApiBuilds } from "../support/api-builds.ts";
import { FOUR_CELLS_CONFIG, sha, until } from "../support/app-harness.ts";

let t: ApiBuilds;
let writer: { token: string; name: string };

interface Created {
  id: string;
  requested_by: string;
  branch: string | null;
  status: string;
  configuration: { source: string; name: string | null; version: number | null };
  cells: { key: string; name: string; skip_reason: string | null; attempts: { id: string; state: string }[] }[];
  html_url: string | null;
}

beforeAll(async () => {
  t = await startApiBuilds();
  writer = await t.token(["builds:write"]);
});

afterAll(async () => {
  await t?.close();
});

const post = (body: unknown, token: string | null = writer.token) =>
  t.harness.api("POST", "/api/v1/builds", { token, body });

describe("POST /builds", () => {
  test("with the repository's file: the cells a push makes, a check run each (one skipped), a job each runnable one", async () => {
    const head = sha(101);
    t.commit(head, FOUR_CELLS_CONFIG);
    const answer = await post({ repository: "octo/lib", commit: head });
    expect(answer.status, answer.text).toBe(201);
    const build = answer.body as Created;
    expect(answer.headers.get("location")).toBe(`/api/v1/builds/${build.id}`);
    expect(build).toMatchObject({
      requested_by: writer.name,
      branch: null,
      status: "queued",
      configuration: { source: "repository" },
      html_url: `https://heimdall.example.com/builds/${build.id}`,
    });
    expect(build.cells).toHaveLength(5);
    const skipped = build.cells.filter((c) => c.skip_reason !== null);
    expect(skipped.map((c) => c.name)).toEqual(["linux / gcc-9 / c++23 / Release"]);
    expect(skipped[0]?.skip_reason).toContain("gcc 9 does not support C++23");

    const runs = await t.cellRuns(head, 5);
    expect(runs.map((r) => r.name).sort()).toEqual(build.cells.map((c) => c.name).sort());
    expect(runs.find((r) => r.name === skipped[0]?.name)).toMatchObject({ status: "completed", conclusion: "skipped" });
    const queued = build.cells.filter((c) => c.skip_reason === null);
    expect(queued.every((c) => c.attempts[0]?.state === "queued")).toBe(true);
    const jobs = await t.jobsWaiting();
    for (const cell of queued) expect(jobs).toContain(attemptJobId(cell.attempts[0]?.id ?? ""));
    const row = await t.harness.database.db
      .selectFrom("builds")
      .select(["event", "requested_by", "branch", "fork"])
      .where("id", "=", build.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ event: "api", requested_by: writer.name, branch: null, fork: false });

    // The same commit again is another build (each POST is one), with check runs of its own.
    const again = await post({ repository: "octo/lib", commit: head });
    expect(again.status).toBe(201);
    expect((again.body as Created).id).not.toBe(build.id);
    await t.cellRuns(head, 10);
  });

  test("with explicit cells: exactly them, the file's settings, an impossible one skipped with its reason", async () => {
    const head = sha(102);
    t.commit(head, "version: 1\nmatrix:\n  compiler: [clang@16]\ntests: false\n");
    const answer = await post({
      repository: "OCTO/lib",
      commit: head.toUpperCase(),
      configurations: [
        {
          platform: "linux",
          compiler: "gcc",
          version: 12,
          cxx_standard: 20,
          build_type: "Debug",
          enable_sanitizers: true,
        },
        { platform: "linux", compiler: "gcc", version: "9", cxx_standard: 23, build_type: "Release" },
        {
          platform: "linux",
          compiler: "clang",
          version: 16,
          cxx_standard: 17,
          build_type: "Release",
          enable_coverage: true,
        },
      ],
    });
    expect(answer.status, answer.text).toBe(201);
    const build = answer.body as Created;
    expect(build.configuration.source).toBe("cells");
    expect(build.cells.map((c) => [c.name, c.skip_reason === null])).toEqual([
      ["linux / gcc-12 / c++20 / Debug / asan+ubsan", true],
      ["linux / gcc-9 / c++23 / Release", false],
      ["linux / clang-16 / c++17 / Release / coverage", true],
    ]);
    const runs = await t.cellRuns(head, 3);
    expect(runs.find((r) => r.name.startsWith("linux / gcc-9"))).toMatchObject({ conclusion: "skipped" });
    const jobs = await t.harness.server.queues.cellQueue("linux").getJobs(["waiting"]);
    const mine = jobs.filter((j) => j.data.buildId === build.id);
    expect(mine).toHaveLength(2);
    // The file's settings (tests: false), not its matrix.
    for (const job of mine) expect(job.data.settings).toMatchObject({ tests: { enabled: false } });
    expect(mine.find((j) => j.data.cell.compiler.family === "gcc")?.data.cell.sanitizers).toEqual([
      "address",
      "undefined",
    ]);
  });

  test("with explicit cells and no file: the defaults' settings", async () => {
    const head = sha(103);
    t.commit(head, 404);
    const answer = await post({
      repository: "octo/lib",
      commit: head,
      configurations: [
        {
          platform: "linux",
          compiler: "gcc",
          version: 12,
          cxx_standard: 17,
          build_type: "Release",
          enable_tests: false,
        },
      ],
    });
    expect(answer.status, answer.text).toBe(201);
    const [job] = (await t.harness.server.queues.cellQueue("linux").getJobs(["waiting"])).filter(
      (j) => j.data.buildId === (answer.body as Created).id,
    );
    expect(job?.data.settings).toMatchObject({ tests: { enabled: true }, fail_fast: false, timeout_minutes: 60 });
    expect(job?.data.cell.tests).toBe(false);
  });

  test("with a stored configuration by name: its cells and settings; a file extending it lends them to explicit cells", async () => {
    const head = sha(107);
    t.commit(head, "version: 1\nmatrix:\n  compiler: [clang@16]\n");
    const admin = await t.token(["configurations:write"]);
    const document = "version: 1\nmatrix:\n  compiler: [gcc@12, gcc@9]\n  cxx_standard: [23]\nfail_fast: true\n";
    const stored = await t.harness.api("POST", "/api/v1/configurations", {
      token: admin.token,
      body: { name: "nightly", document },
    });
    expect(stored.status, stored.text).toBe(201);
    const answer = await post({ repository: "octo/lib", commit: head, configurations: "nightly" });
    expect(answer.status, answer.text).toBe(201);
    const build = answer.body as Created;
    expect(build.configuration).toEqual({ source: "stored", name: "nightly", version: 1 });
    expect(build.cells.map((c) => [c.name, c.skip_reason === null])).toEqual([
      ["linux / gcc-12 / c++23 / Release", true],
      ["linux / gcc-9 / c++23 / Release", false],
    ]);
    const jobs = await t.harness.server.queues.cellQueue("linux").getJobs(["waiting"]);
    const [job, ...more] = jobs.filter((j) => j.data.buildId === build.id);
    expect(more).toEqual([]);
    expect(job?.data.settings).toMatchObject({ fail_fast: true });

    // A repository's file that extends it: explicit cells get the settings of both, the file's over the base's.
    const extending = sha(108);
    t.commit(extending, "extends: nightly\ntimeout_minutes: 5\n");
    const cells = [{ platform: "linux", compiler: "clang", version: 16, cxx_standard: 17, build_type: "Debug" }];
    const over = await post({ repository: "octo/lib", commit: extending, configurations: cells });
    expect(over.status, over.text).toBe(201);
    const [overJob] = (await t.harness.server.queues.cellQueue("linux").getJobs(["waiting"])).filter(
      (j) => j.data.buildId === (over.body as Created).id,
    );
    expect(overJob?.data.cell.name).toBe("linux / clang-16 / c++17 / Debug");
    expect(overJob?.data.settings).toMatchObject({ fail_fast: true, timeout_minutes: 5 });
  });

  test("with a ref: superseding as a push; without one, a build stands alone", async () => {
    const cells = [{ platform: "linux", compiler: "gcc", version: 12, cxx_standard: 17, build_type: "Release" }];
    const [older, newer, alone] = [sha(104), sha(105), sha(106)];
    for (const head of [older, newer, alone]) t.commit(head, 404);
    const first = (
      await post({ repository: "octo/lib", commit: older, ref: "refs/heads/topic", configurations: cells })
    ).body as Created;
    expect(first.branch).toBe("topic");
    const [run] = await t.cellRuns(older, 1);
    const second = await post({ repository: "octo/lib", commit: newer, ref: "topic", configurations: cells });
    expect(second.status).toBe(201);
    expect((await post({ repository: "octo/lib", commit: alone, configurations: cells })).status).toBe(201);
    await t.cellRuns(alone, 1);
    const cancelled = await until("the older commit's cell cancelled", () => {
      const now = t.github.checkRuns().get(run?.id ?? -1);
      return now?.status === "completed" ? now : undefined;
    });
    expect(cancelled.conclusion).toBe("cancelled");
    expect(cancelled.output.summary).toContain(`${newer.slice(0, 7)} superseded this commit on branch topic`);
    const states = await t.harness.database.db
      .selectFrom("builds")
      .select(["head_sha", "state"])
      .where("head_sha", "in", [older, newer, alone])
      .orderBy("id")
      .execute();
    expect(states).toEqual([
      { head_sha: older, state: "superseded" },
      { head_sha: newer, state: "active" },
      { head_sha: alone, state: "active" },
    ]);
  });
});
