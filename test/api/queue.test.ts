/**
 * GET /api/v1/queue against a real server and database: builds seeded through
 * the store (queued, held by max_parallel, waiting for approval, running),
 * their waits counted to the server's controllable clock.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { markStarted } from "../../src/db/store.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { type SeededCell, seedBuild } from "../support/seed-builds.ts";

interface Entry {
  build_id: string;
  repository: string;
  cell: { key: string; name: string };
  attempt_id: string;
  attempt: number;
  queued_at: string;
  wait_ms: number;
  held?: boolean;
  waiting_approval?: boolean;
  worker?: string | null;
  started_at?: string;
  running_ms?: number;
}
interface Queue {
  at: string;
  platforms: { platform: string; waiting: Entry[]; running: Entry[] }[];
}

let h: ApiHarness;
let serverNow = 0;
let mixed: { buildId: string; cells: Map<string, SeededCell> };
let limited: { buildId: string; cells: Map<string, SeededCell> };
let fork: { buildId: string; cells: Map<string, SeededCell> };
let startedAt: Date;

function cell(seeded: { cells: Map<string, SeededCell> }, key: string): SeededCell {
  const found = seeded.cells.get(key);
  if (!found) throw new Error(`no cell ${key}`);
  return found;
}

beforeAll(async () => {
  h = await startApiHarness({ now: () => new Date(serverNow) });
  const db = h.database.db;
  // linux gcc 12 (taken by a worker), macOS gcc 12 and apple-clang 15 (queued); linux apple-clang skipped.
  mixed = await seedBuild(
    db,
    "octo/lib",
    1,
    "version: 1\nmatrix:\n  platform: [linux, macos]\n  compiler: [gcc@12, apple-clang@15]\n",
  );
  // max_parallel: its cells wait, held, with no job.
  limited = await seedBuild(db, "octo/lib", 2, "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n", {
    maxParallel: 1,
  });
  // A fork's cell waiting for a maintainer.
  fork = await seedBuild(db, "other/app", 3, "version: 1\nmatrix:\n  compiler: [gcc@12]\n", { waitForApproval: true });
  const taken = cell(mixed, "linux-gcc-12-cxx17-release");
  startedAt = new Date(taken.createdAt.getTime() + 2500);
  await markStarted(db, taken.attemptId, "builder-7", startedAt);
  const latest = Math.max(
    ...[mixed, limited, fork].flatMap((b) => [...b.cells.values()].map((c) => c.createdAt.getTime())),
  );
  serverNow = latest + 90_000;
});

afterAll(async () => {
  await h?.close();
});

async function queue(token: string): Promise<Queue> {
  const answer = await h.api("GET", "/api/v1/queue", { token });
  expect(answer.status, answer.text).toBe(200);
  return answer.body as Queue;
}

function expected(build: { buildId: string; cells: Map<string, SeededCell> }, key: string, repository: string) {
  const seeded = cell(build, key);
  return {
    build_id: build.buildId,
    repository,
    cell: { key, name: expect.any(String) },
    attempt_id: seeded.attemptId,
    attempt: 1,
    queued_at: seeded.createdAt.toISOString(),
    wait_ms: serverNow - seeded.createdAt.getTime(),
  };
}

describe("GET /api/v1/queue", () => {
  test("per platform: waiting cells (queued, held, waiting for approval) and running ones, waits by the server's clock", async () => {
    const body = await queue(await h.token(["builds:read"]));
    expect(body.at).toBe(new Date(serverNow).toISOString());
    expect(body.platforms.map((p) => p.platform)).toEqual(["linux", "macos"]);
    const [linux, macos] = body.platforms;

    expect(linux?.running).toEqual([
      {
        ...expected(mixed, "linux-gcc-12-cxx17-release", "octo/lib"),
        cell: { key: "linux-gcc-12-cxx17-release", name: "linux / gcc-12 / c++17 / Release" },
        // Running: how long it waited before a worker took it, and how long it has run.
        wait_ms: 2500,
        worker: "builder-7",
        started_at: startedAt.toISOString(),
        running_ms: serverNow - startedAt.getTime(),
      },
    ]);
    expect(linux?.waiting).toEqual([
      { ...expected(limited, "linux-gcc-12-cxx17-release", "octo/lib"), held: true, waiting_approval: false },
      { ...expected(limited, "linux-clang-16-cxx17-release", "octo/lib"), held: true, waiting_approval: false },
      { ...expected(fork, "linux-gcc-12-cxx17-release", "other/app"), held: false, waiting_approval: true },
    ]);
    expect(macos?.running).toEqual([]);
    expect(macos?.waiting).toEqual([
      { ...expected(mixed, "macos-gcc-12-cxx17-release", "octo/lib"), held: false, waiting_approval: false },
      { ...expected(mixed, "macos-apple-clang-15-cxx17-release", "octo/lib"), held: false, waiting_approval: false },
    ]);
    // The skipped cell is not waiting for anything.
    const keys = body.platforms.flatMap((p) => [...p.waiting, ...p.running].map((e) => e.cell.key));
    expect(keys).not.toContain("linux-apple-clang-15-cxx17-release");
  });

  test("the waits grow with the server's clock", async () => {
    const token = await h.token(["builds:read"]);
    const before = (await queue(token)).platforms[1]?.waiting[0]?.wait_ms ?? 0;
    serverNow += 60_000;
    const after = (await queue(token)).platforms[1]?.waiting[0]?.wait_ms ?? 0;
    expect(after - before).toBe(60_000);
  });

  test("a token limited to some repositories sees only their cells", async () => {
    const body = await queue(await h.token(["builds:read"], { repositories: ["Other/App"] }));
    expect(body.platforms).toEqual([
      {
        platform: "linux",
        running: [],
        waiting: [
          { ...expected(fork, "linux-gcc-12-cxx17-release", "other/app"), held: false, waiting_approval: true },
        ],
      },
    ]);
    const none = await queue(await h.token(["builds:read"], { repositories: ["nobody/nothing"] }));
    expect(none.platforms).toEqual([]);
  });

  test("401 without a token, 403 without builds:read", async () => {
    expect((await h.api("GET", "/api/v1/queue")).status).toBe(401);
    const refused = await h.api("GET", "/api/v1/queue", { token: await h.token(["configurations:write"]) });
    expect(refused.status).toBe(403);
  });
});
