/**
 * DELETE /api/v1/builds/{id} and POST /api/v1/builds/{id}/rerun over real HTTP
 * (real PostgreSQL and Redis, GitHub faked): a cancel takes queued cells' jobs
 * off their queue and concludes their check runs cancelled, saying who; a
 * re-run makes new attempts as GitHub's Re-run does, a fork's waiting again.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { attemptJobId } from "../../src/queue/queues.ts";
import { type ApiBuilds, startApiBuilds } from "../support/api-builds.ts";
import { FOUR_CELLS_CONFIG, OWNER, pullRequestPayload, REPO, SECRET, sha, until } from "../support/app-harness.ts";
import { sendWebhook } from "../support/github.ts";

let t: ApiBuilds;
let writer: { token: string; name: string };

interface Created {
  id: string;
  cells: { key: string; name: string; skip_reason: string | null; attempts: { id: string }[] }[];
}
interface Acted {
  id: string;
  cancelled_by?: string;
  attempts: { id: string; cell_key: string; was?: string; number?: number; state?: string }[];
}
interface Refusal {
  error: { code: string; message: string; details?: { unknown?: string[] } };
}

beforeAll(async () => {
  t = await startApiBuilds();
  writer = await t.token(["builds:write"]);
});

afterAll(async () => {
  await t?.close();
});

const cell = (compiler: string, version: number, cxx: number) => ({
  platform: "linux",
  compiler,
  version,
  cxx_standard: cxx,
  build_type: "Release",
});
/** Three runnable cells and gcc 9 × C++23, which the catalog skips. */
const CELLS = [cell("gcc", 12, 17), cell("gcc", 12, 20), cell("clang", 16, 17), cell("gcc", 9, 23)];

async function build(head: string): Promise<Created> {
  t.commit(head, 404);
  const answer = await t.harness.api("POST", "/api/v1/builds", {
    token: writer.token,
    body: { repository: "octo/lib", commit: head, configurations: CELLS },
  });
  expect(answer.status, answer.text).toBe(201);
  await t.cellRuns(head, CELLS.length);
  return answer.body as Created;
}

const act = (method: string, path: string, body?: unknown, token = writer.token) =>
  t.harness.api(method, `/api/v1/builds/${path}`, { token, ...(body === undefined ? {} : { body }) });

describe("DELETE /builds/{id}", () => {
  test("a queued build: its jobs leave the queue, its attempts and check runs conclude cancelled saying who; then 409", async () => {
    const head = sha(301);
    const created = await build(head);
    const runnable = created.cells.filter((c) => c.skip_reason === null);
    const jobs = runnable.map((c) => attemptJobId(c.attempts[0]?.id ?? ""));
    expect(await t.jobsWaiting()).toEqual(expect.arrayContaining(jobs));
    const other = await t.token(["builds:write"], ["octo/other"]);
    expect((await act("DELETE", created.id, undefined, other.token)).status).toBe(403);

    const answer = await act("DELETE", created.id);
    expect(answer.status, answer.text).toBe(202);
    const cancelled = answer.body as Acted;
    expect(cancelled.cancelled_by).toBe(writer.name);
    expect(cancelled.attempts.map((a) => [a.cell_key, a.was]).sort()).toEqual(
      runnable.map((c) => [c.key, "queued"]).sort(),
    );
    const waiting = await t.jobsWaiting();
    for (const job of jobs) expect(waiting).not.toContain(job);
    const { db } = t.harness.database;
    const attempts = await db
      .selectFrom("attempts")
      .select(["state", "conclusion", "summary"])
      .where(
        "id",
        "in",
        runnable.map((c) => c.attempts[0]?.id ?? ""),
      )
      .execute();
    const words = `Cancelled by ${writer.name} through the API.`;
    expect(attempts).toEqual(runnable.map(() => ({ state: "completed", conclusion: "cancelled", summary: words })));
    const runs = await until("the check runs cancelled", async () => {
      const cells = await t.cellRuns(head, CELLS.length);
      return cells.every((r) => r.status === "completed") ? cells : undefined;
    });
    for (const run of runs.filter((r) => r.conclusion !== "skipped")) {
      expect(run.conclusion).toBe("cancelled");
      expect(run.output.summary).toContain(words);
      expect(run.writes.at(-1)).toMatchObject({ conclusion: "cancelled" });
    }
    const row = await db.selectFrom("builds").select("cancelled_by").where("id", "=", created.id).executeTakeFirst();
    expect(row?.cancelled_by).toBe(writer.name);
    // The API says it too: who asked for it, who cancelled it, and how it ended.
    const shown = await act("GET", created.id);
    expect(shown.body).toMatchObject({
      requested_by: writer.name,
      cancelled_by: writer.name,
      status: "completed",
      conclusion: "cancelled",
    });

    const again = await act("DELETE", created.id);
    expect(again.status).toBe(409);
    expect((again.body as Refusal).error.code).toBe("conflict");
    expect((await act("DELETE", "987654321")).status).toBe(404);
    const audit = (await t.audit()).filter((r) => r.method === "DELETE");
    expect(audit.map((r) => [r.token_name, r.route, r.status])).toEqual([
      [other.name, "/api/v1/builds/:id", 403],
      [writer.name, "/api/v1/builds/:id", 202],
      [writer.name, "/api/v1/builds/:id", 409],
      [writer.name, "/api/v1/builds/:id", 404],
    ]);
    expect(audit[1]?.target).toBe(JSON.stringify({ id: created.id }));
  });
});

describe("POST /builds/{id}/rerun", () => {
  test("failed_only, all, chosen cells; unknown cells 400; nothing to run 409", async () => {
    const head = sha(302);
    const created = await build(head);
    const [passed, failed, open, skipped] = created.cells;
    for (const [attempt, conclusion] of [
      [passed?.attempts[0]?.id, "success"],
      [failed?.attempts[0]?.id, "failure"],
    ] as const) {
      const at = new Date().toISOString();
      await t.harness.server.queues.reportEvent({
        type: "finished",
        attemptId: attempt ?? "",
        conclusion,
        summary: "done",
        annotations: [],
        at,
      });
    }
    const { db } = t.harness.database;
    await until("two cells concluded", async () => {
      const rows = await db
        .selectFrom("attempts")
        .select("id")
        .where("id", "in", [passed?.attempts[0]?.id ?? "", failed?.attempts[0]?.id ?? ""])
        .where("state", "=", "completed")
        .execute();
      return rows.length === 2;
    });

    const unknown = await act("POST", `${created.id}/rerun`, { cells: [passed?.key, "linux-nope"] });
    expect(unknown.status).toBe(400);
    expect((unknown.body as Refusal).error.details?.unknown).toEqual(["linux-nope"]);

    const failedOnly = await act("POST", `${created.id}/rerun`, { failed_only: true });
    expect(failedOnly.status, failedOnly.text).toBe(201);
    const [second] = (failedOnly.body as Acted).attempts;
    expect((failedOnly.body as Acted).attempts).toHaveLength(1);
    expect(second).toMatchObject({ cell_key: failed?.key, number: 2, state: "queued" });
    expect(await t.jobsWaiting()).toContain(attemptJobId(second?.id ?? ""));
    await until("attempt 2's check run", () =>
      [...t.github.checkRuns().values()].some((r) => r.external_id === second?.id && r.name === failed?.name),
    );

    // All: what has ended and can run (the passed cell); the open, re-queued and skipped ones stay.
    const all = await act("POST", `${created.id}/rerun`, {});
    expect(all.status, all.text).toBe(201);
    expect((all.body as Acted).attempts.map((a) => [a.cell_key, a.number])).toEqual([[passed?.key, 2]]);

    for (const cells of [[open?.key], [skipped?.key]]) {
      const nothing = await act("POST", `${created.id}/rerun`, { cells });
      expect(nothing.status, JSON.stringify(cells)).toBe(409);
    }
    expect((await act("POST", "987654321/rerun", {})).status).toBe(404);
    const audit = (await t.audit()).filter((r) => r.route === "/api/v1/builds/:id/rerun");
    expect(audit.map((r) => r.status)).toEqual([400, 201, 201, 409, 409, 404]);
  });

  test("a fork's unapproved commit: cancelled while waiting, its re-run waits for approval again, no job", async () => {
    const head = sha(303);
    const payload = pullRequestPayload("opened", head, true, 31);
    t.commit(head, FOUR_CELLS_CONFIG);
    t.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", payload.repository.default_branch, FOUR_CELLS_CONFIG);
    const url = `${t.harness.server.url}/api/github/webhooks`;
    expect(await sendWebhook(url, SECRET, "pull_request", payload)).toBeLessThan(300);
    await t.cellRuns(head, 5);
    const { db } = t.harness.database;
    const { id } = await db.selectFrom("builds").select("id").where("head_sha", "=", head).executeTakeFirstOrThrow();
    // Waiting for approval is not ended: nothing to re-run yet.
    expect((await act("POST", `${id}/rerun`, {})).status).toBe(409);

    const cancel = await act("DELETE", id);
    expect(cancel.status, cancel.text).toBe(202);
    expect(new Set((cancel.body as Acted).attempts.map((a) => a.was))).toEqual(new Set(["waiting_approval"]));
    const rerun = await act("POST", `${id}/rerun`, { failed_only: true });
    expect(rerun.status, rerun.text).toBe(201);
    const attempts = (rerun.body as Acted).attempts;
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((a) => a.state))).toEqual(new Set(["waiting_approval"]));
    const waiting = await t.jobsWaiting();
    for (const attempt of attempts) expect(waiting).not.toContain(attemptJobId(attempt.id));
  });
});
