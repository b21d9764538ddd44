/** The reconciler's queries: what is still open, what GitHub was not told, and putting an attempt back. */
import { sql } from "kysely";
import type { Db } from "./connect.ts";
import type { Attempt, Build, CellRow } from "./schema.ts";

export interface OpenAttempt {
  readonly attempt: Attempt;
  readonly cell: CellRow;
  readonly build: Build;
  readonly installationId: string;
}

/**
 * Attempts queued or in progress made before `before` (younger ones may still be being queued), oldest first.
 * Not those held for a place of their build's max_parallel: they have no job by design (release-cells.ts's).
 */
export async function openAttempts(db: Db, before: Date, limit = 1000): Promise<OpenAttempt[]> {
  const attempts = await db
    .selectFrom("attempts")
    .selectAll()
    .where("state", "in", ["queued", "in_progress"])
    .where("held", "=", false)
    .where("created_at", "<", before)
    .orderBy("id")
    .limit(limit)
    .execute();
  if (attempts.length === 0) return [];
  const cells = await db
    .selectFrom("cells")
    .selectAll()
    .where(
      "id",
      "in",
      attempts.map((a) => a.cell_id),
    )
    .execute();
  const builds = await db
    .selectFrom("builds")
    .innerJoin("repositories", "repositories.id", "builds.repository_id")
    .selectAll("builds")
    .select("repositories.installation_id")
    .where(
      "builds.id",
      "in",
      cells.map((c) => c.build_id),
    )
    .execute();
  const cellById = new Map(cells.map((c) => [c.id, c]));
  const buildById = new Map(
    builds.map(({ installation_id, ...b }) => [b.id, { build: b, installationId: installation_id }]),
  );
  return attempts.flatMap((attempt) => {
    const cell = cellById.get(attempt.cell_id);
    const owner = cell ? buildById.get(cell.build_id) : undefined;
    return cell && owner ? [{ attempt, cell, build: owner.build, installationId: owner.installationId }] : [];
  });
}

/**
 * Puts an open attempt back to `queued` (its job or its result was lost), counting
 * the requeue; null when it ended meanwhile, was requeued by someone else since
 * the caller saw it `seen` times, or was already requeued `max` times.
 */
export async function requeueAttempt(db: Db, attemptId: string, seen: number, max: number): Promise<Attempt | null> {
  if (seen >= max) return null;
  const row = await db
    .updateTable("attempts")
    .set({ state: "queued", worker: null, started_at: null, requeues: seen + 1 })
    .where("id", "=", attemptId)
    .where("state", "in", ["queued", "in_progress"])
    // As the caller saw it: two passes (two servers) requeue it once.
    .where("requeues", "=", seen)
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** Attempts (made since `since`) whose check run does not say what the database says, with their build. */
export async function unsyncedAttempts(
  db: Db,
  since: Date,
  limit = 1000,
): Promise<{ attemptId: string; buildId: string }[]> {
  const rows = await db
    .selectFrom("attempts")
    .innerJoin("cells", "cells.id", "attempts.cell_id")
    .select(["attempts.id as attemptId", "cells.build_id as buildId"])
    // The expression of the partial index attempts_unsynced, and of the reporter's syncSignature.
    .where(sql<boolean>`attempts.synced IS DISTINCT FROM (attempts.state || ':' || coalesce(attempts.conclusion, ''))`)
    .where("attempts.created_at", ">=", since)
    .orderBy("attempts.id")
    .limit(limit)
    .execute();
  return rows;
}

/** Builds (made since `since`) whose matrix check is missing or not yet completed. */
export async function unfinishedMatrices(db: Db, since: Date, limit = 1000): Promise<string[]> {
  const rows = await db
    .selectFrom("builds")
    .select("id")
    .where("created_at", ">=", since)
    .where((eb) =>
      eb.or([
        eb("matrix_check_run_id", "is", null),
        eb("matrix_synced", "is", null),
        eb("matrix_synced", "not like", "completed:%"),
      ]),
    )
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
