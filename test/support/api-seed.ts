import { createHash } from "node:crypto";
/** Builds put straight into the API's database, in the states a test needs, through the store's own writes. */
import { parseConfig } from "../../src/config/parse.ts";
import type { Db } from "../../src/db/connect.ts";
import { createBuild, latestAttempts, markCompleted, markStarted, saveRepository } from "../../src/db/store.ts";

/** octo/lib is public, octo/other private. */
export const REPOSITORIES = [
  { id: 100, fullName: "octo/lib", private: false },
  { id: 101, fullName: "octo/other", private: true },
] as const;

export async function seedRepositories(db: Db): Promise<void> {
  for (const repo of REPOSITORIES) {
    await saveRepository(db, {
      installationId: 7,
      accountLogin: "octo",
      id: repo.id,
      fullName: repo.fullName,
      cloneUrl: `https://github.com/${repo.fullName}.git`,
      private: repo.private,
    });
  }
}

/** Two runnable cells (gcc 12, clang 16 at C++17) and gcc 7 at C++23, which the catalog skips. */
const parsed = parseConfig(
  "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n  include:\n    - compiler: gcc@7\n      cxx_standard: 23\n",
);
if (!parsed.ok) throw new Error("the seed's config is invalid");
export const SEED_CELLS = parsed.cells;

/** What each runnable cell's latest attempt is: a state, or a conclusion once completed. */
export type CellOutcome = "queued" | "in_progress" | "success" | "failure" | "timed_out" | "cancelled" | "neutral";

let serial = 0;

export interface SeededBuild {
  readonly id: string;
  readonly sha: string;
}

export async function seedBuild(
  db: Db,
  options: {
    repositoryId?: number;
    branch?: string | null;
    pullNumber?: number | null;
    outcomes?: readonly CellOutcome[];
    at?: Date;
  } = {},
): Promise<SeededBuild> {
  serial += 1;
  const sha = createHash("sha1").update(`seed ${process.pid} ${serial}`).digest("hex");
  const { build } = await createBuild(db, {
    repositoryId: options.repositoryId ?? 100,
    headSha: sha,
    configDigest: `seed-${serial}`,
    event: options.pullNumber ? "pull_request" : "push",
    branch: options.branch === undefined ? "main" : options.branch,
    pullNumber: options.pullNumber ?? null,
    headRepository: "octo/lib",
    cloneUrl: "https://github.com/octo/lib.git",
    fork: false,
    settings: { timeout_minutes: 60 },
    cells: SEED_CELLS,
    waitForApproval: false,
  });
  if (options.at) await db.updateTable("builds").set({ created_at: options.at }).where("id", "=", build.id).execute();
  const outcomes = options.outcomes ?? [];
  const runnable = (await latestAttempts(db, build.id)).filter(({ cell }) => cell.skip_reason === null);
  const base = options.at ?? new Date("2026-12-01T10:00:00Z");
  for (const [index, { attempt }] of runnable.entries()) {
    const outcome = outcomes[index] ?? "queued";
    await db.updateTable("attempts").set({ created_at: base }).where("id", "=", attempt.id).execute();
    if (outcome === "queued") continue;
    await markStarted(db, attempt.id, "worker-1", new Date(base.getTime() + 60_000));
    if (outcome === "in_progress") continue;
    await markCompleted(db, attempt.id, outcome, `ended ${outcome}`, new Date(base.getTime() + 60_000 + 300_000));
    // What the worker's report would count: a failure has errors and a failed test.
    const failed = outcome === "failure" ? 1 : 0;
    await db
      .updateTable("attempts")
      .set({ errors: 2 * failed, warnings: 3, tests_passed: 7, tests_failed: failed, tests_skipped: 1 })
      .where("id", "=", attempt.id)
      .execute();
  }
  return { id: build.id, sha };
}
