/**
 * A limited build's places (max_parallel) as the database holds them: which of
 * its attempts hold one (released: waiting on their queue, or running) and
 * which wait for one (held: queued with no job yet). Releases and cancels of
 * one build take turns on its row's lock, so neither counts what the other is
 * changing.
 */
import type { Db } from "./connect.ts";
import type { Build, CellRow } from "./schema.ts";

export interface HeldAttempt {
  readonly attemptId: string;
  readonly cell: CellRow;
}

export interface BuildPlaces {
  readonly build: Build;
  readonly installationId: string;
  /** Attempts holding a place: released and queued, or in progress. */
  readonly taken: number;
  /** Attempts waiting for one, first made first (the matrix's order, then re-runs). */
  readonly held: readonly HeldAttempt[];
}

/** Locks the build's row until the caller's transaction ends; undefined when there is no such build. */
export async function lockBuild(tx: Db, buildId: string): Promise<Build | undefined> {
  return tx.selectFrom("builds").selectAll().where("id", "=", buildId).forUpdate().executeTakeFirst();
}

/** The build's places, its row locked, in the caller's transaction. */
export async function buildPlaces(tx: Db, buildId: string): Promise<BuildPlaces | undefined> {
  const build = await lockBuild(tx, buildId);
  if (!build) return undefined;
  const repository = await tx
    .selectFrom("repositories")
    .select("installation_id")
    .where("id", "=", build.repository_id)
    .executeTakeFirstOrThrow();
  const counted = await tx
    .selectFrom("attempts")
    .innerJoin("cells", "cells.id", "attempts.cell_id")
    .select(({ fn }) => fn.countAll<string>().as("taken"))
    .where("cells.build_id", "=", buildId)
    .where((eb) =>
      eb.or([
        eb("attempts.state", "=", "in_progress"),
        eb.and([eb("attempts.state", "=", "queued"), eb("attempts.held", "=", false)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  const held = await tx
    .selectFrom("attempts")
    .innerJoin("cells", "cells.id", "attempts.cell_id")
    .selectAll("cells")
    .select("attempts.id as attempt_id")
    .where("cells.build_id", "=", buildId)
    .where("attempts.held", "=", true)
    .where("attempts.state", "=", "queued")
    .orderBy("attempts.id")
    .execute();
  return {
    build,
    installationId: repository.installation_id,
    taken: Number(counted.taken),
    held: held.map(({ attempt_id, ...cell }) => ({ attemptId: attempt_id, cell })),
  };
}

/** Held attempts given their place: they are queued for a worker from now on. */
export async function markReleased(tx: Db, attemptIds: readonly string[]): Promise<void> {
  if (attemptIds.length === 0) return;
  await tx
    .updateTable("attempts")
    .set({ held: false })
    .where("id", "in", [...attemptIds])
    .where("held", "=", true)
    .execute();
}

/** Builds with attempts waiting for a place (the reconciler releases what it can of each). */
export async function buildsWithHeldAttempts(db: Db, limit = 1000): Promise<string[]> {
  const rows = await db
    .selectFrom("attempts")
    .innerJoin("cells", "cells.id", "attempts.cell_id")
    .select("cells.build_id")
    .distinct()
    .where("attempts.held", "=", true)
    .where("attempts.state", "=", "queued")
    .orderBy("cells.build_id")
    .limit(limit)
    .execute();
  return rows.map((r) => r.build_id);
}
