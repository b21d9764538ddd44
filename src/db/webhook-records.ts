/**
 * What webhooks leave behind besides builds: the deliveries handled, the broken
 * configurations reported, the forks' commits approved. Every write is safe to repeat.
 */
import type { Db } from "./connect.ts";

/**
 * Records a delivery as handled; true the first time. Called once its work is
 * committed (in the same transaction where the work is not repeatable), so a
 * delivery that failed half-way is processed again when GitHub redelivers it.
 */
export async function recordDelivery(db: Db, id: string, event: string): Promise<boolean> {
  const inserted = await db
    .insertInto("deliveries")
    .values({ id, event })
    .onConflict((oc) => oc.column("id").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** True when a delivery's work was already done (its id recorded). */
export async function deliveryHandled(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom("deliveries").select("id").where("id", "=", id).executeTakeFirst();
  return row !== undefined;
}

/**
 * Records a commit's broken config (by content); true while no check run reports
 * it yet, so a delivery that failed before its check was written writes it when
 * redelivered, and one that succeeded writes nothing more.
 */
export async function recordConfigFailure(
  db: Db,
  repositoryId: number,
  headSha: string,
  digest: string,
): Promise<boolean> {
  await db
    .insertInto("config_failures")
    .values({ repository_id: repositoryId, head_sha: headSha, config_digest: digest })
    .onConflict((oc) => oc.columns(["repository_id", "head_sha", "config_digest"]).doNothing())
    .execute();
  const row = await db
    .selectFrom("config_failures")
    .select("check_run_id")
    .where("repository_id", "=", String(repositoryId))
    .where("head_sha", "=", headSha)
    .where("config_digest", "=", digest)
    .executeTakeFirst();
  return row?.check_run_id === null;
}

export async function setConfigFailureCheckRun(
  db: Db,
  repositoryId: number,
  headSha: string,
  digest: string,
  checkRunId: number,
): Promise<void> {
  await db
    .updateTable("config_failures")
    .set({ check_run_id: checkRunId })
    .where("repository_id", "=", String(repositoryId))
    .where("head_sha", "=", headSha)
    .where("config_digest", "=", digest)
    .execute();
}

export async function recordApproval(db: Db, repositoryId: number, headSha: string, by: string): Promise<void> {
  await db
    .insertInto("approvals")
    .values({ repository_id: repositoryId, head_sha: headSha, approved_by: by })
    .onConflict((oc) => oc.columns(["repository_id", "head_sha"]).doNothing())
    .execute();
}

/** Whether someone with write access approved this commit of a fork. */
export async function isApproved(db: Db, repositoryId: number | string, headSha: string): Promise<boolean> {
  const row = await db
    .selectFrom("approvals")
    .select("head_sha")
    .where("repository_id", "=", String(repositoryId))
    .where("head_sha", "=", headSha)
    .executeTakeFirst();
  return row !== undefined;
}
