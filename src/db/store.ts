/**
 * What the GitHub side reads and writes in PostgreSQL. Every write is safe to
 * repeat: webhooks arrive twice and jobs run twice.
 */
import { sql } from "kysely";
import type { Cell } from "../config/matrix.ts";
import type { Db } from "./connect.ts";
import type { Attempt, AttemptState, Build, BuildEvent, CellRow } from "./schema.ts";

export interface RepositoryRecord {
  readonly installationId: number;
  readonly accountLogin: string;
  readonly id: number;
  readonly fullName: string;
  readonly cloneUrl: string;
  readonly private: boolean;
}

export async function saveRepository(db: Db, repo: RepositoryRecord): Promise<void> {
  await db
    .insertInto("installations")
    .values({ id: repo.installationId, account_login: repo.accountLogin })
    .onConflict((oc) => oc.column("id").doUpdateSet({ account_login: repo.accountLogin }))
    .execute();
  await db
    .insertInto("repositories")
    .values({
      id: repo.id,
      installation_id: repo.installationId,
      full_name: repo.fullName,
      clone_url: repo.cloneUrl,
      private: repo.private,
    })
    .onConflict((oc) =>
      oc.column("id").doUpdateSet({
        installation_id: repo.installationId,
        full_name: repo.fullName,
        clone_url: repo.cloneUrl,
        private: repo.private,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

export interface NewBuildInput {
  readonly repositoryId: number;
  readonly headSha: string;
  readonly configDigest: string;
  readonly event: BuildEvent;
  readonly branch: string | null;
  readonly pullNumber: number | null;
  readonly headRepository: string;
  readonly cloneUrl: string;
  readonly fork: boolean;
  /** When the commit reached its branch or pull request (GitHub's time), if the event says. */
  readonly eventAt?: Date | null;
  readonly settings: unknown;
  readonly cells: readonly Cell[];
  /** Cells that can run start `waiting_approval` instead of `queued` (fork pull requests). */
  readonly waitForApproval: boolean;
  /** max_parallel: queued cells start held, for the server to release a few at a time (none: no limit). */
  readonly maxParallel?: number | null;
  /** fail_fast: the first failed cell cancels the others. */
  readonly failFast?: boolean;
  /** The API token's name that asked for it (event `api`). */
  readonly requestedBy?: string | null;
  /** The GitHub login that sent its event (push, pull_request). */
  readonly sender?: string | null;
}

export interface CreatedBuild {
  readonly build: Build;
  /** False when the same commit and config already had a build (push + pull request). */
  readonly created: boolean;
}

/**
 * The build for (repository, commit, config) with its cells and first
 * attempts, made once: a second call returns the existing one.
 */
export async function createBuild(db: Db, input: NewBuildInput): Promise<CreatedBuild> {
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto("builds")
      .values({
        repository_id: input.repositoryId,
        head_sha: input.headSha,
        config_digest: input.configDigest,
        event: input.event,
        branch: input.branch,
        pull_number: input.pullNumber,
        head_repository: input.headRepository,
        clone_url: input.cloneUrl,
        fork: input.fork,
        event_at: input.eventAt ?? null,
        settings: JSON.stringify(input.settings),
        max_parallel: input.maxParallel ?? null,
        fail_fast: input.failFast ?? false,
        requested_by: input.requestedBy ?? null,
        sender: input.sender ?? null,
      })
      .onConflict((oc) => oc.columns(["repository_id", "head_sha", "config_digest"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) {
      const existing = await tx
        .selectFrom("builds")
        .selectAll()
        .where("repository_id", "=", String(input.repositoryId))
        .where("head_sha", "=", input.headSha)
        .where("config_digest", "=", input.configDigest)
        .executeTakeFirstOrThrow();
      // A pull request for a commit already pushed: remember it, for superseding.
      if (existing.pull_number === null && input.pullNumber !== null) {
        await tx.updateTable("builds").set({ pull_number: input.pullNumber }).where("id", "=", existing.id).execute();
      }
      return { build: existing, created: false };
    }
    if (input.cells.length === 0) return { build: inserted, created: true };
    // Two statements for the whole matrix, not two a cell: ids follow the rows' order (the matrix's).
    const rows = await tx
      .insertInto("cells")
      .values(
        input.cells.map((cell) => ({
          build_id: inserted.id,
          key: cell.id,
          name: cell.name,
          platform: cell.platform,
          spec: JSON.stringify(cell),
          skip_reason: cell.skipReason,
        })),
      )
      .returning(["id", "key"])
      .execute();
    const idOf = new Map(rows.map((row) => [row.key, row.id]));
    const now = new Date();
    await tx
      .insertInto("attempts")
      .values(
        input.cells.map((cell) => {
          const state: AttemptState = cell.skipped
            ? "completed"
            : input.waitForApproval
              ? "waiting_approval"
              : "queued";
          return {
            cell_id: idOf.get(cell.id) ?? "",
            number: 1,
            state,
            conclusion: cell.skipped ? "skipped" : input.waitForApproval ? "action_required" : null,
            completed_at: cell.skipped ? now : null,
            held: state === "queued" && (input.maxParallel ?? null) !== null,
          };
        }),
      )
      .execute();
    return { build: inserted, created: true };
  });
}

/** A cell with its latest attempt. */
export interface CellAttempt {
  readonly cell: CellRow;
  readonly attempt: Attempt;
}

/** Each cell of a build with its latest attempt, in the order the matrix made them. */
export async function latestAttempts(db: Db, buildId: string): Promise<CellAttempt[]> {
  const rows = await db
    .selectFrom("cells")
    .innerJoin("attempts", "attempts.cell_id", "cells.id")
    .selectAll("cells")
    .select([
      "attempts.id as attempt_id",
      "attempts.number",
      "attempts.state",
      "attempts.conclusion",
      "attempts.check_run_id",
      "attempts.synced",
      "attempts.worker",
      "attempts.title",
      "attempts.summary",
      "attempts.standard_check",
      "attempts.standard_mismatch",
      "attempts.log_key",
      "attempts.created_at",
      "attempts.started_at",
      "attempts.completed_at",
      "attempts.requeues",
      "attempts.held",
      "attempts.errors",
      "attempts.warnings",
      "attempts.tests_passed",
      "attempts.tests_failed",
      "attempts.tests_skipped",
    ])
    .where("cells.build_id", "=", buildId)
    .where(({ eb, selectFrom }) =>
      eb(
        "attempts.number",
        "=",
        selectFrom("attempts as a")
          .select(({ fn }) => fn.max("a.number").as("n"))
          .whereRef("a.cell_id", "=", "cells.id"),
      ),
    )
    .orderBy("cells.id")
    .execute();
  return rows.map((r) => ({
    cell: {
      id: r.id,
      build_id: r.build_id,
      key: r.key,
      name: r.name,
      platform: r.platform,
      spec: r.spec,
      skip_reason: r.skip_reason,
    },
    attempt: {
      id: r.attempt_id,
      cell_id: r.id,
      number: r.number,
      state: r.state,
      conclusion: r.conclusion,
      check_run_id: r.check_run_id,
      synced: r.synced,
      worker: r.worker,
      title: r.title,
      summary: r.summary,
      standard_check: r.standard_check,
      standard_mismatch: r.standard_mismatch,
      log_key: r.log_key,
      created_at: r.created_at,
      started_at: r.started_at,
      completed_at: r.completed_at,
      requeues: r.requeues,
      held: r.held,
      errors: r.errors,
      warnings: r.warnings,
      tests_passed: r.tests_passed,
      tests_failed: r.tests_failed,
      tests_skipped: r.tests_skipped,
    },
  }));
}

export async function getBuild(db: Db, id: string): Promise<Build | undefined> {
  return db.selectFrom("builds").selectAll().where("id", "=", id).executeTakeFirst();
}

export interface AttemptContext {
  readonly attempt: Attempt;
  readonly cell: CellRow;
  readonly build: Build;
  readonly installationId: string;
  readonly repository: string;
}

/** An attempt with its cell, build and repository. */
export async function attemptContext(db: Db, attemptId: string): Promise<AttemptContext | undefined> {
  const attempt = await db.selectFrom("attempts").selectAll().where("id", "=", attemptId).executeTakeFirst();
  if (!attempt) return undefined;
  const cell = await db.selectFrom("cells").selectAll().where("id", "=", attempt.cell_id).executeTakeFirstOrThrow();
  const build = await db.selectFrom("builds").selectAll().where("id", "=", cell.build_id).executeTakeFirstOrThrow();
  const repo = await db
    .selectFrom("repositories")
    .select(["installation_id", "full_name"])
    .where("id", "=", build.repository_id)
    .executeTakeFirstOrThrow();
  return { attempt, cell, build, installationId: repo.installation_id, repository: repo.full_name };
}

/** The next attempt of a cell, `queued` (or waiting for approval). */
export async function addAttempt(db: Db, cellId: string, state: AttemptState = "queued"): Promise<Attempt> {
  return db.transaction().execute((tx) => addAttemptIn(tx, cellId, state));
}

/** As addAttempt, inside the caller's transaction (with the delivery that asked for it, say). */
export async function addAttemptIn(tx: Db, cellId: string, state: AttemptState = "queued"): Promise<Attempt> {
  // Serialise attempts of one cell: two re-runs at once must not take one number.
  const build = await tx
    .selectFrom("cells")
    .innerJoin("builds", "builds.id", "cells.build_id")
    .select("builds.max_parallel")
    .where("cells.id", "=", cellId)
    .forUpdate("cells")
    .executeTakeFirst();
  // A limited build's new attempt waits for a place as its first ones did (github/release-cells.ts releases it).
  const limited = (build?.max_parallel ?? null) !== null;
  const last = await tx
    .selectFrom("attempts")
    .select(({ fn }) => fn.max("number").as("n"))
    .where("cell_id", "=", cellId)
    .executeTakeFirst();
  return tx
    .insertInto("attempts")
    .values({
      cell_id: cellId,
      number: Number(last?.n ?? 0) + 1,
      state,
      conclusion: state === "waiting_approval" ? "action_required" : null,
      held: state === "queued" && limited,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function setCheckRun(db: Db, attemptId: string, checkRunId: number, synced: string): Promise<void> {
  await db.updateTable("attempts").set({ check_run_id: checkRunId, synced }).where("id", "=", attemptId).execute();
}

export async function setSynced(db: Db, attemptId: string, synced: string): Promise<void> {
  await db.updateTable("attempts").set({ synced }).where("id", "=", attemptId).execute();
}

export async function attemptByCheckRun(db: Db, checkRunId: number): Promise<Attempt | undefined> {
  return db.selectFrom("attempts").selectAll().where("check_run_id", "=", String(checkRunId)).executeTakeFirst();
}

/** Marks an attempt started, unless it already ended (a cancel can overtake a start). */
export async function markStarted(db: Db, attemptId: string, worker: string, at: Date): Promise<boolean> {
  const updated = await db
    .updateTable("attempts")
    // Running, it holds one of its build's places whatever happened before (held only ever means queued).
    .set({ state: "in_progress", worker, started_at: at, held: false })
    .where("id", "=", attemptId)
    .where("state", "in", ["queued", "in_progress"])
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Puts an attempt a stopping worker handed back to `queued` (only while that worker is the one it names). */
export async function markReturned(db: Db, attemptId: string, worker: string): Promise<boolean> {
  const updated = await db
    .updateTable("attempts")
    .set({ state: "queued", worker: null, started_at: null })
    .where("id", "=", attemptId)
    .where("state", "=", "in_progress")
    .where("worker", "=", worker)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** What a worker counted in an attempt; `tests` null when no test results were read. */
export interface AttemptCounts {
  readonly errors: number;
  readonly warnings: number;
  readonly tests: { readonly passed: number; readonly failed: number; readonly skipped: number } | null;
}

/** Ends an attempt once: the first conclusion stays (a late "finished" after a cancel changes nothing). */
export async function markCompleted(
  db: Db,
  attemptId: string,
  conclusion: string,
  summary: string | null,
  at: Date = new Date(),
  title: string | null = null,
  standards: { readonly check: unknown; readonly mismatch: boolean } | null = null,
  counts: AttemptCounts | null = null,
): Promise<boolean> {
  const updated = await db
    .updateTable("attempts")
    .set({
      state: "completed",
      conclusion,
      summary,
      title,
      completed_at: at,
      held: false,
      ...(standards
        ? {
            standard_check: standards.check === null ? null : JSON.stringify(standards.check),
            standard_mismatch: standards.mismatch,
          }
        : {}),
      ...(counts
        ? {
            errors: counts.errors,
            warnings: counts.warnings,
            tests_passed: counts.tests?.passed ?? null,
            tests_failed: counts.tests?.failed ?? null,
            tests_skipped: counts.tests?.skipped ?? null,
          }
        : {}),
    })
    .where("id", "=", attemptId)
    .where("state", "!=", "completed")
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/**
 * Builds of the same branch or pull request for other commits, older or newer
 * than `build` by when their commits arrived there (GitHub's time, then the
 * order they were made in): a redelivered old push must not cancel a newer one.
 * One query a ref, each a range of its arrival index (migration 012): a push
 * to a branch of thousands of builds reads only the builds it concerns.
 */
function sameRef(db: Db, build: Build, newer: boolean) {
  const arrival = sql`(coalesce(event_at, created_at), id)`;
  const mine = sql`(${build.event_at ?? build.created_at}::timestamptz, ${build.id}::bigint)`;
  const refs = [
    ...(build.branch !== null ? [sql<boolean>`branch = ${build.branch}`] : []),
    ...(build.pull_number !== null ? [sql<boolean>`pull_number = ${build.pull_number}`] : []),
  ];
  return refs.map((ref) =>
    db
      .selectFrom("builds")
      .selectAll()
      .where("repository_id", "=", build.repository_id)
      .where(ref)
      .where(newer ? sql<boolean>`${arrival} > ${mine}` : sql<boolean>`${arrival} < ${mine}`)
      .where("head_sha", "!=", build.head_sha),
  );
}

/** Active builds of the same branch or pull request for commits that arrived before: `build` supersedes them. */
export async function supersededBy(db: Db, build: Build): Promise<Build[]> {
  const found = new Map<string, Build>();
  for (const query of sameRef(db, build, false)) {
    for (const row of await query.where("state", "=", "active").execute()) found.set(row.id, row);
  }
  return [...found.values()];
}

/** The build of the same branch or pull request whose commit arrived last, after `build`'s: it supersedes `build`. */
export async function supersedingBuild(db: Db, build: Build): Promise<Build | undefined> {
  const newest = await Promise.all(
    sameRef(db, build, true).map((query) =>
      query.orderBy(sql`coalesce(event_at, created_at)`, "desc").orderBy("id", "desc").limit(1).executeTakeFirst(),
    ),
  );
  return newest
    .filter((row): row is Build => row !== undefined)
    .sort((x, y) => arrivalOf(y) - arrivalOf(x) || Number(y.id) - Number(x.id))[0];
}

function arrivalOf(build: Build): number {
  return (build.event_at ?? build.created_at).getTime();
}

export async function markSuperseded(db: Db, buildId: string, by: string): Promise<void> {
  await db.updateTable("builds").set({ state: "superseded", superseded_by: by }).where("id", "=", buildId).execute();
}

export async function setMatrixCheckRun(db: Db, buildId: string, checkRunId: number, synced: string): Promise<void> {
  await db
    .updateTable("builds")
    .set({ matrix_check_run_id: checkRunId, matrix_synced: synced })
    .where("id", "=", buildId)
    .execute();
}

export async function setMatrixSynced(db: Db, buildId: string, synced: string): Promise<void> {
  await db.updateTable("builds").set({ matrix_synced: synced }).where("id", "=", buildId).execute();
}

export async function buildsForCommit(db: Db, repositoryId: number, headSha: string): Promise<Build[]> {
  return db
    .selectFrom("builds")
    .selectAll()
    .where("repository_id", "=", String(repositoryId))
    .where("head_sha", "=", headSha)
    .execute();
}

export interface InstalledRepository {
  readonly id: string;
  readonly fullName: string;
  readonly cloneUrl: string;
  readonly installationId: string;
}

/** A repository the app's installation gave it (a webhook saved it), by owner/name in any case. */
export async function installedRepository(db: Db, fullName: string): Promise<InstalledRepository | undefined> {
  const row = await db
    .selectFrom("repositories")
    .select(["id", "full_name", "clone_url", "installation_id"])
    .where(sql<boolean>`lower(full_name) = ${fullName.toLowerCase()}`)
    .orderBy("updated_at", "desc")
    .executeTakeFirst();
  return row && { id: row.id, fullName: row.full_name, cloneUrl: row.clone_url, installationId: row.installation_id };
}
