/**
 * Builds, cells and attempts put into a test's database through the store's
 * own functions (as webhooks and workers' events would), for the API's
 * read-only routes: /queue, /metrics.
 */
import type { Db } from "../../src/db/connect.ts";
import {
  type AttemptCounts,
  createBuild,
  latestAttempts,
  markCompleted,
  markStarted,
  saveRepository,
} from "../../src/db/store.ts";
import { sha } from "./app-harness.ts";
import { configured } from "./executor.ts";

export const REPOSITORIES = {
  "octo/lib": { id: 9001, installationId: 4242 },
  "other/app": { id: 9002, installationId: 4243 },
} as const;

export interface SeededCell {
  readonly cellId: string;
  readonly key: string;
  readonly attemptId: string;
  /** The attempt's created_at, the database's clock: waits are counted from it. */
  readonly createdAt: Date;
}

/** A build of `config` at commit `n` of `repository`; its cells' first attempts, by cell key. */
export async function seedBuild(
  db: Db,
  repository: keyof typeof REPOSITORIES,
  n: number,
  config: string,
  more: { readonly maxParallel?: number; readonly waitForApproval?: boolean } = {},
): Promise<{ buildId: string; cells: Map<string, SeededCell> }> {
  const repo = REPOSITORIES[repository];
  await saveRepository(db, {
    installationId: repo.installationId,
    accountLogin: repository.split("/")[0] ?? "",
    id: repo.id,
    fullName: repository,
    cloneUrl: `https://github.com/${repository}.git`,
    private: false,
  });
  const { cells, settings } = configured(config);
  const { build } = await createBuild(db, {
    repositoryId: repo.id,
    headSha: sha(n),
    configDigest: `digest-${n}`,
    event: "push",
    branch: `branch-${n}`,
    pullNumber: null,
    headRepository: repository,
    cloneUrl: `https://github.com/${repository}.git`,
    fork: false,
    settings,
    cells,
    waitForApproval: more.waitForApproval ?? false,
    maxParallel: more.maxParallel ?? null,
  });
  const seeded = new Map<string, SeededCell>();
  for (const { cell, attempt } of await latestAttempts(db, build.id)) {
    seeded.set(cell.key, { cellId: cell.id, key: cell.key, attemptId: attempt.id, createdAt: attempt.created_at });
  }
  return { buildId: build.id, cells: seeded };
}

/** An attempt run by `worker`: started `waitMs` after it was made, ended `buildMs` later. */
export async function runAttempt(
  db: Db,
  attempt: { readonly attemptId: string; readonly createdAt: Date },
  run: {
    readonly waitMs: number;
    readonly buildMs: number;
    readonly conclusion: string;
    readonly counts?: AttemptCounts | null;
    readonly worker?: string;
  },
): Promise<void> {
  const startedAt = new Date(attempt.createdAt.getTime() + run.waitMs);
  if (!(await markStarted(db, attempt.attemptId, run.worker ?? "w1", startedAt))) throw new Error("not started");
  const endedAt = new Date(startedAt.getTime() + run.buildMs);
  const ended = await markCompleted(
    db,
    attempt.attemptId,
    run.conclusion,
    null,
    endedAt,
    null,
    null,
    run.counts ?? null,
  );
  if (!ended) throw new Error("not completed");
}
