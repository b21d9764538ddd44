/** The database layer against a real PostgreSQL: every write safe to repeat. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import { annotationsOf, saveAnnotations } from "../../src/db/annotations.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import {
  addAttempt,
  createBuild,
  latestAttempts,
  markCompleted,
  markStarted,
  markSuperseded,
  type NewBuildInput,
  saveRepository,
  supersededBy,
} from "../../src/db/store.ts";
import { recordConfigFailure, recordDelivery, setConfigFailureCheckRun } from "../../src/db/webhook-records.ts";
import type { Annotation } from "../../src/report/annotations.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
  await saveRepository(t.db, {
    installationId: 7,
    accountLogin: "octo",
    id: 100,
    fullName: "octo/lib",
    cloneUrl: "https://github.com/octo/lib.git",
    private: false,
  });
});
afterAll(async () => {
  await t?.drop();
});

const parsed = parseConfig("version: 1\nmatrix:\n  compiler: [gcc@12, gcc@7]\n  cxx_standard: [17, 23]\n");
if (!parsed.ok) throw new Error("fixture config is invalid");
const cells = parsed.cells;

function input(sha: string, extra: Partial<NewBuildInput> = {}): NewBuildInput {
  return {
    repositoryId: 100,
    headSha: sha,
    configDigest: "d1",
    event: "push",
    branch: "main",
    pullNumber: null,
    headRepository: "octo/lib",
    cloneUrl: "https://github.com/octo/lib.git",
    fork: false,
    settings: { timeout_minutes: 60 },
    cells,
    waitForApproval: false,
    ...extra,
  };
}

describe("store", () => {
  test("migrating again changes nothing", async () => {
    const again = await migrateToLatest(t.db);
    expect(again.results).toEqual([]);
  });

  test("a delivery is recorded once", async () => {
    expect(await recordDelivery(t.db, "d-1", "push")).toBe(true);
    expect(await recordDelivery(t.db, "d-1", "push")).toBe(false);
  });

  test("one build per commit and config, its cells with first attempts; skipped cells completed", async () => {
    const first = await createBuild(t.db, input("a".repeat(40)));
    expect(first.created).toBe(true);
    const second = await createBuild(
      t.db,
      input("a".repeat(40), { event: "pull_request", pullNumber: 5, branch: null }),
    );
    expect(second.created).toBe(false);
    expect(second.build.id).toBe(first.build.id);
    const build = await t.db
      .selectFrom("builds")
      .selectAll()
      .where("id", "=", first.build.id)
      .executeTakeFirstOrThrow();
    expect(build.pull_number).toBe(5);

    const rows = await latestAttempts(t.db, first.build.id);
    expect(rows.map((r) => r.cell.key)).toEqual(cells.map((c) => c.id));
    const skipped = rows.find((r) => r.cell.key === "linux-gcc-7-cxx23-release");
    expect(skipped?.attempt).toMatchObject({ number: 1, state: "completed", conclusion: "skipped" });
    expect(skipped?.cell.skip_reason).toContain("gcc 7 does not support C++23");
    const runnable = rows.find((r) => r.cell.key === "linux-gcc-12-cxx17-release");
    expect(runnable?.attempt).toMatchObject({ number: 1, state: "queued", conclusion: null, check_run_id: null });
  });

  test("a fork's build waits for approval", async () => {
    const { build } = await createBuild(
      t.db,
      input("f".repeat(40), { fork: true, waitForApproval: true, branch: null }),
    );
    for (const { cell, attempt } of await latestAttempts(t.db, build.id)) {
      // gcc 7 has no Debian image and no C++23: skipped whoever pushed it.
      const expected = cell.key.includes("gcc-7") ? "completed:skipped" : "waiting_approval:action_required";
      expect(`${attempt.state}:${attempt.conclusion}`, cell.key).toBe(expected);
    }
  });

  test("re-runs number their attempts without gaps or repeats, even at once", async () => {
    const { build } = await createBuild(t.db, input("b".repeat(40)));
    const [row] = await latestAttempts(t.db, build.id);
    if (!row) throw new Error("no cell");
    const numbers = (await Promise.all([addAttempt(t.db, row.cell.id), addAttempt(t.db, row.cell.id)])).map(
      (a) => a.number,
    );
    expect(numbers.sort()).toEqual([2, 3]);
    const latest = (await latestAttempts(t.db, build.id)).find((r) => r.cell.id === row.cell.id);
    expect(latest?.attempt.number).toBe(3);
  });

  test("the first conclusion stays; a start after it changes nothing", async () => {
    const { build } = await createBuild(t.db, input("c".repeat(40)));
    const [row] = await latestAttempts(t.db, build.id);
    const id = row?.attempt.id ?? "";
    expect(await markCompleted(t.db, id, "cancelled", "superseded")).toBe(true);
    expect(await markCompleted(t.db, id, "success", "late")).toBe(false);
    expect(await markStarted(t.db, id, "w1", new Date())).toBe(false);
    const after = (await latestAttempts(t.db, build.id)).find((r) => r.attempt.id === id);
    expect(after?.attempt).toMatchObject({ state: "completed", conclusion: "cancelled", summary: "superseded" });
  });

  test("a newer commit on the branch finds the older active builds there, not elsewhere", async () => {
    const older = await createBuild(t.db, input("1".repeat(40), { branch: "feature" }));
    const other = await createBuild(t.db, input("2".repeat(40), { branch: "other" }));
    const newer = await createBuild(t.db, input("3".repeat(40), { branch: "feature" }));
    const found = (await supersededBy(t.db, newer.build)).map((b) => b.id);
    expect(found).toContain(older.build.id);
    expect(found).not.toContain(other.build.id);
    await markSuperseded(t.db, older.build.id, newer.build.id);
    expect((await supersededBy(t.db, newer.build)).map((b) => b.id)).not.toContain(older.build.id);
  });

  test("a broken config is to be reported until its check run is written, once per commit and content", async () => {
    expect(await recordConfigFailure(t.db, 100, "e".repeat(40), "x")).toBe(true);
    // The check run's write failed: a redelivery must write it.
    expect(await recordConfigFailure(t.db, 100, "e".repeat(40), "x")).toBe(true);
    await setConfigFailureCheckRun(t.db, 100, "e".repeat(40), "x", 77);
    expect(await recordConfigFailure(t.db, 100, "e".repeat(40), "x")).toBe(false);
    expect(await recordConfigFailure(t.db, 100, "e".repeat(40), "y")).toBe(true);
  });

  test("annotations are kept once each and read failures first", async () => {
    const { build } = await createBuild(t.db, input("9".repeat(40)));
    const [row] = await latestAttempts(t.db, build.id);
    const id = row?.attempt.id ?? "";
    const make = (path: string, line: number, level: Annotation["annotation_level"]): Annotation => ({
      path,
      start_line: line,
      end_line: line,
      start_column: 1,
      end_column: 1,
      annotation_level: level,
      title: "gcc-12: x",
      message: `m ${path}:${line}`,
      raw_details: "",
      code: null,
      tool: "gcc",
      fingerprint: `${path}:${line}:${level}`,
    });
    await saveAnnotations(t.db, id, [
      make("b.cpp", 3, "warning"),
      make("a.cpp", 9, "failure"),
      make("a.cpp", 2, "notice"),
    ]);
    await saveAnnotations(t.db, id, [make("b.cpp", 3, "warning")]);
    const read = await annotationsOf(t.db, id);
    expect(read.map((a) => `${a.annotation_level} ${a.path}:${a.start_line}`)).toEqual([
      "failure a.cpp:9",
      "warning b.cpp:3",
      "notice a.cpp:2",
    ]);
  });
});
