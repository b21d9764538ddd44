/** An attempt's annotations, kept to compare a pull request with its base. */
import { sql } from "kysely";
import type { Annotation } from "../report/annotations.ts";
import type { Db } from "./connect.ts";

/** Keeps an attempt's annotations (repeats ignored). */
export async function saveAnnotations(db: Db, attemptId: string, annotations: readonly Annotation[]): Promise<void> {
  if (annotations.length === 0) return;
  await db
    .insertInto("annotations")
    .values(
      annotations.map((a) => ({
        attempt_id: attemptId,
        fingerprint: a.fingerprint,
        path: a.path,
        start_line: a.start_line,
        end_line: a.end_line,
        level: a.annotation_level,
        code: a.code,
        message: a.message,
        body: JSON.stringify(a),
      })),
    )
    .onConflict((oc) => oc.columns(["attempt_id", "fingerprint", "start_line"]).doNothing())
    .execute();
}

/** An attempt's annotations, failures first, then by file and line. */
export async function annotationsOf(db: Db, attemptId: string): Promise<Annotation[]> {
  const rows = await db
    .selectFrom("annotations")
    .select("body")
    .where("attempt_id", "=", attemptId)
    // Failures first, so the first request of 50 carries what matters most.
    .orderBy(sql`CASE level WHEN 'failure' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END`)
    .orderBy("path")
    .orderBy("start_line")
    .execute();
  return rows.map((r) => r.body as Annotation);
}
